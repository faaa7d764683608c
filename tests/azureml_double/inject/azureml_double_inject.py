"""Route the Azure SDK for Python to the loopback Azure ML double (test harness only).

Activated by the environment variable ``AZUREML_DOUBLE_URL`` (e.g. ``http://127.0.0.1:40123``).
``sitecustomize.py`` next to this file imports it at interpreter start in every Python process that
has this directory on ``PYTHONPATH``; the test process can call :func:`install` directly.

Nothing from ``azure`` is imported here: a ``sys.meta_path`` hook waits for
``azure.core.pipeline.transport._requests_basic`` to be imported and then wraps
``RequestsTransport.send`` so that each outgoing request is routed:

* ``management.azure.com``, ``*.api.azureml.ms`` (regional discovery / run history / MFE),
  ``*.azureml.net``, the Entra ID login hosts  -> the double (``AZUREML_DOUBLE_URL``), with the
  original ``scheme://host`` in the ``x-azureml-double-upstream`` header;
* ``<account>.blob.core.windows.net``  -> Azurite (``AZUREML_DOUBLE_BLOB_URL``), same path, original
  ``Host`` header (Azurite's production-style URL support), if that variable is set;
* loopback hosts (Azurite's SAS URLs, the double itself) -> unchanged;
* anything else -> refused at once with :class:`AzureMLDoubleBlockedError` (deliberately not an
  ``AzureError``, so no retry policy retries it) so that a test can never reach Azure.

Routing happens in the transport, below all pipeline policies, so the SDK still signs, retries and
authenticates the original ``https://`` URL (bearer-token policy HTTPS checks stay satisfied).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
from urllib.parse import urlsplit, urlunsplit

ENV_URL = "AZUREML_DOUBLE_URL"
ENV_BLOB_URL = "AZUREML_DOUBLE_BLOB_URL"
UPSTREAM_HEADER = "x-azureml-double-upstream"
HOST_PREFIX = "host:"
TARGET_MODULE = "azure.core.pipeline.transport._requests_basic"

# Fake service principal: DefaultAzureCredential -> EnvironmentCredential -> ClientSecretCredential,
# whose MSAL traffic (login.microsoftonline.com) goes to the double's token endpoint.
FAKE_TENANT_ID = "72f988bf-0000-4000-8000-00000000d0b1"
FAKE_CLIENT_ID = "00000000-0000-4000-8000-0000000c11e7"
FAKE_CLIENT_SECRET = "azureml-double-not-a-secret"

_DOUBLE_HOST_SUFFIXES = (
    ".api.azureml.ms",
    ".azureml.ms",
    ".azureml.net",
    ".login.microsoft.com",
)
_DOUBLE_HOSTS = {
    "management.azure.com",
    "login.microsoftonline.com",
    "login.microsoft.com",
    "login.windows.net",
    "sts.windows.net",
}
_BLOB_SUFFIX = ".blob.core.windows.net"
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}

_installed = False


class AzureMLDoubleBlockedError(Exception):
    """A request to a host the harness does not route (never reaches the network)."""


def double_url() -> str | None:
    return os.environ.get(ENV_URL) or None


def route(url: str) -> tuple[str, str | None] | None:
    """Return ``(new_url, upstream)`` for a URL, ``None`` to leave it alone; raise if blocked.

    ``upstream`` is the original ``scheme://host`` when the request goes to the double (sent as the
    ``x-azureml-double-upstream`` header), or ``"host:<netloc>"`` for a blob request to Azurite (sent as ``Host``).
    """
    base = double_url()
    if not base:
        return None
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host in _LOOPBACK or host.startswith("127."):
        return None
    if host in _DOUBLE_HOSTS or host.endswith(_DOUBLE_HOST_SUFFIXES):
        b = urlsplit(base)
        new = urlunsplit((b.scheme, b.netloc, parts.path, parts.query, parts.fragment))
        return new, f"{parts.scheme}://{parts.netloc}"
    blob = os.environ.get(ENV_BLOB_URL)
    if blob and host.endswith(_BLOB_SUFFIX):
        # Same path, original Host header: Azurite then reads the account from the host name
        # ("production-style URL"), and the Shared Key signature (which covers /<account>/<path>) still matches.
        b = urlsplit(blob.rstrip("/"))
        new = urlunsplit((b.scheme, b.netloc, parts.path, parts.query, parts.fragment))
        return new, HOST_PREFIX + parts.netloc
    raise AzureMLDoubleBlockedError(
        f"azureml double harness refused a request to {parts.scheme}://{parts.netloc} "
        f"(only Azure ML / ARM / login / blob hosts are routed; {ENV_URL}={base})"
    )


def _patch_transport(module) -> None:
    cls = module.RequestsTransport
    if getattr(cls.send, "_azureml_double", False):
        return
    original_send = cls.send

    def send(self, request, **kwargs):
        routed = route(request.url)  # raises AzureMLDoubleBlockedError for hosts that are not routed
        if routed is None:
            return original_send(self, request, **kwargs)
        new_url, upstream = routed
        original_url = request.url
        request.url = new_url
        if upstream and upstream.startswith(HOST_PREFIX):
            request.headers["Host"] = upstream[len(HOST_PREFIX) :]
        elif upstream:
            request.headers[UPSTREAM_HEADER] = upstream
        try:
            return original_send(self, request, **kwargs)
        finally:
            request.url = original_url

    send._azureml_double = True  # type: ignore[attr-defined]
    cls.send = send


class _PatchingLoader(importlib.abc.Loader):
    def __init__(self, inner):
        self._inner = inner

    def create_module(self, spec):
        return self._inner.create_module(spec)

    def exec_module(self, module):
        self._inner.exec_module(module)
        _patch_transport(module)

    def __getattr__(self, name):  # get_code, get_source, ... for tools that ask
        return getattr(self._inner, name)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname != TARGET_MODULE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _PatchingLoader(spec.loader)
        return spec


def _set_credential_env() -> None:
    os.environ["AZURE_TENANT_ID"] = FAKE_TENANT_ID
    os.environ["AZURE_CLIENT_ID"] = FAKE_CLIENT_ID
    os.environ["AZURE_CLIENT_SECRET"] = FAKE_CLIENT_SECRET
    for name in (
        "AZURE_AUTHORITY_HOST",
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "AZURE_CLIENT_CERTIFICATE_PASSWORD",
        "AZURE_USERNAME",
        "AZURE_PASSWORD",
        "AZURE_FEDERATED_TOKEN_FILE",
        "IDENTITY_ENDPOINT",
        "MSI_ENDPOINT",
    ):
        os.environ.pop(name, None)


def install() -> bool:
    """Install the routing hook if ``AZUREML_DOUBLE_URL`` is set. Idempotent; returns whether active."""
    global _installed
    if not double_url():
        return False
    _set_credential_env()
    if not _installed:
        _installed = True
        sys.meta_path.insert(0, _Finder())
    module = sys.modules.get(TARGET_MODULE)
    if module is not None and hasattr(module, "RequestsTransport"):
        _patch_transport(module)
    return True
