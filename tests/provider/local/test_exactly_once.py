"""Exactly once under hard kills: a run a killed provider process started is waited for or adopted, never started again.

One provider process of its own (as the engine's provider host is) submits a handful of jobs at
once and is killed with SIGKILL while they run; each test then takes one of them over. Every
job's script appends a line to a file per execution, and the MLflow store counts the runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient
from mlflow.entities import ViewType

from components.provider.local.backend import LocalBackend
from components.provider.local.errors import JobFailedError
from components.provider.local.process import RunState, run_state, settle
from components.provider.local.venvs import CACHE_VARIABLE
from tests.provider.local.builders import (
    ROOT,
    add_stack_python,
    command_job,
    fresh_backend,
    job_props,
    sweep_job,
    workspace_props,
    write_script,
)
from tests.reliability.interrupted_stack import alive

_PROVIDER = """
import json, sys, threading
from components.provider.local.backend import LocalBackend
jobs = json.loads(sys.argv[1])
backend = LocalBackend(jobs[0]["workspace"])
threads = [threading.Thread(target=backend.submit_job, args=(props,)) for props in jobs]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
"""
_COUNT = "import sys, time; time.sleep(float(sys.argv[2])); open(sys.argv[1], 'a').write('ran\\n')\n"
_WAIT = "import os, sys, time\nwhile not os.path.exists(sys.argv[2]): time.sleep(0.05)\nopen(sys.argv[1], 'a').write('ran\\n')\n"
_HANG = "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpgid(0))); time.sleep(120)\n"
_FAIL = "import time; time.sleep(0.5); raise SystemExit('diverged')\n"
_TRIAL = """\
import sys, time, mlflow
time.sleep(1)
open(sys.argv[1], "a").write("ran\\n")
mlflow.log_metric("accuracy", float(sys.argv[2]))
"""


@dataclass(frozen=True)
class Killed:
    """Jobs whose provider process was killed mid-run, by name: their props, and where each counts its executions."""

    backend: LocalBackend
    workspace: dict[str, Any]
    project: Path
    jobs: dict[str, dict[str, Any]]

    def folder(self, name: str) -> Path:
        return Path(self.workspace["root"]) / "jobs" / name

    def executions(self, name: str) -> int:
        path = self.project / f"{name}.count"
        return len(path.read_text().splitlines()) if path.exists() else 0

    def mlflow_runs(self, name: str) -> list[Any]:
        client = MlflowClient(f"sqlite:///{self.workspace['root']}/mlflow.db")
        experiments = [experiment.experiment_id for experiment in client.search_experiments(view_type=ViewType.ALL)]
        runs = client.search_runs(experiments, run_view_type=ViewType.ALL, max_results=1000)
        return [run for run in runs if run.info.run_name == name]


def wait_until(condition: Callable[[], Any], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def _definitions(project: Path) -> dict[str, dict[str, Any]]:
    for name, body in {"count.py": _COUNT, "wait.py": _WAIT, "hang.py": _HANG, "fail.py": _FAIL, "trial.py": _TRIAL}.items():
        write_script(project / "src", name, body)
    sweep = sweep_job(f"python trial.py {project / 'sweep.count'} ${{{{search_space.c}}}}", {"c": {"type": "choice", "values": [1, 2]}})
    sweep["limits"] = {"max_total_trials": 2, "max_concurrent_trials": 1}
    return {
        "running": command_job(f"python wait.py {project / 'running.count'} {project / 'running.release'}"),
        "finished": command_job(f"python wait.py {project / 'finished.count'} {project / 'finished.release'}"),
        "failing": command_job("python fail.py"),
        "long": command_job(f"python count.py {project / 'long.count'} 120"),
        "lost": command_job(f"python hang.py {project / 'lost.group'}"),
        "sweep": sweep,
        "pipeline": {
            "type": "pipeline",
            "jobs": {"prep": command_job(f"python wait.py {project / 'pipeline.count'} {project / 'pipeline.release'}")},
        },
    }


def _run_folders(root: Path) -> list[Path]:
    """Where each job's process records itself once it runs (the sweep: its second trial, the first having finished)."""
    jobs = root / "jobs"
    folders = [jobs / name for name in ("running", "finished", "failing", "long", "lost")]
    return [*folders, jobs / "sweep" / "trials" / "sweep_1", jobs / "pipeline" / "steps" / "prep"]


@pytest.fixture(scope="module")
def killed(tmp_path_factory: pytest.TempPathFactory, env_cache: Path, pristine_db: Path) -> Iterator[Killed]:
    base = tmp_path_factory.mktemp("killed")
    workspace, project = workspace_props(base / "workspace", concurrency=8), base / "project"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_VARIABLE, str(env_cache))
        backend = fresh_backend(workspace, pristine_db)
        add_stack_python(backend, workspace, project)
        jobs = {name: job_props(workspace, definition, project, name=name) for name, definition in _definitions(project).items()}
        provider = subprocess.Popen([sys.executable, "-c", _PROVIDER, json.dumps(list(jobs.values()))], cwd=ROOT, stderr=subprocess.DEVNULL)
        try:
            wait_until(lambda: all((folder / "process.json").is_file() for folder in _run_folders(Path(workspace["root"]))))
        finally:
            provider.send_signal(signal.SIGKILL)
            provider.wait()
        yield Killed(backend, workspace, project, jobs)
        settle(Path(workspace["root"]) / "jobs", [], "test")


