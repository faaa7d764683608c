"""R1's bad inputs: stack keys and YAML files a user gets wrong, each with the line preview refuses it with.

Variants are built from the shipped local stack and the example YAML files, so each case differs
from a working stack in exactly one mistake.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import yaml

from tests.conftest import ROOT, read_stack_config
from tests.reliability.bad_input_stack import BadInput

SHIPPED = read_stack_config("local")
SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
EXISTING = {"existing": True, "subscriptionId": SUBSCRIPTION, "resourceGroup": "rg-team", "name": "team-ws"}


def entries(setting: str, index: int = 0, **changes: Any) -> list[dict[str, Any]]:
    """The shipped list under `setting` with entry `index` changed (a None value removes the field)."""
    items = copy.deepcopy(SHIPPED[setting])
    items[index].update(changes)
    items[index] = {k: v for k, v in items[index].items() if v is not None}
    return items


def edited(relative: str, change: Callable[[dict[str, Any]], Any]) -> str:
    """A shipped YAML file with one change applied."""
    body = yaml.safe_load((ROOT / relative).read_text())
    change(body)
    return yaml.safe_dump(body, sort_keys=False)


def azure(**workspace: Any) -> dict[str, Any]:
    """An Azure stack on an existing workspace, with workspace keys changed."""
    return {"target": "azure", "workspace": {k: v for k, v in {**EXISTING, **workspace}.items() if v is not None}}


STACK_KEYS = [
    BadInput("unknown-key", "azureml-training:jobz: unknown key (known keys:", {"jobz": SHIPPED["jobs"]}),
    BadInput("unknown-target", "azureml-training:target: Input should be 'azure' or 'local' (got 'gcp')", {"target": "gcp"}),
    BadInput(
        "local-concurrency-zero",
        "azureml-training:local.concurrency: Input should be greater than or equal to 1",
        {"local": {"concurrency": 0}},
    ),
    BadInput("local-unknown-field", "azureml-training:local.workers: Extra inputs are not permitted", {"local": {"workers": 2}}),
    BadInput("jobs-not-a-list", "azureml-training:jobs: Input should be a valid list", {"jobs": "jobs/train-job.yml"}),
    BadInput("job-without-file", "azureml-training:jobs[0].file: Field required", {"jobs": entries("jobs", file=None)}),
    BadInput(
        "job-file-missing",
        "azureml-training:jobs[0].file: 'jobs/trian-job.yml' does not exist",
        {"jobs": entries("jobs", file="jobs/trian-job.yml")},
    ),
    BadInput(
        "job-unknown-field",
        "azureml-training:jobs[1].computer: Extra inputs are not permitted",
        {"jobs": entries("jobs", 1, computer="gpu")},
    ),
    BadInput("job-key-invalid", "azureml-training:jobs[0].key: '1st' is not a valid name", {"jobs": entries("jobs", key="1st")}),
    BadInput("job-keys-twice", "azureml-training:jobs: 'train' appears twice", {"jobs": entries("jobs", 1, key="train")}),
    BadInput(
        "job-timeout-zero",
        "azureml-training:jobs[0].timeoutMinutes: Input should be greater than 0",
        {"jobs": entries("jobs", timeoutMinutes=0)},
    ),
    BadInput(
        "job-timeout-negative",
        "azureml-training:jobs[0].timeoutMinutes: Input should be greater than 0",
        {"jobs": entries("jobs", timeoutMinutes=-5)},
    ),
    BadInput(
        "job-timeout-text",
        "azureml-training:jobs[0].timeoutMinutes: Input should be a valid number, unable to parse string as a number (got 'soon')",
        {"jobs": entries("jobs", timeoutMinutes="soon")},
    ),
    BadInput(
        "job-wait-yes", "azureml-training:jobs[0].wait: Input should be a valid boolean (got 'yes')", {"jobs": entries("jobs", wait="yes")}
    ),
    BadInput(
        "job-wait-text-true",
        "azureml-training:jobs[1].wait: Input should be a valid boolean (got 'true')",
        {"jobs": entries("jobs", 1, wait="true")},
    ),
    BadInput("job-wait-one", "azureml-training:jobs[0].wait: Input should be a valid boolean (got 1)", {"jobs": entries("jobs", wait=1)}),
    BadInput(
        "job-on-delete-unknown",
        "azureml-training:jobs[0].onDelete: Input should be 'archive', 'delete' or 'keep' (got 'purge')",
        {"jobs": entries("jobs", onDelete="purge")},
    ),
    BadInput(
        "job-rerun-negative",
        "azureml-training:jobs[0].rerun: Input should be greater than or equal to 0",
        {"jobs": entries("jobs", rerun=-1)},
    ),
    BadInput(
        "model-job-unknown",
        "azureml-training:models[0].job: 'swep' is not a job key of this stack (known: train, sweep)",
        {"models": entries("models", job="swep")},
    ),
    BadInput(
        "model-name-invalid", "azureml-training:models[0].name: '-model' is not a valid name", {"models": entries("models", name="-model")}
    ),
    BadInput("model-names-twice", "azureml-training:models: 'breast-cancer-classifier' appears twice", {"models": SHIPPED["models"] * 2}),
    BadInput(
        "model-type-unknown",
        "azureml-training:models[0].type: Input should be 'mlflow_model', 'custom_model' or 'triton_model' (got 'onnx')",
        {"models": entries("models", type="onnx")},
    ),
    BadInput(
        "model-file-missing",
        "azureml-training:models[0].file: 'jobs/model.yml' does not exist",
        {"models": entries("models", file="jobs/model.yml")},
    ),
    BadInput("model-without-job", "azureml-training:models[0].job: Field required", {"models": entries("models", job=None)}),
    BadInput(
        "environment-file-missing",
        "azureml-training:environments[0].file: 'jobs/env.yml' does not exist",
        {"environments": [{"file": "jobs/env.yml"}]},
    ),
    BadInput(
        "data-file-missing", "azureml-training:data[0].file: 'data/sample.yml' does not exist", {"data": [{"file": "data/sample.yml"}]}
    ),
    BadInput(
        "datastore-credential-not-secret",
        "azureml-training:datastores[0].credentials.account_key: azureml-training:storeKey must be set as a secret",
        {"datastores": [{"file": "data/store.yml", "credentials": {"account_key": "storeKey"}}]},
        {"data/store.yml": "name: store\ntype: azure_blob\naccount_name: acct\ncontainer_name: c\n"},
    ),
    BadInput("azure-existing-without-name", "azureml-training:workspace: existing: true needs name", azure(name=None)),
    BadInput(
        "azure-subscription-not-guid",
        "azureml-training:workspace.subscriptionId: 'my-subscription' is not a subscription id",
        azure(subscriptionId="my-subscription"),
    ),
    BadInput(
        "azure-new-workspace-without-location",
        "azureml-training:workspace.location is required to create a workspace",
        {"target": "azure", "workspace": {"publicNetworkAccess": "Enabled"}},
    ),
    BadInput(
        "azure-public-access-unknown",
        "azureml-training:workspace.publicNetworkAccess: Input should be 'Enabled' or 'Disabled' (got 'Open')",
        azure(publicNetworkAccess="Open"),
    ),
    BadInput(
        "azure-isolation-unknown",
        "azureml-training:workspace.isolationMode: Input should be 'Disabled', 'AllowInternetOutbound' or",
        azure(isolationMode="Private"),
    ),
    BadInput(
        "azure-purge-and-protect",
        "purgeOnDestroy and purgeProtection exclude each other",
        azure(existing=None, location="westeurope", purgeOnDestroy=True, purgeProtection=True),
    ),
    BadInput(
        "azure-storage-name-invalid",
        "azureml-training:workspace.names.storageAccount: 'My_Storage' is not a valid name",
        azure(names={"storageAccount": "My_Storage"}),
    ),
    BadInput(
        "azure-vault-name-invalid",
        "azureml-training:workspace.names.keyVault: 'kv--x' is not a valid name",
        azure(names={"keyVault": "kv--x"}),
    ),
    BadInput("azure-workspace-name-invalid", "azureml-training:workspace.name: 'ws' is not a valid name", azure(name="ws")),
    BadInput("azure-tag-not-text", "azureml-training:workspace.tags.cost: Input should be a valid string", azure(tags={"cost": 12})),
    BadInput(
        "azure-compute-on-existing-workspace",
        "azureml-training:compute: an existing workspace keeps its own clusters",
        {**azure(), "compute": [{"name": "cpu-cluster"}]},
    ),
    BadInput(
        "compute-name-invalid",
        "azureml-training:compute[0].name: 'cpu_cluster' is not a valid name",
        {"compute": [{"name": "cpu_cluster"}]},
    ),
    BadInput(
        "compute-min-above-max",
        "azureml-training:compute[0]: minNodes (3) is greater than maxNodes (2)",
        {"compute": [{"name": "cpu", "minNodes": 3, "maxNodes": 2}]},
    ),
    BadInput(
        "compute-vm-size-invalid",
        "azureml-training:compute[0].vmSize: 'DS3_v2' is not a valid name",
        {"compute": [{"name": "cpu", "vmSize": "DS3_v2"}]},
    ),
    BadInput(
        "compute-subnet-not-an-id",
        "azureml-training:compute[0].subnetId: 'default' is not a subnet resource id",
        {"compute": [{"name": "cpu", "subnetId": "default"}]},
    ),
    BadInput("compute-names-twice", "azureml-training:compute: 'cpu' appears twice", {"compute": [{"name": "cpu"}, {"name": "cpu"}]}),
    BadInput(
        "compute-max-nodes-zero",
        "azureml-training:compute[0].maxNodes: Input should be greater than or equal to 1",
        {"compute": [{"name": "cpu", "maxNodes": 0}]},
    ),
]

YAML_FILES = [
    BadInput(
        "job-yaml-syntax", "jobs/train-job.yml: invalid YAML: line 2:", files={"jobs/train-job.yml": "type: command\n  code: [./src\n"}
    ),
    BadInput(
        "job-yaml-not-a-mapping",
        "jobs/train-job.yml: expected a mapping of Azure ML CLI v2 fields",
        files={"jobs/train-job.yml": "- type: command\n"},
    ),
    BadInput(
        "job-without-command",
        "jobs/train-job.yml: command: Missing data for required field.",
        files={"jobs/train-job.yml": edited("jobs/train-job.yml", lambda b: b.pop("command"))},
    ),
    BadInput(
        "datastore-inline-key",
        "data/store.yml: credentials.account_key: secrets may not be written in the file",
        {"datastores": [{"file": "data/store.yml"}]},
        {"data/store.yml": "name: store\ntype: azure_blob\naccount_name: acct\ncontainer_name: c\ncredentials:\n  account_key: c2VjcmV0\n"},
    ),
]

CASES = STACK_KEYS + YAML_FILES
