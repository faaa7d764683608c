"""The real azure-ai-ml SDK, end to end, against the loopback Azure ML double (blobs in Azurite)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from azure.ai.ml import Output, command
from azure.ai.ml.constants import AssetTypes
from azure.ai.ml.entities import AccountKeyConfiguration, AzureBlobDatastore, Data, Environment, Model
from azure.ai.ml.exceptions import JobException
from azure.ai.ml.sweep import Choice, Uniform
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def cluster(aml_double) -> str:
    """The compute the jobs here run on: the service refuses jobs on computes it does not know."""
    aml_double.add_compute("cpu-cluster")
    return "cpu-cluster"


@pytest.fixture
def code_dir(tmp_path: Path) -> Path:
    """A training-code folder whose content (hence snapshot hash) is unique to the test."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "train.py").write_text(f"# {uuid.uuid4()}\nprint('training')\n")
    return src


@pytest.fixture
def environment(ml_client) -> Environment:
    return ml_client.environments.create_or_update(Environment(name="train-env", version="1", image="python:3.11-slim"))


def train_command(code_dir: Path, **kwargs):
    return command(
        code=str(code_dir),
        command="python train.py --lr ${{inputs.lr}} --model ${{outputs.model}}",
        inputs={"lr": 0.1},
        outputs={"model": Output(type=AssetTypes.MLFLOW_MODEL)},
        environment="train-env:1",
        compute="cpu-cluster",
        experiment_name="double-tests",
        **kwargs,
    )


