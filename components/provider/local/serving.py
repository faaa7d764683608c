"""What serves a local deployment: azmlinfsrv, the server of Azure ML's inference images, in the deployment's environment.

As Azure ML builds a deployment's image, the environment is the deployment's `environment` (one of the stack's, or
inline) or, for an MLflow model without one, the model's own (its conda.yaml, else its requirements.txt);
`azureml-inference-server-http` is added to it, at the version pinned here, unless it names the package itself. It
is built by the environment machinery (environments.py, venvs.py), so it is cached by content: an unchanged
deployment never builds it twice, and stacks share it. An environment this machine cannot build (curated, a
registry's, an image without a conda file) leaves the model's, or else the inference server alone, with a warning.

The scoring script is the deployment's `code_configuration.scoring_script`, in a snapshot of its `code` taken as a
job's code is (runs.py), or for a no-code deployment inference/mlflow_score.py. As on Azure ML, the server finds the
model in `AZUREML_MODEL_DIR`, `azureml-models/<name>/<version>` (a link to the registered version's files), and the
deployment's `environment_variables` in its environment.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from components.provider.backend import Props
from components.provider.local.conda import canonical_name
from components.provider.local.environments import built, conda_spec, environment_spec
from components.provider.local.errors import InvalidDefinitionError
from components.provider.local.job import code_path
from components.provider.local.layout import Layout
from components.provider.local.progress import warn
from components.provider.local.runs import snapshot
from components.provider.local.venvs import VenvSpec, find_interpreter

INFERENCE_SERVER = "azureml-inference-server-http==1.5.1"
_SCRIPTS = Path(__file__).resolve().parent / "inference"
_LAUNCHER = _SCRIPTS / "loopback_server.py"
_MLFLOW_SCORING_SCRIPT = _SCRIPTS / "mlflow_score.py"
_MODELS = "azureml-models"
_CODE = "code"
_SCORING_TIMEOUT = "SCORING_TIMEOUT_MS"
# What a server needs of the deployer's environment: no credentials of the deployer's reach a process that outlives it.
_PASSED_ENVIRONMENT = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")


@dataclass(frozen=True)
class Server:
    """How a deployment's server starts; kept in its record, so a refresh starts it again the same way."""

    python: str
    entry_script: str
    app_root: str
    model_dir: str
    environment_variables: dict[str, str] = field(default_factory=dict)

    def command(self, port: int) -> str:
        arguments = ["--entry_script", self.entry_script, "--model_dir", self.model_dir, "--port", str(port)]
        return f"exec {shlex.join([self.python, str(_LAUNCHER), *arguments])}"

    def environment(self, folder: Path) -> dict[str, str]:
        """The deployment's variables, then azmlinfsrv's: its app root, and a home of its own as in a container
        (gunicorn keeps its control socket there, one per server); the environment's programs come first on PATH."""
        passed = passed_environment()
        path = os.pathsep.join(filter(None, [str(Path(self.python).parent), passed.get("PATH")]))
        variables = {**passed, **self.environment_variables, "AML_APP_ROOT": self.app_root, "HOME": str(folder), "PATH": path}
        # Unbuffered, so that its log reads in order: azmlinfsrv prints its settings, gunicorn logs to stderr.
        return {**variables, "PYTHONUNBUFFERED": "1"}


def passed_environment() -> dict[str, str]:
    """What a local server (a deployment's, an endpoint's router) takes of the deployer's environment."""
    return {name: os.environ[name] for name in _PASSED_ENVIRONMENT if name in os.environ}


def prepare_server(layout: Layout, props: Props, model: tuple[str, str, Path], folder: Path, subject: str) -> Server:
    """Build (or find cached) the deployment's environment, snapshot its code, link its model: how to start it."""
    definition: Mapping[str, Any] = props.get("definition") or {}
    base_dir = layout.base / props.get("base_dir", ".")
    name, version, files = model
    model_dir = folder / _MODELS / name / version
    _link(model_dir, files)
    app_root, entry_script = _scoring_script(layout, definition, base_dir, folder, subject)
    variables = server_variables(definition)
    python = built(with_inference_server(_environment(layout, definition, base_dir, files, subject)), subject).python
    return Server(python, str(entry_script), str(app_root), str(model_dir), variables)


def server_variables(definition: Mapping[str, Any]) -> dict[str, str]:
    """The deployment's `environment_variables`, and its `request_settings.request_timeout_ms` as azmlinfsrv's
    SCORING_TIMEOUT_MS (the scoring timeout the setting is on Azure ML:
    https://learn.microsoft.com/azure/machine-learning/reference-yaml-deployment-managed-online#requestsettings),
    unless the variables set it themselves."""
    variables = {str(k): str(v) for k, v in (definition.get("environment_variables") or {}).items()}
    request_settings = definition.get("request_settings")
    timeout = request_settings.get("request_timeout_ms") if isinstance(request_settings, Mapping) else None
    if timeout is not None:
        variables.setdefault(_SCORING_TIMEOUT, str(int(timeout)))
    return variables


def _environment(layout: Layout, definition: Mapping[str, Any], base_dir: Path, model_files: Path, subject: str) -> VenvSpec:
    """The deployment's environment, else the model's, else none but the inference server's."""
    spec = None
    if definition.get("environment") is not None:
        spec = environment_spec(layout, definition["environment"], base_dir, subject)
        if spec is None:
            why = "curated, a registry's, or an image without a conda file"
            warn(subject, f"its environment cannot be built on this machine ({why}): it is served in its model's environment")
    spec = spec or model_environment(model_files, subject)
    if spec is None:
        warn(subject, "neither the deployment nor its model brings an environment built here: only the inference server is installed")
        return VenvSpec(find_interpreter(None, subject), (), False)
    return spec


def model_environment(files: Path, subject: str) -> VenvSpec | None:
    """An MLflow model's own environment, as it logged it: conda.yaml, else requirements.txt; None for neither."""
    if (files / "conda.yaml").is_file():
        return conda_spec(yaml.safe_load((files / "conda.yaml").read_text()) or {}, subject)
    if (files / "requirements.txt").is_file():
        lines = (line.strip() for line in (files / "requirements.txt").read_text().splitlines())
        return VenvSpec(find_interpreter(None, subject), tuple(line for line in lines if line and not line.startswith("#")), False)
    return None


def with_inference_server(spec: VenvSpec) -> VenvSpec:
    """The environment and the inference server, unless it names its own (its pin wins, as in its image on Azure ML)."""
    if any(canonical_name(line) == canonical_name(INFERENCE_SERVER) for line in spec.requirements if not line.startswith("-")):
        return spec
    return VenvSpec(spec.interpreter, (*spec.requirements, INFERENCE_SERVER), spec.pip)


def _scoring_script(layout: Layout, definition: Mapping[str, Any], base_dir: Path, folder: Path, subject: str) -> tuple[Path, Path]:
    """The app root and the scoring script: the deployment's, in a snapshot of its code, or ours for an MLflow model."""
    code_configuration = definition.get("code_configuration") or {}
    if not code_configuration:
        return folder, _MLFLOW_SCORING_SCRIPT
    app_root = folder / _CODE
    snapshot(code_path(code_configuration.get("code"), base_dir, subject), app_root, layout.path)
    script = app_root / str(code_configuration.get("scoring_script") or "")
    if not script.is_file():
        raise InvalidDefinitionError(
            f"{subject}: code_configuration.scoring_script {code_configuration.get('scoring_script')!r} is not a file of its code"
        )
    return app_root, script


def _link(link: Path, target: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(target, target_is_directory=True)
