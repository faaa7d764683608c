"""Online endpoints on this machine: a router per endpoint, azmlinfsrv per deployment (serving.py), no Docker.

Each server is a long-lived local process kept the way a job's run is kept (process.py and
supervisor.py): started in a session of its own so it outlives `pulumi up`, found again through
its folder (`process.json`: pid and start time; `process.lock`: held while anything of it
runs), never trusted when stale, and stopped deliberately by destroy. A server that died (the
machine rebooted) is started again, on the port it had, when `pulumi refresh` (or `up
--refresh`) reads it; so its scoring URI never changes.

The endpoint's keys are generated here and returned as outputs, which the resource keeps as
Pulumi secrets; on disk only their SHA-256 digests, for the router to compare with.
"""

from __future__ import annotations

import secrets
import shlex
import shutil
import socket
import sys
import time
import urllib.request
from dataclasses import asdict
from pathlib import Path
from typing import Any

from components.provider.backend import Outs, Props
from components.provider.local.endpoint_router import key_digest
from components.provider.local.errors import LocalTargetError
from components.provider.local.http_service import LOOPBACK
from components.provider.local.layout import DEPLOYMENT_RECORD, ENDPOINT_RECORD, TRAFFIC_RECORD
from components.provider.local.process import RunState, log_tail, run_state, running_in, start_process, stop_runs
from components.provider.local.progress import report
from components.provider.local.records import read_record, write_record
from components.provider.local.references import parse_asset_reference
from components.provider.local.serving import Server, passed_environment, prepare_server
from components.provider.local.workspace import LocalWorkspace
from components.provider.props import digest
from components.provider.registry_uris import registry_model

KEYS = ("primary_key", "secondary_key")
SERVER_LOG = "server.log"
# Importing MLflow and loading a model takes seconds (azmlinfsrv's worker runs the scoring script's init() before it
# answers), many more on a busy machine.
_READY_SECONDS = 180.0
# azmlinfsrv follows a failed init()'s traceback with the model folder's listing and gunicorn's farewell.
_LOG_TAIL_LINES = 40
_CODE_ROOT = Path(__file__).resolve().parents[3]


def put_endpoint(workspace: LocalWorkspace, props: Props) -> Outs:
    """Start (or keep) the endpoint's router; keys given in `props` (an update) are kept, otherwise new ones are made."""
    name, folder = props["name"], workspace.layout.endpoint_dir(props["name"])
    keys = {key: props.get(key) or secrets.token_urlsafe(32) for key in KEYS}
    port = _port(folder / ENDPOINT_RECORD)
    write_record(folder / ENDPOINT_RECORD, {"name": name, "port": port, "key_digests": [key_digest(k) for k in keys.values()]})
    _keep_routing(folder, port, f"endpoint {name}")
    return {**keys, **_endpoint_outs(port)}


def read_endpoint(workspace: LocalWorkspace, outs: Props) -> Outs | None:
    folder = workspace.layout.endpoint_dir(outs["name"])
    record = read_record(folder / ENDPOINT_RECORD)
    if record is None:
        return None
    _keep_routing(folder, int(record["port"]), f"endpoint {outs['name']}")
    return _endpoint_outs(int(record["port"]))


def delete_endpoint(workspace: LocalWorkspace, outs: Props) -> None:
    """Stop the router (and any deployment server left under it), then remove the endpoint's folder."""
    folder = workspace.layout.endpoint_dir(outs["name"])
    stop_runs(running_in(folder))
    shutil.rmtree(folder, ignore_errors=True)


def put_deployment(workspace: LocalWorkspace, props: Props) -> Outs:
    """Serve the deployment: a new model, code or definition restarts its server, on its port."""
    subject = f"deployment {props['endpoint_name']}/{props['name']}"
    folder = workspace.layout.deployment_dir(props["endpoint_name"], props["name"])
    record = read_record(folder / DEPLOYMENT_RECORD)
    model = _model(workspace, props["model"], record, subject)
    server = prepare_server(workspace.layout, props, model, folder, subject)
    serves = {"model": props["model"], "model_files": [model[0], model[1], str(model[2])], "code_hash": props.get("code_hash")}
    serves |= {"server": asdict(server), "definition": digest(props.get("definition") or {})}
    restart = record is not None and record.get("serves") != serves
    if restart:
        changed = f"{props['model']} instead of {record.get('model')}" if record.get("model") != props["model"] else "its new definition"
        report(subject, f"serving {changed}")
        stop_runs(running_in(folder))
    port = _port(folder / DEPLOYMENT_RECORD)
    _keep_serving(folder, server.command(port), server.environment(folder), Path(server.app_root), port, subject, restart)
    # Written once it answers: the router sends requests only to a deployment whose record exists.
    write_record(folder / DEPLOYMENT_RECORD, {"name": props["name"], "port": port, "model": props["model"], "serves": serves})
    return {"port": port}


