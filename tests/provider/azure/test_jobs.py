"""Jobs: submitted once per name (adopted on re-run), waited for on the double's clock, cancelled on delete."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from components.provider.azure.backend import AzureBackend
from components.provider.azure.errors import JobFailedError, JobStalledError, JobTimeoutError
from components.provider.azure.polling import Polling
from tests.azureml_double import AzureMLDouble, Azurite
from tests.provider.azure.builders import Project, command_job, ticking, workspace

JOB = "azureml-training-dev-train-0a1b2c"
pytestmark = pytest.mark.usefixtures("registered_environment")  # the jobs here name azureml:sklearn:1


def job_puts(double: AzureMLDouble, name: str = JOB) -> list:
    return double.find("PUT", rf"/jobs/{name}$")


def test_waiting_job_reports_each_status_and_returns_its_outputs(
    backend: AzureBackend, aml_double: AzureMLDouble, project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    aml_double.script_next_job(queued_ticks=2, running_ticks=2)

    outs = backend.submit_job(command_job(aml_double, project))

    assert outs == {
        "name": JOB,
        "status": "Completed",
        "url": outs["url"],
        "outputs": {"model": f"azureml://jobs/{JOB}/outputs/model"},
        "best_trial": None,
    }
    assert outs["url"].startswith(f"https://ml.azure.com/runs/{JOB}?")
    reported = re.findall(rf"job {JOB}: (\w+)", capsys.readouterr().err)
    # A command job's path on the service: the PUT answers Starting, then Preparing, Queued, Running, Finalizing.
    assert reported == ["submitted", "Starting", "Preparing", "Queued", "Running", "Finalizing", "Completed"]


def test_job_is_submitted_with_its_name_experiment_code_and_environment(
    backend: AzureBackend, aml_double: AzureMLDouble, project: Project
) -> None:
    backend.submit_job(command_job(aml_double, project, wait=False))

    body = job_puts(aml_double)[0].body["properties"]
    assert body["experimentName"] == "tests"
    assert body["environmentId"].endswith("/environments/sklearn/versions/1")
    assert body["computeId"].endswith("/computes/cpu-cluster")
    assert re.search(r"/codes/[^/]+/versions/1$", body["codeId"])


def test_distributed_job_keeps_its_distribution_and_instance_count(
    backend: AzureBackend, aml_double: AzureMLDouble, project: Project
) -> None:
    distributed = {"definition_distribution": {"type": "pytorch", "process_count_per_instance": 2}}
    backend.submit_job(command_job(aml_double, project, wait=False, definition_resources={"instance_count": 2}, **distributed))

    body = job_puts(aml_double)[0].body["properties"]
    assert body["distribution"] == {"distributionType": "PyTorch", "processCountPerInstance": 2}
    assert body["resources"]["instanceCount"] == 2


def test_rerun_create_adopts_the_job_instead_of_submitting_it_again(
    backend: AzureBackend, aml_double: AzureMLDouble, project: Project
) -> None:
    # The first `pulumi up` submitted the job, then was interrupted before it saved state.
    first = backend.submit_job(command_job(aml_double, project, wait=False))
    # The next one runs create again, in a fresh provider process, and waits this time.
    again = AzureBackend(workspace(aml_double), polling=ticking(aml_double)).submit_job(command_job(aml_double, project))

    assert (first["status"], again["status"]) == ("Starting", "Completed")
    assert len(job_puts(aml_double)) == 1


def test_put_whose_answer_is_lost_is_adopted_not_repeated(
    backend: AzureBackend, aml_double: AzureMLDouble, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_put = aml_double._put_job

    def accept_then_lose_the_answer(name: str, body: dict, *request: str | None) -> tuple:
        real_put(name, body, *request)
        return 400, {"error": {"code": "BadRequest", "message": "answer lost on the way back"}}, {}

    monkeypatch.setattr(aml_double, "_put_job", accept_then_lose_the_answer)

    outs = backend.submit_job(command_job(aml_double, project, wait=False))

    assert outs["status"] == "Starting"
    assert len(job_puts(aml_double)) == 1


def test_unchanged_code_is_not_uploaded_again(backend: AzureBackend, aml_double: AzureMLDouble, azurite: Azurite, project: Project) -> None:
    backend.submit_job(command_job(aml_double, project, wait=False))
    blobs = azurite.list_blobs(aml_double.blob_container)

    backend.submit_job(command_job(aml_double, project, name=f"{JOB}-2", wait=False, definition_command="python train.py --c 2"))

    assert len(aml_double.find("POST", r"/codes/.*/startPendingUpload$")) == 1
    assert len(aml_double.find("PUT", r"/codes/[^/]+/versions/[^/]+$")) == 1
    assert azurite.list_blobs(aml_double.blob_container) == blobs
    assert job_puts(aml_double)[0].body["properties"]["codeId"] == job_puts(aml_double, f"{JOB}-2")[0].body["properties"]["codeId"]


def test_failed_job_raises_with_the_service_error_and_the_log_tail(
    backend: AzureBackend, aml_double: AzureMLDouble, project: Project
) -> None:
    log = "".join(f"epoch {i}\n" for i in range(40)) + "ValueError: labels contain NaN\n"
    aml_double.script_next_job(outcome="Failed", error_message="User process exited with code 1", log=log)

    with pytest.raises(JobFailedError) as raised:
        backend.submit_job(command_job(aml_double, project))

    message = str(raised.value)
    assert "ended Failed: UserError: User process exited with code 1" in message
    assert "last 30 lines of user_logs/std_log.txt" in message
    assert "ValueError: labels contain NaN" in message
    assert "epoch 39" in message
    assert "epoch 10\n" not in message


def test_rerun_of_a_failed_job_raises_again_without_resubmitting(
    backend: AzureBackend, aml_double: AzureMLDouble, project: Project
) -> None:
    aml_double.script_next_job(outcome="Failed", error_message="out of memory")
    for _ in range(2):
        with pytest.raises(JobFailedError, match="out of memory"):
            backend.submit_job(command_job(aml_double, project))

    assert len(job_puts(aml_double)) == 1


def test_a_failed_job_says_which_rerun_runs_it_again(backend: AzureBackend, aml_double: AzureMLDouble, project: Project) -> None:
    aml_double.script_next_job(outcome="Failed", error_message="out of memory")

    with pytest.raises(JobFailedError) as raised:
        backend.submit_job(command_job(aml_double, project, rerun=2))

    assert "To run it again as it is, set rerun: 3 on this job (train) in stacks/Pulumi.<stack>.yaml." in str(raised.value)


def test_an_archived_completed_job_is_restored_when_adopted(backend: AzureBackend, aml_double: AzureMLDouble, project: Project) -> None:
    props = command_job(aml_double, project)
    outs = {**props, **backend.submit_job(props)}
    backend.remove_job(outs, "archive")  # the job resource was removed, say by a destroy
    assert aml_double.job(JOB).hidden is True

    again = AzureBackend(workspace(aml_double), polling=ticking(aml_double)).submit_job(props)

    assert again["status"] == "Completed"
    assert aml_double.job(JOB).hidden is False
    assert aml_double.job(JOB).resource["properties"]["isArchived"] is False
    assert len(job_puts(aml_double)) == 1


def test_a_job_cancelled_by_a_destroy_is_not_run_again_and_says_how_to(
    backend: AzureBackend, aml_double: AzureMLDouble, project: Project
) -> None:
    props = command_job(aml_double, project, wait=False)
    backend.remove_job({**props, **backend.submit_job(props)}, "archive")

    with pytest.raises(JobFailedError, match=r"ended Canceled(.|\n)*set rerun: 1 on this job \(train\)"):
        backend.submit_job(command_job(aml_double, project))
    assert len(job_puts(aml_double)) == 1


def test_job_not_done_in_time_raises_and_keeps_running(aml_double: AzureMLDouble, project: Project) -> None:
    # The clock never ticks: the job stays where the PUT left it.
    backend = AzureBackend(workspace(aml_double), polling=Polling(first_delay=0.01, max_delay=0.01))

    with pytest.raises(JobTimeoutError) as raised:
        backend.submit_job(command_job(aml_double, project, timeout_minutes=0.002))

    message = str(raised.value)
    assert "still Starting after 0.002 minutes. It keeps running in Azure ML" in message
    assert message.endswith("raise timeoutMinutes or set wait: false on this job (train) in stacks/Pulumi.<stack>.yaml.")

    assert aml_double.job_status(JOB) == "Starting"


def test_job_submitted_without_waiting_is_refreshed_by_read(backend: AzureBackend, aml_double: AzureMLDouble, project: Project) -> None:
    props = command_job(aml_double, project, wait=False)
    outs = {**props, **backend.submit_job(props)}
    aml_double.run_to_completion(JOB)

    assert backend.read_job(outs)["status"] == "Completed"
    assert backend.read_job({**outs, "name": "no-such-job"}) is None


def test_update_patches_display_name_and_tags_without_a_new_job(backend: AzureBackend, aml_double: AzureMLDouble, project: Project) -> None:
    olds = command_job(aml_double, project)
    olds = {**olds, **backend.submit_job(olds)}
    news = command_job(aml_double, project, definition_display_name="train (v2)", definition_tags={"team": "ml", "stage": "prod"})

    outs = backend.update_job(olds, news)

    job = aml_double.job(JOB).resource["properties"]
    assert (job["displayName"], job["tags"]) == ("train (v2)", {"team": "ml", "stage": "prod"})
    assert outs["status"] == "Completed"
    assert len(job_puts(aml_double)) == 1


def test_update_that_turns_waiting_on_waits_for_the_job(backend: AzureBackend, aml_double: AzureMLDouble, project: Project) -> None:
    olds = command_job(aml_double, project, wait=False)
    olds = {**olds, **backend.submit_job(olds)}

    outs = backend.update_job(olds, command_job(aml_double, project, wait=True))

    assert (olds["status"], outs["status"]) == ("Starting", "Completed")
    assert not aml_double.find("PATCH", "/runs/")


@pytest.mark.parametrize(("on_delete", "archived"), [("archive", True), ("keep", False)])
def test_delete_cancels_a_running_job_then_archives_or_keeps_it(
    backend: AzureBackend, aml_double: AzureMLDouble, project: Project, on_delete: str, archived: bool
) -> None:
    props = command_job(aml_double, project, wait=False)
    outs = {**props, **backend.submit_job(props)}
    aml_double.tick(name=JOB)

    backend.remove_job(outs, on_delete)

    assert aml_double.job_status(JOB) == "Canceled"
    assert len(aml_double.find("POST", rf"/jobs/{JOB}/cancel$")) == 1
    assert aml_double.job(JOB).hidden is archived


def test_delete_removes_a_finished_job_without_cancelling_it(backend: AzureBackend, aml_double: AzureMLDouble, project: Project) -> None:
    props = command_job(aml_double, project)
    outs = {**props, **backend.submit_job(props)}

    backend.remove_job(outs, "delete")

    assert JOB not in aml_double.jobs
    assert not aml_double.find("POST", "/cancel$")
    backend.remove_job(outs, "delete")  # already gone: nothing to do


def test_failed_job_log_comes_from_the_job_artifacts_when_run_details_list_none(
    backend: AzureBackend, aml_double: AzureMLDouble, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As on a service that keeps logs only in the job's artifact store (the double serves no "default" output).
    run_view = aml_double.run_view
    monkeypatch.setattr(aml_double, "run_view", lambda job, details=False: {**run_view(job, details), "logFiles": {}})

    def download(name: str, *, download_path: str, all: bool) -> None:
        log = Path(download_path, "artifacts", "user_logs", "std_log.txt")
        log.parent.mkdir(parents=True)
        log.write_text("Traceback (most recent call last):\nKeyError: 'label'\n")

    monkeypatch.setattr(backend.ml.jobs, "download", download)
    aml_double.script_next_job(outcome="Failed", error_message="User process exited with code 1")

    with pytest.raises(JobFailedError, match=r"last 2 lines of user_logs/std_log.txt:\n    Traceback.*\n    KeyError: 'label'"):
        backend.submit_job(command_job(aml_double, project))


def test_job_without_any_log_still_reports_the_service_error(
    backend: AzureBackend, aml_double: AzureMLDouble, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_view = aml_double.run_view
    monkeypatch.setattr(aml_double, "run_view", lambda job, details=False: {**run_view(job, details), "logFiles": {}})
    monkeypatch.setattr(backend.ml.jobs, "download", lambda name, **_: None)
    aml_double.script_next_job(outcome="Failed", error_message="Compute target unavailable", error_code="SystemError")

    with pytest.raises(JobFailedError, match=r"ended Failed: SystemError: Compute target unavailable(.|\n)*no user log"):
        backend.submit_job(command_job(aml_double, project))


@pytest.mark.parametrize("stalled", ["Paused", "NotResponding"])
def test_a_stalled_job_is_reported_at_once_not_waited_on_until_the_timeout(
    backend: AzureBackend, aml_double: AzureMLDouble, project: Project, stalled: str
) -> None:
    aml_double.script_next_job(outcome=stalled)

    with pytest.raises(JobStalledError, match=rf"is {stalled}: .*It is not cancelled.*set rerun: 1 on this job \(train\)"):
        backend.submit_job(command_job(aml_double, project, timeout_minutes=60))

    assert aml_double.job_status(JOB) == stalled
    assert not aml_double.find("POST", "/cancel$")


def test_removing_a_paused_job_cancels_it(backend: AzureBackend, aml_double: AzureMLDouble, project: Project) -> None:
    aml_double.script_next_job(outcome="Paused")
    props = command_job(aml_double, project, wait=False)
    outs = {**props, **backend.submit_job(props)}
    aml_double.run_to_completion(JOB)

    backend.remove_job(outs, "archive")

    assert aml_double.job_status(JOB) == "Canceled"


def test_a_cancel_that_takes_long_does_not_hold_up_the_archive(
    aml_double: AzureMLDouble, project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    # The clock never ticks and nobody polls the cancel operation: the job stays CancelRequested.
    backend = AzureBackend(workspace(aml_double), polling=Polling(first_delay=0.01, max_delay=0.01, cancel_wait=0.05))
    props = command_job(aml_double, project, wait=False)
    outs = {**props, **backend.submit_job(props)}

    backend.remove_job(outs, "archive")

    assert aml_double.job_status(JOB) == "CancelRequested"
    assert aml_double.job(JOB).hidden is True
    assert f"job {JOB}: cancel requested, still CancelRequested after 0.05s; Azure ML finishes it" in capsys.readouterr().err


def test_a_pipeline_job_is_submitted_and_waited_for_through_its_steps(
    backend: AzureBackend, aml_double: AzureMLDouble, project: Project
) -> None:
    step = {"type": "command", "command": "python train.py", "code": "src", "environment": "azureml:sklearn:1"}
    definition = {"type": "pipeline", "settings": {"default_compute": "azureml:cpu-cluster"}, "jobs": {"train": step}}

    outs = backend.submit_job({**command_job(aml_double, project), "definition": definition})

    assert outs["status"] == "Completed"
    assert aml_double.pipeline_steps(JOB)["train"].status == "Completed"
    assert aml_double.find("PUT", r"/components/azureml_anonymous/versions/[^/]+$", status=201)
