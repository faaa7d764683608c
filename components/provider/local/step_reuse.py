"""Pipeline step reuse: a step doing what a completed step did before takes that step's outputs instead of running.

As on Azure ML, a command or sweep step is reused when its component is deterministic
(`is_deterministic`, true unless set false), the pipeline's `settings.force_rerun` is not true,
and its fingerprint matches a step that completed earlier in this workspace, in any pipeline
job. The fingerprint covers what the step runs: its component, command and the rest of its
job's fields, its code (by content, as its snapshot copies it), its environment and its
inputs, where an input bound to another step's output stands for that step's fingerprint: a
changed step runs again, and so does every step downstream of it.

A reused step's outputs are hard links to the earlier step's files (copies where a link is
impossible) in its own folder, so they stay whole when the earlier job's folder goes, as a
replace deletes it right after creating the new job. The copy is checked against what the
earlier step recorded of its files (names and sizes): one that was being deleted meanwhile
is not handed on half copied, and the step runs instead.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.provider.local.environments import environment_identity
from components.provider.local.files import linked_copy
from components.provider.local.job import JobContext, code_path
from components.provider.local.layout import Layout
from components.provider.local.progress import report
from components.provider.local.records import read_record, write_record
from components.provider.local.runs import code_digest, started_runs
from components.provider.local.workspace import LocalWorkspace

STEP_RECORD = "step.json"
REUSED_FROM_TAG = "azureml.reused_from"
"""On a reused step's MLflow run: the `<job>/<step>` whose outputs it took."""
REUSED_RUN_TAG = "azureml.reused_run_id"
"""On a reused step's MLflow run: the MLflow run of the step whose outputs it took."""
# A component's fields that change nothing it does (a step's compute only says where it runs).
_DESCRIPTIVE = ("$schema", "description", "tags", "display_name", "compute")


@dataclass(frozen=True)
class _Earlier:
    """An earlier step whose outputs were linked for a step reusing it."""

    source: str
    """`<job>/<step>`: the earlier step whose outputs were taken."""
    run_id: str | None
    outputs: dict[str, Path]
    manifest: str
    """Of its outputs' files (see `outputs_manifest`)."""


def is_deterministic(component: Mapping[str, Any]) -> bool:
    return str(component.get("is_deterministic", True)).lower() != "false"


def forces_rerun(settings: Mapping[str, Any] | None) -> bool:
    return str((settings or {}).get("force_rerun", False)).lower() == "true"


