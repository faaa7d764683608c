"""A local job's working directory follows Azure ML's conventions: ./outputs and ./logs kept,
AZUREML_* variables set, web inputs downloaded once into a content cache."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from mlflow import MlflowClient

from components.provider.local.backend import LocalBackend
from components.provider.local.errors import NotFoundLocallyError
from tests.provider.local.builders import ROOT, command_job, job_props

HELLO_WORLD_OUTPUT = ROOT / "tests" / "unit" / "examples" / "basics" / "hello-world-output.yml"


def artifacts(workspace: dict, run_name: str, folder: str) -> dict[str, str]:
    """The files logged to the job's MLflow run under `folder`, with their text."""
    client = MlflowClient(f"sqlite:///{workspace['root']}/mlflow.db")
    (run,) = client.search_runs([e.experiment_id for e in client.search_experiments()], f"attributes.run_name = '{run_name}'")
    local = Path(client.download_artifacts(run.info.run_id, folder))
    return {path.name: path.read_text() for path in local.iterdir()}


def run_folder(workspace: dict, name: str) -> Path:
    return Path(workspace["root"]) / "jobs" / name / "code"


def test_the_public_hello_world_output_example_runs_unchanged(backend: LocalBackend, workspace: dict, tmp_path: Path) -> None:
    definition = {k: v for k, v in yaml.safe_load(HELLO_WORLD_OUTPUT.read_text()).items() if k != "$schema"}
    outs = backend.submit_job(job_props(workspace, definition, HELLO_WORLD_OUTPUT.parent, name="hello"))
    assert outs["status"] == "Completed"
    assert (run_folder(workspace, "hello") / "outputs" / "helloworld.txt").read_text() == "hello world\n"
    assert artifacts(workspace, "hello", "outputs") == {"helloworld.txt": "hello world\n"}


@pytest.mark.usefixtures("stack_python")
def test_logs_are_kept_and_the_azureml_variables_name_the_run(backend: LocalBackend, workspace: dict, project: Path) -> None:
    command = 'echo "$AZUREML_RUN_ID $AZUREML_ARM_PROJECT_NAME $AZUREML_ARM_WORKSPACE_NAME" > ./logs/ids.txt'
    backend.submit_job(job_props(workspace, command_job(command, experiment_name="exp"), project, name="ids"))
    expected = f"ids exp {Path(workspace['root']).name}\n"
    assert (run_folder(workspace, "ids") / "logs" / "ids.txt").read_text() == expected
    assert artifacts(workspace, "ids", "logs") == {"ids.txt": expected}


class _Site(BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        if self.path != "/data/iris.csv":
            self.send_error(404)
            return
        body = b"sepal_length,species\n5.1,setosa\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    _Site.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.usefixtures("stack_python")
def test_a_web_input_is_downloaded_once_for_every_job_that_reads_it(
    backend: LocalBackend, workspace: dict, project: Path, site: str
) -> None:
    inputs = {"iris": {"type": "uri_file", "path": f"{site}/data/iris.csv"}}
    for name in ("first", "second"):
        definition = command_job("cp ${{inputs.iris}} ./outputs/copy.csv", inputs=inputs)
        assert backend.submit_job(job_props(workspace, definition, project, name=name))["status"] == "Completed"
        assert (run_folder(workspace, name) / "outputs" / "copy.csv").read_text() == "sepal_length,species\n5.1,setosa\n"
    assert _Site.requests == ["/data/iris.csv"]


@pytest.mark.usefixtures("stack_python")
def test_a_web_input_that_cannot_be_fetched_says_so_before_the_job_runs(
    backend: LocalBackend, workspace: dict, project: Path, site: str
) -> None:
    definition = command_job("true", inputs={"iris": {"type": "uri_file", "path": f"{site}/missing.csv"}})
    with pytest.raises(NotFoundLocallyError, match=r"job missing: input iris: could not download .*/missing.csv \(HTTP 404 Not Found\)"):
        backend.submit_job(job_props(workspace, definition, project, name="missing"))