def test_environment_create_get_archive(ml_client, aml_double, tmp_path: Path) -> None:
    conda = tmp_path / "conda.yaml"
    conda.write_text("name: train\ndependencies:\n  - python=3.11\n  - pip:\n    - scikit-learn==1.5.2\n")
    created = ml_client.environments.create_or_update(
        Environment(name="sklearn-env", version="3", image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04", conda_file=conda)
    )
    assert created.version == "3"

    got = ml_client.environments.get("sklearn-env", "3")
    assert got.image == "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04"
    assert got.conda_file["dependencies"][1] == {"pip": ["scikit-learn==1.5.2"]}

    ml_client.environments.archive("sklearn-env", "3")
    archive_put = aml_double.find("PUT", r"/environments/sklearn-env/versions/3$")[-1]
    assert archive_put.body["properties"]["isArchived"] is True
    assert [e.version for e in ml_client.environments.list(name="sklearn-env")] == []


def test_datastore_with_account_key(ml_client, aml_double, azurite) -> None:
    ml_client.datastores.create_or_update(
        AzureBlobDatastore(
            name="trainingdata",
            account_name=azurite.account_name,
            container_name="training-data",
            credentials=AccountKeyConfiguration(account_key=azurite.account_key),
        )
    )
    got = ml_client.datastores.get("trainingdata")
    assert (got.account_name, got.container_name) == (azurite.account_name, "training-data")
    assert got.credentials.type == "account_key"
    # The key is not echoed by GET. Asked for secrets, the SDK asks for an expirable one, and the service answers
    # an account SAS, not the stored key (recorded: test_blob_store, secretsType Sas).
    assert azurite.account_key not in str(aml_double.find("GET", "/datastores/trainingdata$")[0].body)
    with_secret = ml_client.datastores.get("trainingdata", include_secrets=True)
    assert with_secret.credentials.type == "sas"
    assert "srt=co" in with_secret.credentials.sas_token
    assert azurite.account_key not in with_secret.credentials.sas_token
    assert ml_client.datastores.get_default().name == "workspaceblobstore"

    ml_client.datastores.delete("trainingdata")
    with pytest.raises(ResourceNotFoundError):
        ml_client.datastores.get("trainingdata")


def test_data_asset_upload_lands_in_azurite(ml_client, aml_double, azurite, tmp_path: Path) -> None:
    folder = tmp_path / "iris"
    folder.mkdir()
    payload = f"sepal_length,species\n5.1,setosa # {uuid.uuid4()}\n".encode()
    (folder / "iris.csv").write_bytes(payload)

    data = ml_client.data.create_or_update(Data(name="iris", version="1", path=str(folder), type=AssetTypes.URI_FOLDER))

    # The service answers the long form of the datastore URI (recorded: test_create_uri_file).
    workspace = (
        f"azureml://subscriptions/{aml_double.subscription_id}/resourcegroups/{aml_double.resource_group}/workspaces/{aml_double.workspace}"
    )
    assert data.path.startswith(f"{workspace}/datastores/workspaceblobstore/paths/LocalUpload/")
    blob_prefix = data.path.split("/paths/", 1)[1]
    blobs = azurite.list_blobs(aml_double.blob_container, prefix=blob_prefix)
    assert blobs == [f"{blob_prefix}/iris.csv"]
    assert azurite.read_blob(aml_double.blob_container, blobs[0]) == payload

    ml_client.data.archive("iris", "1")
    assert aml_double.versions["data"]["iris"]["1"]["properties"]["isArchived"] is True


def test_command_job_uploads_code_once_and_runs_on_the_clock(ml_client, aml_double, azurite, environment, code_dir) -> None:
    first = ml_client.jobs.create_or_update(train_command(code_dir))
    second = ml_client.jobs.create_or_update(train_command(code_dir))

    # Identical code: the second submission finds the snapshot by hash and does not upload again.
    assert len(aml_double.find("GET", r"/codes/[^/]+/versions$")) == 2
    assert len(aml_double.find("POST", "/startPendingUpload$")) == 1
    (code_put,) = aml_double.find("PUT", r"/codes/[^/]+/versions/1$")
    # As recorded: one container per upload, named after the workspace; the code folder is uploaded into it.
    container, folder = urlsplit(code_put.body["properties"]["codeUri"]).path.strip("/").split("/", 1)
    assert container.startswith(f"{aml_double.workspace_id}-")
    assert azurite.list_blobs(container, prefix="") == [f"{folder}/train.py"]
    assert azurite.read_blob(container, f"{folder}/train.py") == (code_dir / "train.py").read_bytes()
    assert first.code == second.code

    # A command job's statuses on the service, one per tick of the double's clock.
    seen = [ml_client.jobs.get(first.name).status]
    while seen[-1] != "Completed" and len(seen) < 10:
        aml_double.tick()
        seen.append(ml_client.jobs.get(first.name).status)
    assert seen == ["Starting", "Preparing", "Queued", "Running", "Finalizing", "Completed"]
    assert {j.name for j in ml_client.jobs.list()} == {first.name, second.name}


def test_failed_job_exposes_error_and_log(ml_client, aml_double, azurite, environment, code_dir, capsys, tmp_path: Path) -> None:
    aml_double.script_next_job(
        outcome="Failed",
        queued_ticks=2,
        error_message="ZeroDivisionError: division by zero",
        log="epoch 1\nTraceback (most recent call last):\nZeroDivisionError: division by zero\n",
    )
    job = ml_client.jobs.create_or_update(train_command(code_dir))
    aml_double.auto_tick = True  # each read of the job advances the clock, as time passes for a real job

    with pytest.raises(JobException, match="ZeroDivisionError: division by zero"):
        ml_client.jobs.stream(job.name)

    # The SDK streams logs from the job's `default` output (the artifact store) and signs each log URL with the
    # datastore's secret, which the service answers as a SAS: the signature is not valid, so no log text is
    # streamed. The run summary and the error are.
    assert f"RunId: {job.name}" in capsys.readouterr().out
    assert ml_client.jobs.get(job.name).status == "Failed"
    log_blob = f"ExperimentRun/dcid.{job.name}/user_logs/std_log.txt"
    assert b"ZeroDivisionError" in azurite.read_blob(aml_double.artifact_container, log_blob)

    # jobs.download (default: the logs) reads them back from the artifact store in Azurite.
    ml_client.jobs.download(job.name, download_path=str(tmp_path))
    assert "ZeroDivisionError" in (tmp_path / "artifacts" / "user_logs" / "std_log.txt").read_text()


def test_fail_job_on_demand(ml_client, aml_double, environment, code_dir) -> None:
    job = ml_client.jobs.create_or_update(train_command(code_dir))
    aml_double.fail_job(job.name, "CUDA out of memory", log="OOM\n")
    assert ml_client.jobs.get(job.name).status == "Failed"
    assert aml_double.job(job.name).error["error"]["message"] == "CUDA out of memory"


def test_cancel_job(ml_client, aml_double, environment, code_dir) -> None:
    job = ml_client.jobs.create_or_update(train_command(code_dir))
    ml_client.jobs.begin_cancel(job.name, polling_interval=0.01).result()
    assert aml_double.find("POST", f"/jobs/{job.name}/cancel$")
    assert ml_client.jobs.get(job.name).status == "Canceled"


def test_register_model_from_job_output(ml_client, aml_double, azurite, environment, code_dir) -> None:
    job = ml_client.jobs.create_or_update(train_command(code_dir))
    model = Model(name="iris-model", path=f"azureml://jobs/{job.name}/outputs/model", type=AssetTypes.MLFLOW_MODEL)
    with pytest.raises(HttpResponseError, match="not Completed"):
        ml_client.models.create_or_update(model)

    assert aml_double.run_to_completion(job.name) == "Completed"
    registered = ml_client.models.create_or_update(model)
    assert (registered.name, registered.version) == ("iris-model", "1")
    assert registered.path == f"azureml://jobs/{job.name}/outputs/model"
    # The completed job's output exists in storage.
    assert azurite.list_blobs(aml_double.blob_container, prefix=f"azureml/{job.name}/model/") == [f"azureml/{job.name}/model/MLmodel"]
    assert ml_client.models.get("iris-model", "1").type == AssetTypes.MLFLOW_MODEL


def test_sweep_job_children_best_child_and_model(ml_client, aml_double, environment, code_dir) -> None:
    trial = command(
        code=str(code_dir),
        command="python train.py --lr ${{search_space.lr}} --depth ${{search_space.depth}}",
        inputs={"lr": 0.1, "depth": 2},
        outputs={"model": Output(type=AssetTypes.MLFLOW_MODEL)},
        environment="train-env:1",
        compute="cpu-cluster",
    )
    sweep = trial(lr=Uniform(0.01, 0.1), depth=Choice([2, 4, 8])).sweep(
        primary_metric="accuracy", goal="Maximize", sampling_algorithm="random"
    )
    sweep.set_limits(max_total_trials=3, max_concurrent_trials=3)
    aml_double.script_next_job(metrics=[0.71, 0.93, 0.88])
    submitted = ml_client.jobs.create_or_update(sweep)

    # A sweep job is Running from its PUT on (recorded: test_sweep_job_await_completion), its trials with it.
    assert submitted.status == "Running"
    children = list(ml_client.jobs.list(parent_job_name=submitted.name))
    assert [c.status for c in children] == ["Running"] * 3
    assert "--depth 4" in aml_double.job(f"{submitted.name}_1").resource["properties"]["command"]

    aml_double.run_to_completion(submitted.name)
    done = ml_client.jobs.get(submitted.name)
    assert done.status == "Completed"
    best = done.properties["best_child_run_id"]
    assert best == f"{submitted.name}_1"
    assert {c.status for c in ml_client.jobs.list(parent_job_name=submitted.name)} == {"Completed"}

    model = ml_client.models.create_or_update(
        Model(name="best-model", path=f"azureml://jobs/{best}/outputs/model", type=AssetTypes.MLFLOW_MODEL)
    )
    assert model.version == "1"


def test_throttling_429_with_retry_after_is_retried(ml_client, aml_double, environment) -> None:
    aml_double.inject_fault("GET", r"/environments/train-env/versions/1$", status=429, retry_after=1)
    assert ml_client.environments.get("train-env", "1").image == "python:3.11-slim"

    throttled, retried = aml_double.find("GET", r"/environments/train-env/versions/1$")
    assert (throttled.status, throttled.fault, retried.status) == (429, "429", 200)
    assert retried.time - throttled.time >= 0.9  # the SDK honoured Retry-After: 1


def test_503_and_connection_reset_are_retried(ml_client, aml_double, environment) -> None:
    aml_double.inject_fault("GET", r"/environments/train-env/versions/1$", status=503)
    assert ml_client.environments.get("train-env", "1").version == "1"
    assert [r.status for r in aml_double.find("GET", r"/environments/train-env/versions/1$")] == [503, 200]

    aml_double.clear_requests()
    aml_double.inject_fault("GET", r"/environments/train-env/versions/1$", reset=True)
    assert ml_client.environments.get("train-env", "1").version == "1"
    assert [r.fault for r in aml_double.find("GET", r"/environments/train-env/versions/1$")] == ["reset", None]


def test_child_process_is_routed_by_sitecustomize(aml_double, azurite, tmp_path: Path) -> None:
    """What a Pulumi dynamic-provider host gets: PYTHONPATH + env vars, no code change.

    The child uses azure-identity + azure-core + azure-storage-blob directly (the same transport MLClient uses,
    without paying for importing azure.ai.ml a second time).
    """
    blob = f"child/{uuid.uuid4()}.txt"
    workspace_url = f"https://management.azure.com{aml_double.workspace_arm_id}?api-version=2024-10-01-preview"
    script = textwrap.dedent(
        f"""
        import json, sys
        assert "azure" not in sys.modules, "azure imported at start-up"
        from azure.core import PipelineClient
        from azure.core.pipeline.policies import BearerTokenCredentialPolicy
        from azure.core.rest import HttpRequest
        from azure.identity import DefaultAzureCredential
        from azure.storage.blob import BlobServiceClient

        credential = DefaultAzureCredential()
        policy = BearerTokenCredentialPolicy(credential, "https://management.azure.com/.default")
        arm = PipelineClient("https://management.azure.com", policies=[policy])
        ws = arm.send_request(HttpRequest("GET", {workspace_url!r})).json()
        discovery = arm.send_request(HttpRequest("GET", ws["properties"]["discoveryUrl"])).json()
        key = {azurite.account_key!r}
        storage = BlobServiceClient("https://devstoreaccount1.blob.core.windows.net",
                                    credential={{"account_name": "devstoreaccount1", "account_key": key}})
        storage.get_blob_client({aml_double.blob_container!r}, {blob!r}).upload_blob(b"from child")
        try:
            BlobServiceClient("https://example.com").get_container_client("nope").exists()
        except Exception as exc:
            blocked = type(exc).__name__
        print(json.dumps({{"ws": ws["name"], "api": discovery["api"], "blocked": blocked}}))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=aml_double.subprocess_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "ws": aml_double.workspace,
        "api": aml_double.regional_host,
        "blocked": "AzureMLDoubleBlockedError",
    }
    assert azurite.read_blob(aml_double.blob_container, blob) == b"from child"
    assert {r.host for r in aml_double.requests} == {
        "https://login.microsoftonline.com",
        "https://management.azure.com",
        aml_double.regional_host,
    }


def two_step_pipeline(code_dir: Path):
    from azure.ai.ml import Input
    from azure.ai.ml.dsl import pipeline

    prep = command(
        name="prep",
        code=str(code_dir),
        command="python train.py --out ${{outputs.prepared}}",
        outputs={"prepared": Output(type=AssetTypes.URI_FOLDER)},
        environment="train-env:1",
    )
    train = command(
        name="train",
        code=str(code_dir),
        command="python train.py --data ${{inputs.data}} --model ${{outputs.model}}",
        inputs={"data": Input(type=AssetTypes.URI_FOLDER)},
        outputs={"model": Output(type=AssetTypes.MLFLOW_MODEL)},
        environment="train-env:1",
    )

    @pipeline(default_compute="cpu-cluster", experiment_name="double-tests")
    def prep_then_train():
        prepared = prep()  # the steps are named after the variables: prepared, trained
        trained = train(data=prepared.outputs.prepared)
        return {"model": trained.outputs.model}

    return prep_then_train()


def test_pipeline_job_registers_anonymous_components_and_runs_its_steps_in_order(ml_client, aml_double, environment, code_dir) -> None:
    submitted = ml_client.jobs.create_or_update(two_step_pipeline(code_dir))

    assert submitted.status == "NotStarted"
    assert len(aml_double.find("PUT", r"/components/azureml_anonymous/versions/[^/]+$", status=201)) == 2
    aml_double.tick()
    steps = aml_double.pipeline_steps(submitted.name)
    assert ml_client.jobs.get(submitted.name).status == "Running"
    assert (steps["prepared"].status, steps["trained"].status) == ("NotStarted", "NotStarted")
    aml_double.tick()
    assert (steps["prepared"].status, steps["trained"].status) == ("Starting", "NotStarted")

    assert aml_double.run_to_completion(submitted.name) == "Completed"
    children = {c.display_name: c for c in ml_client.jobs.list(parent_job_name=submitted.name)}
    assert {name: c.status for name, c in children.items()} == {"prepared": "Completed", "trained": "Completed"}
    assert steps["trained"].started > steps["prepared"].ended
    model = f"azureml://jobs/{submitted.name}/outputs/model"
    assert ml_client.models.create_or_update(Model(name="piped", path=model, type=AssetTypes.MLFLOW_MODEL)).version == "1"


def test_pipeline_with_a_failed_step_fails_and_never_runs_what_depends_on_it(ml_client, aml_double, environment, code_dir) -> None:
    aml_double.script_next_job(steps={"prepared": {"outcome": "Failed", "error_message": "no rows"}})
    submitted = ml_client.jobs.create_or_update(two_step_pipeline(code_dir))

    assert aml_double.run_to_completion(submitted.name) == "Failed"
    steps = aml_double.pipeline_steps(submitted.name)
    assert (steps["prepared"].status, steps["trained"].status) == ("Failed", "Canceled")
    assert steps["trained"].started is None
    assert "Failed nodes: /prepared" in aml_double.job(submitted.name).error["error"]["message"]


def test_a_pipeline_output_is_its_steps_output_and_a_steps_output_downloads(
    ml_client, aml_double, environment, code_dir, tmp_path: Path
) -> None:
    submitted = ml_client.jobs.create_or_update(two_step_pipeline(code_dir))
    aml_double.run_to_completion(submitted.name)
    steps = aml_double.pipeline_steps(submitted.name)

    # (azure-ai-ml 1.35.2 cannot download a model-typed output: its BatchGetResolvedUrisDto refuses `values`.)
    ml_client.jobs.download(steps["prepared"].name, download_path=str(tmp_path), output_name="prepared")

    assert aml_double.job(submitted.name).resource["properties"]["outputs"]["model"]["uri"].endswith(f"/{steps['trained'].name}/model/")
    downloaded = (tmp_path / "named-outputs" / "prepared" / "_double_output.txt").read_text()
    assert downloaded == f"output prepared of job {steps['prepared'].name}\n"