def test_a_run_still_going_after_its_provider_was_killed_is_waited_for_not_started_again(killed: Killed) -> None:
    assert run_state(killed.folder("running")) is RunState.RUNNING, "the run outlives the provider that started it"
    (killed.project / "running.release").touch()

    assert killed.backend.submit_job(killed.jobs["running"])["status"] == "Completed"

    assert killed.executions("running") == 1
    assert [run.info.status for run in killed.mlflow_runs("running")] == ["FINISHED"]


def test_a_run_that_finished_while_no_provider_watched_is_adopted(killed: Killed, capfd: pytest.CaptureFixture[str]) -> None:
    (killed.project / "finished.release").touch()
    wait_until(lambda: run_state(killed.folder("finished")) is RunState.FINISHED)

    assert killed.backend.submit_job(killed.jobs["finished"])["status"] == "Completed"

    assert "adopting its result" in capfd.readouterr().err
    assert killed.executions("finished") == 1
    assert [run.info.status for run in killed.mlflow_runs("finished")] == ["FINISHED"]


def test_a_failure_while_no_provider_watched_is_reported_by_the_next_submit(killed: Killed) -> None:
    with pytest.raises(JobFailedError, match="exit status 1") as failed:
        killed.backend.submit_job(killed.jobs["failing"])
    assert "diverged" in str(failed.value)
    assert [run.info.status for run in killed.mlflow_runs("failing")] == ["FAILED"]


def test_a_sweep_whose_provider_was_killed_resumes_without_repeating_a_trial(killed: Killed) -> None:
    outs = killed.backend.submit_job(killed.jobs["sweep"])

    assert outs["status"] == "Completed"
    assert killed.executions("sweep") == 2
    assert {name: len(killed.mlflow_runs(name)) for name in ("sweep", "sweep_0", "sweep_1")} == dict.fromkeys(
        ("sweep", "sweep_0", "sweep_1"), 1
    )


def test_a_pipeline_step_started_before_the_kill_is_adopted_even_when_another_pipeline_completed_the_same_step(
    killed: Killed,
) -> None:
    (killed.project / "pipeline.release").touch()
    assert killed.backend.submit_job({**killed.jobs["pipeline"], "name": "pipeline-again"})["status"] == "Completed"

    assert killed.backend.submit_job(killed.jobs["pipeline"])["status"] == "Completed"

    record = json.loads((killed.folder("pipeline") / "steps" / "prep" / "step.json").read_text())
    assert record["status"] == "Completed" and "reused_from" not in record  # its own run's outputs, not the other's
    assert killed.executions("pipeline") == 2  # once per pipeline job


def test_a_run_lost_without_finishing_runs_afresh_once(killed: Killed) -> None:
    folder, group = killed.folder("lost"), killed.project / "lost.group"
    wait_until(lambda: group.is_file() and group.read_text())
    os.killpg(json.loads((folder / "process.json").read_text())["pid"], signal.SIGKILL)
    time.sleep(0.2)
    assert run_state(folder) is RunState.RUNNING, "while its command lives, the run may still run"
    os.killpg(int(group.read_text()), signal.SIGKILL)  # now all of it is gone (say, the machine rebooted)
    wait_until(lambda: run_state(folder) is RunState.NEW)

    (killed.project / "src" / "hang.py").write_text("print('the same job name: only the script changed')\n")
    assert killed.backend.submit_job(killed.jobs["lost"])["status"] == "Completed"

    assert sorted(run.info.status for run in killed.mlflow_runs("lost")) == ["FINISHED", "KILLED"]


def test_removing_a_job_stops_the_run_a_killed_deployment_left_behind(killed: Killed) -> None:
    pid = json.loads((killed.folder("long") / "process.json").read_text())["pid"]

    started = time.monotonic()
    killed.backend.remove_job(killed.jobs["long"], "archive")

    assert time.monotonic() - started < 15
    assert run_state(killed.folder("long")) is RunState.FINISHED
    assert not alive(pid)
    assert json.loads((killed.folder("long") / "job.json").read_text())["status"] == "Failed"
    assert killed.executions("long") == 0


def test_a_provider_left_running_by_a_killed_deployment_is_waited_for(
    backend: LocalBackend, workspace: dict, project: Path, stack_python: str, capfd: pytest.CaptureFixture[str]
) -> None:
    write_script(project / "src", "count.py", _COUNT)
    props = job_props(workspace, command_job(f"python count.py {project / 'orphan.count'} 1.5"), project)
    orphan = subprocess.Popen([sys.executable, "-c", _PROVIDER, json.dumps([props])], cwd=ROOT, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: (Path(workspace["root"]) / "jobs" / "job-1" / "process.json").is_file())
        assert backend.submit_job(props)["status"] == "Completed"  # its engine is gone; the orphan still drives the job
        assert orphan.wait(timeout=60) == 0
    finally:
        orphan.kill()
    assert "still runs it: waiting" in capfd.readouterr().err
    assert len((project / "orphan.count").read_text().splitlines()) == 1
