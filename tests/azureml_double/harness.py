"""Route Azure SDK traffic of this process, or of child processes, to the Azure ML double.

Production code is untouched: it builds ``MLClient(DefaultAzureCredential(), sub, rg, ws)`` as usual.
The harness sets

* ``PYTHONPATH``  += ``tests/azureml_double/inject`` (its ``sitecustomize.py`` installs the routing hook
  at interpreter start, without importing azure);
* ``AZUREML_DOUBLE_URL``       = the double (``http://127.0.0.1:PORT``): ARM, regional and login hosts go there;
* ``AZUREML_DOUBLE_BLOB_URL``  = Azurite (``http://127.0.0.1:PORT``): ``<account>.blob.core.windows.net`` goes there;
* ``AZURE_TENANT_ID`` / ``AZURE_CLIENT_ID`` / ``AZURE_CLIENT_SECRET`` = a fake service principal, so that
  ``DefaultAzureCredential`` uses ``EnvironmentCredential`` and gets its token from the double;
* ``AZUREML_RUN_POLLING_INTERVAL_MIN=0`` so ``jobs.stream()`` polls without a 2 s floor.

Hosts that are neither routed nor loopback raise ``AzureMLDoubleBlockedError``: nothing reaches Azure.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

INJECT_DIR = Path(__file__).resolve().parent / "inject"

ENV_URL = "AZUREML_DOUBLE_URL"
ENV_BLOB_URL = "AZUREML_DOUBLE_BLOB_URL"


def _inject():
    if str(INJECT_DIR) not in sys.path:
        sys.path.insert(0, str(INJECT_DIR))
    import azureml_double_inject

    return azureml_double_inject


def routing_env(double_url: str, blob_url: str | None = None) -> dict[str, str]:
    """The variables (besides PYTHONPATH) that route a process to the double."""
    inject = _inject()
    env = {
        ENV_URL: double_url,
        "AZURE_TENANT_ID": inject.FAKE_TENANT_ID,
        "AZURE_CLIENT_ID": inject.FAKE_CLIENT_ID,
        "AZURE_CLIENT_SECRET": inject.FAKE_CLIENT_SECRET,
        "AZUREML_RUN_POLLING_INTERVAL_MIN": "0",
    }
    if blob_url:
        env[ENV_BLOB_URL] = blob_url
    return env


def subprocess_env(double_url: str, blob_url: str | None = None, base: Mapping[str, str] | None = None) -> dict:
    """A full environment for a child process (e.g. ``pulumi up``, whose Python hosts inherit it)."""
    env = dict(os.environ if base is None else base)
    for name in (
        "AZURE_AUTHORITY_HOST",
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "AZURE_USERNAME",
        "AZURE_PASSWORD",
        "AZURE_FEDERATED_TOKEN_FILE",
        "IDENTITY_ENDPOINT",
        "MSI_ENDPOINT",
    ):
        env.pop(name, None)
    env.update(routing_env(double_url, blob_url))
    parts = [str(INJECT_DIR)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(parts)
    return env


@contextlib.contextmanager
def routed(double_url: str, blob_url: str | None = None) -> Iterator[None]:
    """Route this process's Azure SDK traffic to the double while the context is active."""
    saved = dict(os.environ)
    os.environ.update(routing_env(double_url, blob_url))
    if not blob_url:
        os.environ.pop(ENV_BLOB_URL, None)
    inject = _inject()
    inject.install()
    # RunHistoryConstants reads AZUREML_RUN_POLLING_INTERVAL_MIN at import; azure.ai.ml may already be imported.
    constants = sys.modules.get("azure.ai.ml.operations._run_history_constants")
    old_min = None
    if constants is not None:
        old_min = constants.RunHistoryConstants._WAIT_COMPLETION_POLLING_INTERVAL_MIN
        constants.RunHistoryConstants._WAIT_COMPLETION_POLLING_INTERVAL_MIN = 0
    try:
        yield
    finally:
        if constants is not None:
            constants.RunHistoryConstants._WAIT_COMPLETION_POLLING_INTERVAL_MIN = old_min
        os.environ.clear()
        os.environ.update(saved)