def step_fingerprint(
    kind: str,
    component: Mapping[str, Any],
    definition: Mapping[str, Any],
    inputs: Mapping[str, Any],
    base_dir: Path,
    layout: Layout,
    subject: str,
) -> str:
    """The hash of what a command or sweep step does; `inputs` are its inputs' identities (see the module docstring)."""
    run = definition.get("trial") or definition  # a sweep's trial holds its code and environment
    content = {
        "kind": kind,
        "component": {key: value for key, value in component.items() if key not in _DESCRIPTIVE},
        "job": {key: value for key, value in definition.items() if key not in ("compute", "inputs")},
        "inputs": inputs,
        "code": code_digest(code_path(run.get("code"), base_dir, subject), layout.path),
        "environment": environment_identity(layout, run.get("environment"), base_dir, subject),
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


def outputs_manifest(outputs: Mapping[str, Path]) -> str:
    """A digest of the outputs' file names and sizes: enough to tell a whole copy from a partial one."""
    entries = [
        [name, path.exists(), [[str(f.relative_to(path)), f.stat().st_size] for f in _files(path)]]
        for name, path in sorted(outputs.items())
    ]
    return hashlib.sha256(json.dumps(entries).encode()).hexdigest()


def _files(output: Path) -> list[Path]:
    if output.is_file():
        return [output]
    return sorted(path for path in output.rglob("*") if path.is_file())


def reused_outputs(job: JobContext, record: Mapping[str, Any], allowed: bool, workspace: LocalWorkspace) -> dict[str, Path] | None:
    """The outputs of an earlier completed step with the fingerprint in the step's `record`, taken instead of running
    it (`allowed`: its pipeline does not force a rerun); None: it runs.

    Decided before the step starts any process: a step reused before its deployment was interrupted stays reused,
    and one that started a process then is never reused (its run is waited for or adopted)."""
    folder, fingerprint = job.folder, record["fingerprint"]
    own = read_record(folder / STEP_RECORD)
    if own is not None and own.get("reused_from") and own["status"] == "Completed" and own.get("fingerprint") == fingerprint:
        workspace.tracking.finish_run(own["run_id"], "FINISHED")  # the interruption may have come just before
        report(job.subject, f"reused from {own['reused_from']} (before its deployment was interrupted)")
        return {name: Path(path) for name, path in own["outputs"].items()}
    if not allowed or started_runs(folder):
        return None
    earlier = _reuse_earlier(workspace.layout, fingerprint, folder)
    if earlier is None:
        return None
    tags = {**job.tags, REUSED_FROM_TAG: earlier.source, REUSED_RUN_TAG: earlier.run_id or ""}
    run_id = workspace.tracking.start_run(job.experiment_id, job.name, tags)
    now = time.time()
    outputs = {name: str(path) for name, path in earlier.outputs.items()}
    reused = {"status": "Completed", "run_id": run_id, "reused_from": earlier.source, "outputs": outputs, "started": now, "ended": now}
    write_record(folder / STEP_RECORD, {**record, **reused, "outputs_manifest": earlier.manifest})
    workspace.tracking.finish_run(run_id, "FINISHED")
    report(job.subject, f"reused from {earlier.source}")
    return earlier.outputs


def _reuse_earlier(layout: Layout, fingerprint: str, folder: Path) -> _Earlier | None:
    """The outputs of the newest completed step with this fingerprint, linked into `folder/outputs/`; None if no
    earlier step's outputs are whole. Only for a step folder in which nothing ever ran: it clears its outputs."""
    for earlier_folder, record in sorted(_completed_steps(layout, fingerprint), key=lambda found: -found[1].get("ended", 0)):
        if earlier_folder == folder:
            continue
        outputs = _linked_outputs(record, folder / "outputs")
        if outputs is not None:
            source = "/".join([earlier_folder.relative_to(layout.jobs).parts[0], record["name"]])
            return _Earlier(source, record.get("run_id"), outputs, record["outputs_manifest"])
    return None


def _completed_steps(layout: Layout, fingerprint: str) -> Iterator[tuple[Path, dict[str, Any]]]:
    for steps in layout.jobs.glob("*/steps"):
        for folder, record in _step_records(steps):
            if record.get("status") == "Completed" and record.get("fingerprint") == fingerprint and record.get("outputs_manifest"):
                yield folder, record


def _step_records(steps: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    """The step records below a pipeline's (or a nested pipeline step's) folder, nested steps included."""
    try:
        folders = [folder for folder in steps.iterdir() if folder.is_dir()]
    except FileNotFoundError:  # its job is being deleted
        return
    for folder in folders:
        record = read_record(folder / STEP_RECORD)
        if record is None:
            continue
        yield folder, record
        if record.get("kind") == "pipeline":
            yield from _step_records(folder)


def _linked_outputs(record: Mapping[str, Any], target: Path) -> dict[str, Path] | None:
    shutil.rmtree(target, ignore_errors=True)  # what an interrupted attempt linked
    outputs = {name: target / name for name in record["outputs"]}
    try:
        for name, source in record["outputs"].items():
            if Path(source).exists():
                linked_copy(Path(source), outputs[name])
        if outputs_manifest(outputs) == record["outputs_manifest"]:
            return outputs
    except OSError:  # its files went while they were linked
        pass
    shutil.rmtree(target, ignore_errors=True)
    return None
