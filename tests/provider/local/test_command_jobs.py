"""Command jobs run once, as Azure ML runs them, in a folder of their own."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient

from components.provider.local.backend import LocalBackend
from components.provider.local.errors import InvalidDefinitionError, JobFailedError, NotFoundLocallyError, UnsupportedLocallyError
from tests.provider.local.builders import NewBackend, add_stack_python, command_job, job_props, workspace_props, write_script


def submit(backend: LocalBackend, workspace: dict, project: Path, definition: dict[str, Any], **extra: Any) -> dict[str, Any]:
    props = job_props(workspace, definition, project, **extra)
    return {**props, **backend.submit_job(props)}


def job_dir(workspace: dict, name: str = "job-1") -> Path:
    return Path(workspace["root"]) / "jobs" / name


def log(workspace: dict, name: str = "job-1") -> str:
    return (job_dir(workspace, name) / "user_logs" / "std_log.txt").read_text()


@pytest.mark.usefixtures("stack_python")
def test_a_job_writes_its_outputs_into_its_own_folder(backend: LocalBackend, workspace: dict, project: Path) -> None:
    write_script(project / "src", "train.py", "import sys; open(sys.argv[1] + '/model.txt', 'w').write('trained')\n")
    outs = submit(backend, workspace, project, command_job("python train.py ${{outputs.model}}", outputs={"model": {"type": "uri_folder"}}))
    assert outs["status"] == "Completed"
    assert outs["outputs"] == {"model": str(job_dir(workspace) / "outputs" / "model")}
    assert (Path(outs["outputs"]["model"]) / "model.txt").read_text() == "trained"
    assert outs["url"] == job_dir(workspace).as_uri()


@pytest.mark.usefixtures("stack_python")
def test_a_job_runs_in_a_snapshot_of_its_code(backend: LocalBackend, workspace: dict, project: Path) -> None:
    write_script(project / "src", "where.py", "import os; print('cwd=' + os.getcwd())\n")
    submit(backend, workspace, project, command_job("python where.py"))
    assert f"cwd={job_dir(workspace) / 'code'}" in log(workspace)
    assert (job_dir(workspace) / "code" / "where.py").is_file()


@pytest.mark.usefixtures("stack_python")
def test_stdout_and_stderr_go_to_the_jobs_log(backend: LocalBackend, workspace: dict, project: Path) -> None:
    write_script(project / "src", "talk.py", "import sys; print('to stdout'); print('to stderr', file=sys.stderr)\n")
    submit(backend, workspace, project, command_job("python talk.py"))
    assert {"to stdout", "to stderr"} <= set(log(workspace).splitlines())


@pytest.mark.usefixtures("stack_python")
def test_python_is_the_environments_interpreter(backend: LocalBackend, workspace: dict, project: Path) -> None:
    submit(backend, workspace, project, command_job("python -c 'import sys; print(sys.executable)'"))
    assert sys.executable in log(workspace)


@pytest.mark.usefixtures("stack_python")
def test_inputs_resolve_to_literals_local_paths_data_assets_and_datastores(backend: LocalBackend, workspace: dict, project: Path) -> None:
    (project / "local.csv").write_text("local")
    (project / "asset.csv").write_text("asset")
    backend.put_data(
        {
            "workspace": workspace,
            "name": "asset",
            "version": "3",
            "definition": {"type": "uri_file", "path": "asset.csv"},
            "content_hash": "h",
            "base_dir": str(project),
        }
    )
    store = backend.put_datastore({"workspace": workspace, "name": "lake", "definition": {"type": "azure_blob"}, "credentials": {}})
    (Path(store["path"]) / "raw").mkdir()
    (Path(store["path"]) / "raw" / "store.csv").write_text("store")
    inputs = {
        "rate": 0.5,
        "local": {"type": "uri_file", "path": "local.csv"},
        "asset": {"type": "uri_file", "path": "azureml:asset:3"},
        "store": {"type": "uri_file", "path": "azureml://datastores/lake/paths/raw/store.csv"},
    }
    write_script(project / "src", "read.py", "import sys; print(sys.argv[1], *(open(p).read() for p in sys.argv[2:]))\n")
    command = "python read.py ${{inputs.rate}} ${{inputs.local}} ${{inputs.asset}} ${{inputs.store}}"
    submit(backend, workspace, project, command_job(command, inputs=inputs))
    assert "0.5 local asset store" in log(workspace)


@pytest.mark.usefixtures("stack_python")
def test_an_optional_argument_is_dropped_when_its_input_is_absent(backend: LocalBackend, workspace: dict, project: Path) -> None:
    write_script(project / "src", "args.py", "import sys; print('args=' + repr(sys.argv[1:]))\n")
    submit(
        backend,
        workspace,
        project,
        command_job("python args.py $[[--seed ${{inputs.seed}}]] --fast", inputs={"seed": {"type": "integer", "optional": True}}),
    )
    assert "args=['--fast']" in log(workspace)


@pytest.mark.usefixtures("stack_python")
def test_azure_ml_variables_and_the_jobs_own_are_set(backend: LocalBackend, workspace: dict, project: Path) -> None:
    script = """
        import os
        for name in ("AZURE_ML_OUTPUT_model", "GREETING", "AZUREML_RUN_ID"):
            print(f"{name}={os.environ.get(name)}")
    """
    write_script(project / "src", "env.py", script)
    definition = command_job("python env.py", outputs={"model": {"type": "uri_folder"}}, environment_variables={"GREETING": "hi"})
    submit(backend, workspace, project, definition)
    expected = {f"AZURE_ML_OUTPUT_model={job_dir(workspace) / 'outputs' / 'model'}", "GREETING=hi", "AZUREML_RUN_ID=job-1"}
    assert expected <= set(log(workspace).splitlines())


@pytest.mark.usefixtures("stack_python")
def test_a_non_zero_exit_fails_with_the_status_and_the_logs_last_lines(backend: LocalBackend, workspace: dict, project: Path) -> None:
    write_script(project / "src", "fail.py", "import sys\nfor i in range(1, 31): print(f'line {i}')\nsys.exit(3)\n")
    with pytest.raises(JobFailedError) as failure:
        submit(backend, workspace, project, command_job("python fail.py"))
    message = str(failure.value)
    assert "job job-1 failed with exit status 3" in message
    assert "line 30" in message and "line 11" in message and "line 10\n" not in message


@pytest.mark.usefixtures("stack_python")
def test_a_job_that_outlives_its_timeout_is_stopped_and_fails(backend: LocalBackend, workspace: dict, project: Path) -> None:
    definition = command_job("echo started; sleep 60", limits={"timeout": 1})
    with pytest.raises(JobFailedError, match=r"job job-1 ran out of time after 1 s(.|\n)*started"):
        submit(backend, workspace, project, definition)
    assert json.loads((job_dir(workspace) / "job.json").read_text())["status"] == "Failed"


@pytest.mark.usefixtures("stack_python")
def test_a_completed_job_is_adopted_not_run_again(backend: LocalBackend, workspace: dict, project: Path) -> None:
    runs = project / "runs.txt"
    definition = command_job(f"echo ran >> {runs}")
    first = submit(backend, workspace, project, definition)
    second = submit(LocalBackend(workspace), workspace, project, definition)  # a later deployment, a new provider process
    assert second == first
    assert runs.read_text() == "ran\n"


@pytest.mark.usefixtures("stack_python")
def test_a_failed_job_stays_failed_without_running_again(backend: LocalBackend, workspace: dict, project: Path) -> None:
    runs = project / "runs.txt"
    definition = command_job(f"echo ran >> {runs}; exit 1")
    with pytest.raises(JobFailedError):
        submit(backend, workspace, project, definition)
    with pytest.raises(JobFailedError, match=r"job job-1 failed earlier, and a job runs once per name.\n(.|\n)*exit status 1"):
        submit(backend, workspace, project, definition)
    assert runs.read_text() == "ran\n"


@pytest.mark.usefixtures("stack_python")
def test_a_failed_job_says_which_rerun_runs_it_again_in_which_stack_file(backend: LocalBackend, workspace: dict, project: Path) -> None:
    advice = "To run it again as it is, set rerun: 3 on this job (train) in stacks/Pulumi.test.yaml."
    for _attempt in ("fails", "stays failed"):
        with pytest.raises(JobFailedError) as failure:
            submit(backend, workspace, project, command_job("exit 1"), rerun=2)
        assert str(failure.value).endswith(advice)


@pytest.mark.usefixtures("stack_python")
def test_a_job_out_of_its_timeout_minutes_says_to_raise_them_and_rerun(backend: LocalBackend, workspace: dict, project: Path) -> None:
    advice = (
        "It ran out of its timeoutMinutes (0.01): raise timeoutMinutes and set rerun: 1 on this job (train) in stacks/Pulumi.test.yaml."
    )
    for _attempt in ("times out", "stays failed"):
        with pytest.raises(JobFailedError) as failure:
            submit(backend, workspace, project, command_job("sleep 60"), timeout_minutes=0.01)
        assert str(failure.value).endswith(advice)


@pytest.mark.usefixtures("stack_python")
def test_a_timed_out_job_names_the_limit_it_ran_under_after_the_limit_was_raised(
    backend: LocalBackend, workspace: dict, project: Path
) -> None:
    with pytest.raises(JobFailedError):
        submit(backend, workspace, project, command_job("sleep 60"), timeout_minutes=0.01)
    with pytest.raises(JobFailedError) as failure:
        submit(backend, workspace, project, command_job("sleep 60"), timeout_minutes=30)
    assert "It ran out of its timeoutMinutes (0.01; it is 30 now): raise timeoutMinutes and set rerun: 1" in str(failure.value)


@pytest.mark.usefixtures("stack_python")
def test_the_deployers_credentials_never_reach_the_job(
    backend: LocalBackend, workspace: dict, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = {
        "PULUMI_ACCESS_TOKEN": "pul-0001",
        "PULUMI_CONFIG_PASSPHRASE": "passphrase-0002",
        "ARM_CLIENT_SECRET": "arm-0003",
        "AZURE_CLIENT_SECRET": "azure-0004",
        "AZURE_CLIENT_CERTIFICATE_PASSWORD": "cert-0005",
        "AZURE_PASSWORD": "password-0006",
        "AZURE_FEDERATED_TOKEN_FILE": "/var/run/token-0007",
        "AZURE_STORAGE_KEY": "storage-0008",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "oidc-0009",
    }
    for name, value in {**secrets, "TRAINING_HINT": "kept-0010"}.items():
        monkeypatch.setenv(name, value)
    write_script(project / "src", "env.py", "import os; print(dict(os.environ))\n")
    definition = command_job("python env.py", environment_variables={"AZURE_STORAGE_KEY": "given-by-the-yaml"})
    submit(backend, workspace, project, definition)
    printed = log(workspace)
    assert [value for value in secrets.values() if value in printed] == []
    assert "kept-0010" in printed
    assert "given-by-the-yaml" in printed  # a job that needs a credential names it in its YAML


def test_a_job_refused_before_it_ran_is_tried_again(backend: LocalBackend, workspace: dict, project: Path) -> None:
    with pytest.raises(NotFoundLocallyError):
        submit(backend, workspace, project, command_job("true"))
    add_stack_python(backend, workspace, project)
    assert submit(backend, workspace, project, command_job("true"))["status"] == "Completed"


@pytest.mark.usefixtures("stack_python")
def test_mlflow_calls_in_the_job_land_in_the_jobs_run(backend: LocalBackend, workspace: dict, project: Path, example_env: str) -> None:
    write_script(project / "src", "log.py", "import mlflow\nmlflow.log_param('C', 0.5)\nmlflow.log_metric('accuracy', 0.9)\n")
    submit(backend, workspace, project, command_job("python log.py", environment=example_env, experiment_name="exp"))
    client = MlflowClient(f"sqlite:///{workspace['root']}/mlflow.db")
    (run,) = client.search_runs([client.get_experiment_by_name("exp").experiment_id])
    assert (run.info.run_name, run.info.status) == ("job-1", "FINISHED")
    assert (run.data.params, run.data.metrics) == ({"C": "0.5"}, {"accuracy": 0.9})


def test_jobs_on_one_compute_never_exceed_the_workspaces_concurrency(tmp_path: Path, project: Path, new_backend: NewBackend) -> None:
    workspace = workspace_props(tmp_path / "single", concurrency=1)
    backend = new_backend(workspace)
    add_stack_python(backend, workspace, project)
    write_script(
        project / "src",
        "span.py",
        "import sys, time; a = time.time(); time.sleep(0.5); open(sys.argv[1], 'w').write(f'{a} {time.time()}')\n",
    )
    spans = [project / f"span-{i}" for i in range(2)]
    jobs = [job_props(workspace, command_job(f"python span.py {span}"), project, name=f"job-{i}") for i, span in enumerate(spans)]
    threads = [threading.Thread(target=backend.submit_job, args=(props,)) for props in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    (a_start, a_end), (b_start, b_end) = (map(float, span.read_text().split()) for span in spans)
    assert a_end <= b_start or b_end <= a_start


def test_automl_jobs_are_refused(backend: LocalBackend, workspace: dict, project: Path) -> None:
    with pytest.raises(
        UnsupportedLocallyError, match=r"automl jobs run only on Azure ML \(the local target runs command, sweep and pipeline"
    ):
        submit(backend, workspace, project, {"type": "automl", "task": "classification"})


@pytest.mark.usefixtures("stack_python")
def test_a_missing_input_is_reported_before_anything_runs(backend: LocalBackend, workspace: dict, project: Path) -> None:
    with pytest.raises(InvalidDefinitionError, match=r"job job-1: the command uses \$\{\{inputs.data\}\}"):
        submit(backend, workspace, project, command_job("python train.py --data ${{inputs.data}}"))
