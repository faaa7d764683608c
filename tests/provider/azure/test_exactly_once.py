"""A provider process killed between the job's PUT and its answer: the next submit adopts the job, never submits it again."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from components.provider.azure.backend import AzureBackend
from tests.azureml_double import AzureMLDouble
from tests.provider.azure.builders import Project, command_job, ticking, workspace

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.usefixtures("registered_environment")  # the job names azureml:sklearn:1

_PROVIDER = """
import json, sys
from components.provider.azure.backend import AzureBackend
props = json.loads(sys.argv[1])
AzureBackend(props["workspace"]).submit_job(props)
"""


def test_a_provider_killed_before_the_puts_answer_arrives_is_adopted_by_the_next_submit(
    aml_double: AzureMLDouble, project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    accepted, release = threading.Event(), threading.Event()
    real_put = aml_double._put_job

    def accept_then_hold_the_answer(*request: object) -> tuple:
        answer = real_put(*request)
        accepted.set()
        release.wait(timeout=60)  # the answer is still on its way when the provider dies
        return answer

    monkeypatch.setattr(aml_double, "_put_job", accept_then_hold_the_answer)
    props = command_job(aml_double, project, wait=False)
    errors = tmp_path / "provider.log"
    with errors.open("wb") as log:
        provider = subprocess.Popen(
            [sys.executable, "-c", _PROVIDER, json.dumps(props)], cwd=ROOT, env=aml_double.subprocess_env(), stderr=log
        )
    try:
        assert accepted.wait(timeout=120), f"the provider's PUT never reached the double:\n{errors.read_text()}"
        provider.kill()
        provider.wait(timeout=30)
    finally:
        release.set()
        provider.kill()
    time.sleep(0.1)

    outs = AzureBackend(workspace(aml_double), polling=ticking(aml_double)).submit_job({**props, "wait": True})

    assert outs["status"] == "Completed"
    assert len(aml_double.find("PUT", rf"/jobs/{props['name']}$")) == 1
