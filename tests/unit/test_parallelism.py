"""A stack with more waiting jobs than the engine runs operations at once is warned about, once; one that fits is not."""

from __future__ import annotations

import re
import types
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime.settings
import pytest

from components.spec import parallelism
from components.spec.parallelism import MAKE_PARALLEL, engine_parallelism, queued_jobs_warning, waiting_jobs, warn_if_jobs_queue
from components.spec.settings import StackSettings

REPO = Path(__file__).resolve().parents[2]
STACK_FILE = "stacks/Pulumi.local.yaml"
EXISTING = {"existing": True, "subscriptionId": "00000000-0000-4000-8000-000000000001", "resourceGroup": "rg-ml", "name": "ws-ml"}


def stack(jobs: int, target: str = "local", not_waiting: int = 0, **assets: Any) -> StackSettings:
    entries = [{"file": f"jobs/j{i}.yml", "key": f"j{i}"} for i in range(jobs)]
    entries += [{"file": f"jobs/n{i}.yml", "key": f"n{i}", "wait": False} for i in range(not_waiting)]
    workspace = {} if target == "local" else {"workspace": EXISTING}
    return StackSettings.model_validate({"target": target, "jobs": entries, **workspace, **assets})


def test_as_many_waiting_jobs_as_the_limit_all_fit_and_get_no_warning() -> None:
    assert queued_jobs_warning(stack(8), 8, STACK_FILE) is None


def test_one_job_more_than_the_limit_is_named_in_one_line_with_the_limit_and_what_to_run() -> None:
    message = queued_jobs_warning(stack(9), 8, STACK_FILE)
    assert message is not None and "\n" not in message
    assert message.startswith(f"{STACK_FILE}: 9 jobs wait for their runs but the engine runs at most 8 operations at once")
    assert "at least 1 start only as others end" in message
    assert "`pulumi up --parallel 9` or set PULUMI_PARALLEL=9" in message
    assert f"`make up`, which sets PULUMI_PARALLEL={MAKE_PARALLEL}" in message


def test_the_suggested_limit_leaves_room_for_the_other_assets_too() -> None:
    assets = {"environments": [{"file": "e.yml"}], "data": [{"file": "d.yml"}, {"file": "d2.yml"}]}
    message = queued_jobs_warning(stack(5, **assets), 4, STACK_FILE)
    assert message is not None and "`pulumi up --parallel 8`" in message


def test_make_up_is_not_suggested_when_its_limit_would_not_be_enough() -> None:
    message = queued_jobs_warning(stack(MAKE_PARALLEL + 1), MAKE_PARALLEL, STACK_FILE)
    assert message is not None and f"PULUMI_PARALLEL={MAKE_PARALLEL + 1}" in message
    assert "make up" not in message


def test_on_azure_only_jobs_that_wait_count() -> None:
    settings = stack(2, target="azure", not_waiting=3)
    assert waiting_jobs(settings) == 2
    assert queued_jobs_warning(settings, 2, STACK_FILE) is None
    assert "3 jobs wait" in (queued_jobs_warning(stack(3, target="azure", not_waiting=3), 2, STACK_FILE) or "")


def test_locally_every_job_waits_even_with_wait_false() -> None:
    settings = stack(2, not_waiting=3)
    assert waiting_jobs(settings) == 5
    assert "5 jobs wait" in (queued_jobs_warning(settings, 4, STACK_FILE) or "")


def test_an_unknown_limit_gives_no_warning() -> None:
    assert queued_jobs_warning(stack(100), None, STACK_FILE) is None


def test_the_limit_is_read_from_the_sdk_settings_the_language_host_filled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pulumi.runtime.settings, "SETTINGS", types.SimpleNamespace(parallel=12))
    assert engine_parallelism() == 12


@pytest.mark.parametrize("value", [None, 0, True, "8"])
def test_a_missing_or_odd_sdk_value_reads_as_unknown(monkeypatch: pytest.MonkeyPatch, value: object) -> None:
    monkeypatch.setattr(pulumi.runtime.settings, "SETTINGS", types.SimpleNamespace(parallel=value))
    assert engine_parallelism() is None


def test_an_sdk_without_the_setting_reads_as_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pulumi.runtime.settings, "SETTINGS", types.SimpleNamespace())
    assert engine_parallelism() is None
    monkeypatch.delattr(pulumi.runtime.settings, "SETTINGS")
    assert engine_parallelism() is None


def test_the_program_warns_once_when_jobs_queue_and_not_at_all_without_the_sdk_value(monkeypatch: pytest.MonkeyPatch) -> None:
    warned: list[str] = []
    monkeypatch.setattr(parallelism.pulumi.log, "warn", lambda message, *_, **__: warned.append(message))
    monkeypatch.setattr(pulumi.runtime.settings, "SETTINGS", types.SimpleNamespace(parallel=2))
    warn_if_jobs_queue(stack(3), STACK_FILE)
    assert len(warned) == 1 and warned[0].startswith(f"{STACK_FILE}: 3 jobs wait")
    monkeypatch.setattr(pulumi.runtime.settings, "SETTINGS", types.SimpleNamespace())
    warn_if_jobs_queue(stack(3), STACK_FILE)
    assert len(warned) == 1


def test_the_makefile_exports_the_limit_the_warning_names() -> None:
    match = re.search(r"^export PULUMI_PARALLEL \?= (\d+)$", (REPO / "Makefile").read_text(), re.MULTILINE)
    assert match is not None, "the Makefile sets PULUMI_PARALLEL unless the user did"
    assert int(match[1]) == MAKE_PARALLEL
