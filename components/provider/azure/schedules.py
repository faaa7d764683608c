"""Job schedules (Microsoft.MachineLearningServices/workspaces/schedules), through azure-ai-ml.

The schedule YAML is loaded by azure-ai-ml's own schedule loader, from the folder it was written in, so its
`create_job` (a job YAML of the repository, with any updates to it, or an `azureml:` job) is read and its
code uploaded as `az ml schedule create` does. Every PUT and DELETE is a long-running operation; the provider
waits by reading the schedule's provisioning state (provisioning.py). Azure ML refuses to delete an enabled
schedule ("Cannot delete an active trigger"), so a delete disables it first; the jobs it started stay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from components.provider.azure.errors import ProvisioningFailedError, or_none
from components.provider.azure.loading import load_entity
from components.provider.azure.polling import Polling
from components.provider.azure.provisioning import SETTLED, SUCCEEDED, state_of, wait_until_gone, wait_until_settled
from components.provider.azure.report import report
from components.provider.backend import Outs, Props

if TYPE_CHECKING:
    from azure.ai.ml import MLClient


def put_schedule(ml: MLClient, props: Props, polling: Polling) -> Outs:
    """Create the schedule, or update it in place (a new trigger, or a new content of the job it runs)."""
    from azure.ai.ml.entities._load_functions import load_schedule  # not exported at azure.ai.ml's top (1.35.2)

    name = props["name"]
    existing = _settled(ml, name, polling)
    schedule = load_entity(load_schedule, props["definition"], props.get("base_dir"), {"name": name})
    report(f"schedule {name}: {'updating' if existing else 'creating'} it")
    ml.schedules.begin_create_or_update(schedule)
    _provisioned(ml, name, polling, "Fix what it names in the schedule's YAML or its job and run `pulumi up` again.")
    return {}


def read_schedule(ml: MLClient, outs: Props) -> Outs | None:
    return None if or_none(lambda: ml.schedules.get(outs["name"])) is None else {}


def delete_schedule(ml: MLClient, outs: Props, polling: Polling) -> None:
    """Disable it (Azure ML deletes no enabled schedule), then delete it and wait until it is gone."""
    name = outs["name"]
    schedule = _settled(ml, name, polling)
    if schedule is None:
        return
    if schedule.is_enabled:
        report(f"schedule {name}: disabling it")
        ml.schedules.begin_disable(name)
        _provisioned(ml, name, polling, "It stays enabled; disable it in the studio, then run `pulumi destroy` again.")
    report(f"schedule {name}: deleting it (the jobs it started stay)")
    ml.schedules.begin_delete(name)
    wait_until_gone(lambda: ml.schedules.get(name), f"schedule {name}", polling)


def _provisioned(ml: MLClient, name: str, polling: Polling, advice: str) -> Any:
    """Wait for the operation under way on the schedule; its poller is not waited on (see provisioning.py)."""
    schedule = wait_until_settled(lambda: ml.schedules.get(name), f"schedule {name}", polling)
    if state_of(schedule) != SUCCEEDED:
        raise ProvisioningFailedError(f"schedule {name} ended {state_of(schedule)}. {advice}")
    return schedule


def _settled(ml: MLClient, name: str, polling: Polling) -> Any | None:
    """The schedule as it is, once an operation already under way on it (an interrupted `up`'s) has ended."""
    schedule = or_none(lambda: ml.schedules.get(name))
    if schedule is not None and state_of(schedule) not in SETTLED:
        schedule = wait_until_settled(lambda: ml.schedules.get(name), f"schedule {name}", polling)
    return schedule
