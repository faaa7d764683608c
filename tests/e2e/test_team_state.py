"""Team state (README, "Team use"): the local stack with its state in Azure Blob Storage, here Azurite.

The CLI logs in to `azblob://<container>` as the README shows, with the account from AZURE_STORAGE_ACCOUNT
and its key; AZURE_STORAGE_DOMAIN and AZURE_STORAGE_PROTOCOL point it at the emulator instead of
`<account>.blob.core.windows.net`. While one `up` holds the stack's lock a second is refused, and a stack of
another project in the same backend reads the first one's outputs through a StackReference.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pulumi
import pytest
import yaml
from pulumi import automation as auto

from tests.azureml_double import Azurite
from tests.e2e.harness import cli_env, copy_project, stop_local_processes

PROJECT = "azureml-training"
STACK = "local"
# The job waits (five minutes at most) for this file, so its `up` holds the lock until the test has tried a second one.
RELEASE = "release"
JOB_YAML = """\
command: >-
  for i in $(seq 3000); do [ -e {release} ] && break; sleep 0.1; done &&
  [ -e {release} ] && echo trained > ${{{{outputs.model}}}}/model.txt
outputs:
  model:
    type: uri_folder
environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest
compute: azureml:cpu
"""
LOCKED = "the stack is currently locked by 1 lock(s)"


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """The project with a stack of one job, which waits for `RELEASE` in the project folder."""
    project = copy_project(tmp_path / "project")
    (project / "jobs" / "wait.yml").write_text(JOB_YAML.format(release=project / RELEASE))
    config = {"azureml-training:target": "local", "azureml-training:jobs": [{"file": "jobs/wait.yml", "key": "wait"}]}
    (project / "stacks" / f"Pulumi.{STACK}.yaml").write_text(yaml.safe_dump({"config": config}))
    yield project
    stop_local_processes(project)


@pytest.fixture
def container(azurite: Azurite) -> str:
    """A fresh container for this test's state: the CLI does not create one (README: `az storage container create`)."""
    name = f"pulumi-state-{uuid.uuid4().hex[:8]}"
    azurite.service_client().create_container(name)
    return name


def azurite_env(azurite: Azurite) -> dict[str, str]:
    """The account and key as the README sets them, and where the emulator listens."""
    return cli_env(
        {
            "AZURE_STORAGE_ACCOUNT": azurite.account_name,
            "AZURE_STORAGE_KEY": azurite.account_key,
            "AZURE_STORAGE_DOMAIN": azurite.blob_endpoint.removeprefix("http://"),
            "AZURE_STORAGE_PROTOCOL": "http",
        }
    )


def login(backend_url: str, pulumi_home: Path, env: dict[str, str]) -> str:
    """`pulumi login <backend_url>` into a Pulumi home of the test's own; what `pulumi whoami --verbose` then says."""
    home = {**env, "PULUMI_HOME": str(pulumi_home)}
    subprocess.run(["pulumi", "login", backend_url], env=home, check=True, capture_output=True, text=True)
    return subprocess.run(["pulumi", "whoami", "--verbose"], env=home, check=True, capture_output=True, text=True).stdout


def wait_for_blob(azurite: Azurite, container: str, prefix: str, timeout: float = 120.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while not (found := azurite.list_blobs(container, prefix)):
        assert time.monotonic() < deadline, f"no blob under {prefix} in {container} after {timeout}s"
        time.sleep(0.1)
    return found


def export_reference(stack_name: str) -> None:
    """A program of another project: the jobs of `stack_name`, read through a StackReference."""
    pulumi.export("upstreamJobs", pulumi.StackReference(stack_name).get_output("jobs"))


def test_state_in_azure_blob_is_locked_during_up_and_read_by_another_stack(
    project: Path, tmp_path: Path, azurite: Azurite, container: str
) -> None:
    env = azurite_env(azurite)
    home = tmp_path / "pulumi-home"
    assert f"Backend URL: azblob://{container}" in login(f"azblob://{container}", home, env)
    # As Team use says for `make`, which exports a file backend of its own: the variable names the container too.
    env["PULUMI_BACKEND_URL"] = f"azblob://{container}"
    options = auto.LocalWorkspaceOptions(work_dir=str(project), pulumi_home=str(home), env_vars=env)
    first = auto.create_or_select_stack(STACK, work_dir=str(project), opts=options)
    second = auto.select_stack(STACK, work_dir=str(project), opts=options)

    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(first.up)
        try:
            (lock,) = wait_for_blob(azurite, container, f".pulumi/locks/organization/{PROJECT}/{STACK}/")
            with pytest.raises(auto.CommandError) as refused:
                second.up()
            assert LOCKED in str(refused.value), refused.value
            assert lock in str(refused.value), "the error names the lock, to delete with `pulumi cancel`"
        finally:
            (project / RELEASE).touch()
        up = running.result(timeout=600)
    assert up.outputs["jobs"].value["wait"]["status"] == "Completed"
    assert not azurite.list_blobs(container, ".pulumi/locks/"), "the finished `up` released its lock"

    reader = auto.create_or_select_stack(
        "reader",
        project_name="team-reader",
        program=lambda: export_reference(f"organization/{PROJECT}/{STACK}"),
        opts=auto.LocalWorkspaceOptions(pulumi_home=str(home), env_vars=env),
    )
    read = reader.up()
    assert read.outputs["upstreamJobs"].value == up.outputs["jobs"].value
    stacks = set(azurite.list_blobs(container, ".pulumi/stacks/"))
    assert {f".pulumi/stacks/{PROJECT}/{STACK}.json", ".pulumi/stacks/team-reader/reader.json"} <= stacks