def _model(workspace: LocalWorkspace, reference: str, record: dict[str, Any] | None, subject: str) -> tuple[str, str, Path]:
    """The model's name, version and files. A version never changes: when the deployment already serves the version
    `reference` names, its files are those (so an update that only starts a dead server again opens no registry,
    whose MLflow import takes seconds)."""
    served = (record or {}).get("serves") or {}
    exact = registry_model(reference) is not None or parse_asset_reference(reference, subject).version is not None
    if served.get("model") == reference and exact:
        name, version, files = served["model_files"]
        if Path(files).is_dir():
            return name, version, Path(files)
    from components.provider.local.models import model_files  # the registry imports MLflow: only here

    return model_files(workspace, reference, subject)


def read_deployment(workspace: LocalWorkspace, outs: Props) -> Outs | None:
    folder = workspace.layout.deployment_dir(outs["endpoint_name"], outs["name"])
    record = read_record(folder / DEPLOYMENT_RECORD)
    if record is None or "serves" not in record:  # none, or one of a server of ours before azmlinfsrv: `up` makes it again
        return None
    subject = f"deployment {outs['endpoint_name']}/{outs['name']}"
    server, port = Server(**record["serves"]["server"]), int(record["port"])
    _keep_serving(folder, server.command(port), server.environment(folder), Path(server.app_root), port, subject)
    return {"port": port}


def delete_deployment(workspace: LocalWorkspace, outs: Props) -> None:
    folder = workspace.layout.deployment_dir(outs["endpoint_name"], outs["name"])
    (folder / DEPLOYMENT_RECORD).unlink(missing_ok=True)  # the router sends it no more requests first
    stop_runs(running_in(folder))
    shutil.rmtree(folder, ignore_errors=True)


def put_traffic(workspace: LocalWorkspace, props: Props) -> Outs:
    shares = {"traffic": dict(props.get("traffic") or {}), "mirror_traffic": dict(props.get("mirror_traffic") or {})}
    write_record(workspace.layout.endpoint_dir(props["name"]) / TRAFFIC_RECORD, shares)
    return shares


def read_traffic(workspace: LocalWorkspace, outs: Props) -> Outs | None:
    return read_record(workspace.layout.endpoint_dir(outs["name"]) / TRAFFIC_RECORD)


def delete_traffic(workspace: LocalWorkspace, outs: Props) -> None:
    """No traffic: the router sends a request only to a deployment its header names."""
    (workspace.layout.endpoint_dir(outs["name"]) / TRAFFIC_RECORD).unlink(missing_ok=True)


def _endpoint_outs(port: int) -> Outs:
    return {"port": port, "scoring_uri": f"http://{LOOPBACK}:{port}/score"}


def _port(record: Path) -> int:
    """The port the server had (its URI stays), or a free one for a new server."""
    known = read_record(record)
    if known is not None:
        return int(known["port"])
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def _keep_routing(folder: Path, port: int, subject: str) -> None:
    """The endpoint's router, in the stack's Python."""
    command = f"exec {shlex.join([sys.executable, '-m', 'components.provider.local.endpoint_router', str(folder), str(port)])}"
    _keep_serving(folder, command, {**passed_environment(), "PYTHONPATH": str(_CODE_ROOT)}, folder, port, subject)


def _keep_serving(
    folder: Path, command: str, environment: dict[str, str], cwd: Path, port: int, subject: str, stopped_here: bool = False
) -> None:
    """Start the server under its supervisor unless it still runs (`stopped_here`: this call's caller stopped it);
    return once it answers."""
    if run_state(folder) is RunState.RUNNING:
        return
    if (folder / SERVER_LOG).exists() and not stopped_here:
        report(subject, f"its server had stopped; starting it again on port {port}")
    started = time.monotonic()
    start_process(command, cwd, environment, folder / SERVER_LOG, None, folder)
    _wait_until_answering(folder, port, subject)
    report(subject, f"answering on port {port} after {time.monotonic() - started:.1f} s")


def _wait_until_answering(folder: Path, port: int, subject: str) -> None:
    deadline = time.monotonic() + _READY_SECONDS
    while time.monotonic() < deadline:
        if run_state(folder) is not RunState.RUNNING:
            raise LocalTargetError(
                f"{subject}: its server exited before it answered on port {port}.\n{log_tail(folder / SERVER_LOG, _LOG_TAIL_LINES)}"
            )
        try:
            with urllib.request.urlopen(f"http://{LOOPBACK}:{port}/", timeout=5):
                return
        except OSError:
            time.sleep(0.2)
    stop_runs([folder])
    why = f"its server did not answer on port {port} within {_READY_SECONDS:.0f} s"
    raise LocalTargetError(f"{subject}: {why}.\n{log_tail(folder / SERVER_LOG, _LOG_TAIL_LINES)}")
