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
    """An Azure stack on an existing workspace, with workspace keys changed (and without the shipped endpoint)."""
    return {"target": "azure", "workspace": {k: v for k, v in {**EXISTING, **workspace}.items() if v is not None}, "endpoints": None}


STACK_KEYS = [
    BadInput("unknown-key", "azureml-training:jobz: unknown key (known keys:", {"jobz": SHIPPED["jobs"]}),
    BadInput("unknown-target", "azureml-training:target: Input should be 'azure' or 'local' (got 'gcp')", {"target": "gcp"}),
    BadInput(
        "local-concurrency-zero",
        "azureml-training:local.concurrency: Input should be greater than or equal to 1",
        {"local": {"concurrency": 0}},
    ),
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
    BadInput(
        "job-on-delete-unknown",
        "azureml-training:jobs[0].onDelete: Input should be 'archive', 'delete' or 'keep' (got 'purge')",
        {"jobs": entries("jobs", onDelete="purge")},
    ),
    BadInput(
        "model-job-unknown",
        "azureml-training:models[0].job: 'swep' is not a job key of this stack (known: train, sweep, pipeline)",
        {"models": entries("models", job="swep")},
    ),
    BadInput(
        "model-name-invalid", "azureml-training:models[0].name: '-model' is not a valid name", {"models": entries("models", name="-model")}
    ),
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
        {"target": "azure", "workspace": {"publicNetworkAccess": "Enabled"}, "endpoints": None},
    ),
    BadInput(
        "azure-public-access-unknown",
        "azureml-training:workspace.publicNetworkAccess: Input should be 'Enabled' or 'Disabled' (got 'Open')",
        azure(publicNetworkAccess="Open"),
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
    *[
        BadInput(case_id, expected, files={"jobs/train-job.yml": edited("jobs/train-job.yml", change)})
        for case_id, expected, change in [
            (
                "job-code-missing",
                "jobs/train-job.yml: code: './source' does not exist (relative to jobs/)",
                lambda b: b.update(code="./source"),
            ),
            (
                "job-code-outside-repo",
                "jobs/train-job.yml: code: '../../../../etc' is outside the repository",
                lambda b: b.update(code="../../../../etc"),
            ),
            (
                "job-input-path-outside-repo",
                "jobs/train-job.yml: inputs.table.path: '../../../../etc/hostname' is outside the repository",
                lambda b: b["inputs"].update(table={"type": "uri_file", "path": "../../../../etc/hostname"}),
            ),
            (
                "job-input-undeclared",
                "jobs/train-job.yml: command: ${{inputs.lr}} is not declared under inputs (declared: C, max_iter, test_size)",
                lambda b: b.update(command=b["command"] + " --lr ${{inputs.lr}}"),
            ),
            (
                "job-output-undeclared",
                "jobs/train-job.yml: command: ${{outputs.metrics}} is not declared under outputs (declared: model)",
                lambda b: b.update(command=b["command"] + " --metrics ${{ outputs.metrics }}"),
            ),
            (
                "job-search-space-in-command-job",
                "jobs/train-job.yml: command: ${{search_space.C}} names 'search_space'; only inputs, outputs can be used here",
                lambda b: b.update(command=b["command"].replace("${{inputs.C}}", "${{search_space.C}}")),
            ),
            (
                "job-inline-conda-outside-repo",
                "jobs/train-job.yml: environment.conda_file: '../../../../etc/passwd' is outside the repository",
                lambda b: b.update(
                    environment={"image": "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04", "conda_file": "../../../../etc/passwd"}
                ),
            ),
            (
                "job-environment-undeclared",
                "jobs/train-job.yml: environment: azureml:sklearn-trian@latest is not an environment of this stack",
                lambda b: b.update(environment="azureml:sklearn-trian@latest"),
            ),
        ]
    ],
    *[
        BadInput(case_id, expected, files={"jobs/sweep-job.yml": edited("jobs/sweep-job.yml", change)})
        for case_id, expected, change in [
            (
                "sweep-search-space-undeclared",
                "jobs/sweep-job.yml: trial.command: ${{search_space.alpha}} is not declared under search_space (declared: C, max_iter)",
                lambda b: b["trial"].update(command=b["trial"]["command"] + " --alpha ${{search_space.alpha}}"),
            ),
            (
                "sweep-input-undeclared",
                "jobs/sweep-job.yml: trial.command: ${{inputs.seed}} is not declared under inputs (declared: test_size)",
                lambda b: b["trial"].update(command=b["trial"]["command"] + " --seed ${{inputs.seed}}"),
            ),
            (
                "sweep-output-undeclared",
                "jobs/sweep-job.yml: trial.command: ${{outputs.report}} is not declared under outputs (declared: model)",
                lambda b: b["trial"].update(command=b["trial"]["command"] + " --report ${{outputs.report}}"),
            ),
            (
                "sweep-search-space-empty",
                "jobs/sweep-job.yml: search_space: a sweep needs at least one parameter",
                lambda b: b.update(search_space={}),
            ),
            (
                "sweep-total-trials-negative",
                "jobs/sweep-job.yml: limits.max_total_trials: must be at least 1 (got -1)",
                lambda b: b["limits"].update(max_total_trials=-1),
            ),
            (
                "sweep-concurrent-trials-zero",
                "jobs/sweep-job.yml: limits.max_concurrent_trials: must be at least 1 (got 0)",
                lambda b: b["limits"].update(max_concurrent_trials=0),
            ),
            (
                "sweep-timeout-negative",
                "jobs/sweep-job.yml: limits.timeout: must be a positive number of seconds (got -1)",
                lambda b: b["limits"].update(timeout=-1),
            ),
            (
                "sweep-bounds-reversed",
                "jobs/sweep-job.yml: search_space.C: min_value (2) is greater than max_value (-4)",
                lambda b: b["search_space"]["C"].update(min_value=2, max_value=-4),
            ),
            (
                "sweep-bound-missing",
                "jobs/sweep-job.yml: search_space.C: loguniform needs max_value",
                lambda b: b["search_space"]["C"].pop("max_value"),
            ),
            (
                "sweep-choice-empty",
                "jobs/sweep-job.yml: search_space.max_iter.values: choice needs at least one value",
                lambda b: b["search_space"]["max_iter"].update(values=[]),
            ),
            (
                "sweep-distribution-unknown",
                "jobs/sweep-job.yml: search_space.C.type: 'gaussian' is not a distribution",
                lambda b: b["search_space"]["C"].update(type="gaussian"),
            ),
            (
                "sweep-randint-upper-zero",
                "jobs/sweep-job.yml: search_space.seed.upper: randint draws from 0 to upper - 1, so upper must be at least 1 (got 0)",
                lambda b: b["search_space"].update(seed={"type": "randint", "upper": 0}),
            ),
            (
                "sweep-q-zero",
                "jobs/sweep-job.yml: search_space.C.q: must be greater than 0 (got 0)",
                lambda b: b["search_space"]["C"].update(type="quniform", q=0),
            ),
            (
                "sweep-grid-of-continuous",
                "jobs/sweep-job.yml: search_space.C: grid sampling takes only choice parameters, not loguniform",
                lambda b: b.update(sampling_algorithm="grid"),
            ),
            (
                "sweep-trial-code-outside-repo",
                "jobs/sweep-job.yml: trial.code: '../../../..' is outside the repository",
                lambda b: b["trial"].update(code="../../../.."),
            ),
            (
                "sweep-trial-environment-undeclared",
                "jobs/sweep-job.yml: trial.environment: azureml:sklearn:3 is not an environment of this stack",
                lambda b: b["trial"].update(environment="azureml:sklearn:3"),
            ),
            (
                "sweep-goal-unknown",
                "jobs/sweep-job.yml: objective.goal: Value 'up' passed is not in set ['minimize', 'maximize']",
                lambda b: b["objective"].update(goal="up"),
            ),
        ]
    ],
    *[
        BadInput(case_id, expected, files=files)
        for case_id, expected, files in [
            (
                "environment-conda-file-missing",
                "jobs/environment.yml: conda_file: 'condo.yml' does not exist (relative to jobs/)",
                {"jobs/environment.yml": edited("jobs/environment.yml", lambda b: b.update(conda_file="condo.yml"))},
            ),
            (
                "environment-conda-outside-repo",
                "jobs/environment.yml: conda_file: '../../../../etc/passwd' is outside the repository",
                {"jobs/environment.yml": edited("jobs/environment.yml", lambda b: b.update(conda_file="../../../../etc/passwd"))},
            ),
            (
                "environment-build-outside-repo",
                "jobs/environment.yml: build.path: '../..' is outside the repository",
                {
                    "jobs/environment.yml": edited(
                        "jobs/environment.yml", lambda b: [b.pop("image"), b.pop("conda_file"), b.update(build={"path": "../.."})]
                    )
                },
            ),
            (
                "conda-dependencies-a-string",
                "jobs/environment.yml: conda_file (conda.yml): dependencies must be a list of packages, not a string",
                {"jobs/conda.yml": "name: sklearn-train\ndependencies: scikit-learn mlflow\n"},
            ),
            (
                "conda-pip-not-a-list",
                "jobs/environment.yml: conda_file (conda.yml): dependencies: a mapping entry must be `pip:` with a list of packages",
                {"jobs/conda.yml": "name: sklearn-train\ndependencies:\n  - python=3.11\n  - pip: mlflow\n"},
            ),
            (
                "conda-file-a-list",
                "jobs/environment.yml: conda_file (conda.yml): a conda file is a mapping (name, channels, dependencies), not a list",
                {"jobs/conda.yml": "- python=3.11\n- pip\n"},
            ),
            (
                "conda-file-invalid-yaml",
                "jobs/environment.yml: conda_file: conda.yml is not valid YAML (line 3)",
                {"jobs/conda.yml": "name: sklearn-train\ndependencies: [python=3.11\n"},
            ),
        ]
    ],
]

# Mistakes that need both the stack file and a YAML file to see.
ACROSS_FILES = [
    BadInput(
        "model-output-undeclared-by-sweep",
        "azureml-training:models[0].output: 'best_model' is not an output of job 'sweep' (jobs/sweep-job.yml declares: model)",
        {"models": entries("models", output="best_model")},
    ),
    BadInput(
        "model-output-undeclared-by-command-job",
        "azureml-training:models[0].output: 'model' is not an output of job 'train' (jobs/train-job.yml declares: no outputs)",
        {"models": entries("models", job="train")},
        {
            "jobs/train-job.yml": edited(
                "jobs/train-job.yml", lambda b: [b.pop("outputs"), b.update(command=b["command"].split(" --model_output")[0])]
            )
        },
    ),
    BadInput(
        "job-file-outside-repo",
        "azureml-training:jobs[0].file: '../../../../etc/passwd' is outside the repository",
        {"jobs": entries("jobs", file="../../../../etc/passwd")},
    ),
    BadInput(
        "data-file-outside-repo",
        "data/sample.yml: path: '/etc/hosts' is outside the repository",
        {"data": [{"file": "data/sample.yml"}]},
        {"data/sample.yml": "name: sample\ntype: uri_file\npath: /etc/hosts\n"},
    ),
    BadInput(
        "external-paths-relative",
        "azureml-training:externalPaths: [0]: 'shared' must be an absolute folder",
        {"externalPaths": ["shared"]},
    ),
]

PIPELINE = "jobs/pipeline-job.yml"
CREATED = {"existing": None, "location": "westeurope", "publicNetworkAccess": "Enabled"}


def pipeline_step(step: str, inputs: dict[str, Any] | None = None, **fields: Any) -> Callable[[dict[str, Any]], Any]:
    """A change to one step of the shipped pipeline (a new one if it has none of that name): fields set, inputs added."""

    def change(body: dict[str, Any]) -> None:
        target = body["jobs"].setdefault(step, {})
        target.update(fields)
        if inputs:
            target["inputs"] = {**target.get("inputs", {}), **inputs}

    return change


# A pipeline's wiring and steps, each on the local stack and on an existing workspace (`on_azure`).
PIPELINE_MISTAKES = [
    (
        "pipeline-step-unknown",
        "jobs/pipeline-job.yml: jobs.evaluate_job.inputs.data: ${{parent.jobs.prep.outputs.data}}: the pipeline has no step 'prep'",
        pipeline_step("evaluate_job", inputs={"data": "${{parent.jobs.prep.outputs.data}}"}),
        True,
    ),
    (
        "pipeline-step-output-undeclared",
        "jobs/pipeline-job.yml: jobs.train_job.inputs.data: ${{parent.jobs.prep_job.outputs.dataset}}: "
        "step prep_job declares no output 'dataset' (declares: data)",
        pipeline_step("train_job", inputs={"data": "${{parent.jobs.prep_job.outputs.dataset}}"}),
        True,
    ),
    (
        "pipeline-input-undeclared",
        "jobs/pipeline-job.yml: jobs.prep_job.inputs.test_size: ${{parent.inputs.testsize}}: "
        "the pipeline declares no input 'testsize' (declares: test_size)",
        pipeline_step("prep_job", inputs={"test_size": "${{parent.inputs.testsize}}"}),
        True,
    ),
    (
        "pipeline-bound-output-undeclared-by-component",
        "jobs/pipeline-job.yml: jobs.train_job.outputs.nosuch: ${{parent.outputs.model}}: "
        "the step's component declares no output 'nosuch' (declares: model)",
        pipeline_step("train_job", outputs={"nosuch": "${{parent.outputs.model}}"}),
        True,
    ),
    (
        "pipeline-bound-output-undeclared-by-stack-component",
        "jobs/pipeline-job.yml: jobs.evaluate_job.outputs.score: ${{parent.outputs.model}}: "
        "the step's component declares no output 'score' (declares: report)",
        pipeline_step("evaluate_job", outputs={"score": "${{parent.outputs.model}}"}),
        True,
    ),
    (
        "pipeline-output-undeclared",
        "jobs/pipeline-job.yml: jobs.train_job.outputs.model: ${{parent.outputs.best}}: the pipeline declares no output 'best'",
        pipeline_step("train_job", outputs={"model": "${{parent.outputs.best}}"}),
        False,
    ),
    (
        "pipeline-steps-in-a-cycle",
        "jobs/pipeline-job.yml: jobs: steps prep_job -> evaluate_job -> prep_job bind each other's outputs in a cycle",
        pipeline_step("prep_job", inputs={"report": "${{parent.jobs.evaluate_job.outputs.report}}"}),
        True,
    ),
    (
        "pipeline-inline-step-without-command",
        "jobs/pipeline-job.yml: jobs.hello_job.command: an inline command step needs a command",
        pipeline_step("hello_job", code="./src", environment="azureml:sklearn-train@latest"),
        False,
    ),
    (
        "pipeline-inline-step-code-missing",
        "jobs/pipeline-job.yml: jobs.hello_job.code: './source' does not exist (relative to jobs/)",
        pipeline_step("hello_job", command="python hello.py", code="./source", environment="azureml:sklearn-train@latest"),
        False,
    ),
    (
        "pipeline-step-environment-variable-boolean",
        "jobs/pipeline-job.yml: jobs.train_job.environment_variables.VERBOSE: Azure ML takes only strings, not a boolean (True)",
        pipeline_step("train_job", environment_variables={"VERBOSE": True}),
        False,
    ),
    (
        "pipeline-component-unregistered",
        "jobs/pipeline-job.yml: jobs.evaluate_job.component: azureml:breast_cancer_evaluat@latest is not a component of this stack "
        "(declared: breast_cancer_evaluate)",
        pipeline_step("evaluate_job", component="azureml:breast_cancer_evaluat@latest"),
        False,
    ),
]

INNER_PIPELINE = """type: pipeline
name: inner
inputs:
  test_size:
    type: number
outputs:
  model:
    type: mlflow_model
jobs:
  prep_job:
    component: ./prep.yml
    inputs:
      test_size: ${{parent.inputs.test_size}}
  train_job:
    component: ./train.yml
    inputs:
      data: ${{parent.jobs.prep.outputs.data}}
    outputs:
      model: ${{parent.outputs.model}}
"""
NESTED_PIPELINE = """type: pipeline
settings:
  default_compute: azureml:cpu-cluster
inputs:
  test_size: 0.25
outputs:
  model:
    type: mlflow_model
jobs:
  inner_job:
    type: pipeline
    component: ./components/inner.yml
    inputs:
      test_size: ${{parent.inputs.test_size}}
    outputs:
      model: ${{parent.outputs.model}}
"""

PIPELINES = [
    *[BadInput(case_id, expected, files={PIPELINE: edited(PIPELINE, change)}) for case_id, expected, change, _ in PIPELINE_MISTAKES],
    *[
        BadInput(f"{case_id}-on-existing-workspace", expected, azure(), {PIPELINE: edited(PIPELINE, change)})
        for case_id, expected, change, on_azure in PIPELINE_MISTAKES
        if on_azure
    ],
    BadInput(
        "pipeline-component-unregistered-on-created-workspace",
        "jobs/pipeline-job.yml: jobs.evaluate_job.component: azureml:breast_cancer_evaluat@latest is not a component of this stack "
        "(declared: breast_cancer_evaluate); a workspace this stack creates has only those listed under azureml-training:components",
        azure(**CREATED),
        {PIPELINE: edited(PIPELINE, pipeline_step("evaluate_job", component="azureml:breast_cancer_evaluat@latest"))},
    ),
    BadInput(
        "pipeline-nested-step-unknown",
        "jobs/pipeline-job.yml: jobs.inner_job.jobs.train_job.inputs.data: ${{parent.jobs.prep.outputs.data}}: "
        "the pipeline has no step 'prep' (steps: prep_job, train_job)",
        files={PIPELINE: NESTED_PIPELINE, "jobs/components/inner.yml": INNER_PIPELINE},
    ),
]

# What the YAMLs name that the local stack does not have, and what the local target cannot run.
LOCAL_TARGET = [
    *[
        BadInput(case_id, expected, files={"jobs/train-job.yml": edited("jobs/train-job.yml", change)})
        for case_id, expected, change in [
            (
                "job-data-undeclared",
                "jobs/train-job.yml: inputs.table.path: azureml:nosuchdata:1 is not a data asset of this stack (declared: none)",
                lambda b: b["inputs"].update(table={"type": "uri_file", "path": "azureml:nosuchdata:1"}),
            ),
            (
                "job-datastore-undeclared",
                "jobs/train-job.yml: inputs.table.path: azureml://datastores/workspaceblobstore/paths/labels.csv is in datastore "
                "'workspaceblobstore', not a datastore of this stack (declared: none)",
                lambda b: b["inputs"].update(
                    table={"type": "uri_file", "path": "azureml://datastores/workspaceblobstore/paths/labels.csv"}
                ),
            ),
            (
                "job-input-in-cloud-storage",
                "jobs/train-job.yml: inputs.table.path: wasbs://datasets@azuremlexamples.blob.core.windows.net/iris.csv "
                "is cloud storage the local target cannot read",
                lambda b: b["inputs"].update(
                    table={"type": "uri_file", "path": "wasbs://datasets@azuremlexamples.blob.core.windows.net/iris.csv"}
                ),
            ),
            (
                "job-environment-variable-number",
                "jobs/train-job.yml: environment_variables.RETRIES: Azure ML takes only strings, not a number (3); quote it",
                lambda b: b.update(environment_variables={"RETRIES": 3}),
            ),
        ]
    ],
    *[
        BadInput(case_id, expected, files={"jobs/sweep-job.yml": edited("jobs/sweep-job.yml", change)})
        for case_id, expected, change in [
            (
                "sweep-bayesian-locally",
                "jobs/sweep-job.yml: sampling_algorithm: bayesian sampling runs only on Azure ML (the local target samples random or grid)",
                lambda b: b.update(sampling_algorithm="bayesian"),
            ),
            (
                "sweep-environment-variable-mapping",
                "jobs/sweep-job.yml: trial.environment_variables.BAD: Azure ML takes only strings, not a mapping ({'nested': 1})",
                lambda b: b["trial"].update(environment_variables={"BAD": {"nested": 1}}),
            ),
        ]
    ],
    BadInput(
        "data-in-cloud-storage",
        "data/remote.yml: path: abfss://c@acct.dfs.core.windows.net/t.csv is cloud storage the local target cannot read",
        {"data": [{"file": "data/remote.yml"}]},
        {"data/remote.yml": "name: remote\ntype: uri_file\npath: abfss://c@acct.dfs.core.windows.net/t.csv\n"},
    ),
    BadInput(
        "components-name-twice",
        "jobs/components/evaluate-copy.yml: name: 'breast_cancer_evaluate' is also the name of jobs/components/evaluate.yml "
        "(azureml-training:components[0])",
        {"components": [{"file": "jobs/components/evaluate.yml"}, {"file": "jobs/components/evaluate-copy.yml"}]},
        {"jobs/components/evaluate-copy.yml": (ROOT / "jobs/components/evaluate.yml").read_text()},
    ),
    BadInput(
        "environments-name-twice",
        "jobs/environment-copy.yml: name: 'sklearn-train' is also the name of jobs/environment.yml (azureml-training:environments[0])",
        {"environments": [{"file": "jobs/environment.yml"}, {"file": "jobs/environment-copy.yml"}]},
        {"jobs/environment-copy.yml": (ROOT / "jobs/environment.yml").read_text()},
    ),
]

ENDPOINT_FILE = "jobs/endpoints/endpoint.yml"
BLUE = "jobs/endpoints/blue.yml"
GREEN = "jobs/endpoints/green.yml"


def endpoint(*deployments: str, **fields: Any) -> dict[str, Any]:
    """The `endpoints` key serving the example's endpoint from these deployment files."""
    return {"endpoints": [{"file": ENDPOINT_FILE, "deployments": [{"file": file} for file in deployments or (BLUE,)], **fields}]}


def green(**fields: Any) -> dict[str, str]:
    """A second deployment file beside the example's `blue`."""
    return {GREEN: edited(BLUE, lambda b: b.update({"name": "green", **fields}))}


SERVING = [
    BadInput(
        "endpoint-traffic-to-missing-deployment",
        f"{ENDPOINT_FILE}: azureml-training:endpoints[0].traffic: 'green' is not a deployment of endpoint 'breast-cancer' "
        "(deployments: blue)",
        endpoint(traffic={"green": 100}),
    ),
    BadInput(
        "endpoint-traffic-sums-to-70",
        f"{ENDPOINT_FILE}: azureml-training:endpoints[0].traffic: the shares sum to 70 (blue: 50, green: 20)",
        endpoint(BLUE, GREEN, traffic={"blue": 50, "green": 20}),
        green(),
    ),
    BadInput(
        "endpoint-deployments-named-alike",
        f"{ENDPOINT_FILE}: azureml-training:endpoints[0].deployments: two deployments are named 'blue'",
        endpoint(BLUE, GREEN),
        green(name="blue"),
    ),
    BadInput(
        "endpoint-no-code-custom-model",
        f"{BLUE}: model: breast-cancer-classifier is a custom_model; a deployment without code_configuration and environment "
        "needs an mlflow_model",
        {**endpoint(), "models": entries("models", type="custom_model")},
    ),
    BadInput(
        "endpoint-name-invalid",
        f"{ENDPOINT_FILE}: name: 'breast_cancer' is not a valid endpoint name: 3-32 letters, digits and hyphens, starting with a letter",
        endpoint(),
        {ENDPOINT_FILE: edited(ENDPOINT_FILE, lambda b: b.update(name="breast_cancer"))},
    ),
    BadInput(
        "endpoint-model-outside-stack",
        f"{BLUE}: model: 'azureml:iris-classifier:1' is not a model of this stack",
        endpoint(),
        {BLUE: edited(BLUE, lambda b: b.update(model="azureml:iris-classifier:1"))},
    ),
    BadInput(
        "endpoint-on-azure-without-instance-type",
        f"{BLUE}: instance_type: Missing data for required field.",
        {**azure(), **endpoint()},
        {BLUE: edited(BLUE, lambda b: b.pop("instance_type"))},
    ),
]

# Promotion (README "dev → prod"): a model shared to a registry the stack does not declare; one taken from a stack
# the state backend does not have (read through the engine at preview, as the StackReference would read it).
TAKEN = {"name": "breast-cancer-classifier", "from": {"stack": "organization/azureml-training/nope"}}
PROMOTION = [
    BadInput(
        "model-registry-undeclared",
        "azureml-training:models[0].registry: 'shared' is not a registry of this stack (registries: none;",
        {"models": entries("models", registry="shared")},
    ),
    BadInput(
        "model-from-unknown-stack",
        "azureml-training:models[0].from: stack organization/azureml-training/nope cannot be read from this state backend "
        '(unknown stack "organization/azureml-training/nope"); `pulumi up` it first',
        {"models": [TAKEN], "registries": [{"name": "shared", "existing": True}]},
    ),
]


# Schedules (README "Schedules"): checked on the local target as on Azure, before azure-ai-ml's loader, which takes
# any expression.
NIGHTLY = "jobs/schedules/nightly-train.yml"


def schedule(expression: str = "0 2 * * *", job: str = "../pipeline-job.yml") -> dict[str, str]:
    text = f"name: nightly\ntrigger:\n  type: cron\n  expression: '{expression}'\ncreate_job:\n  job: {job}\n"
    return {NIGHTLY: text}


SCHEDULED = {"schedules": [{"file": NIGHTLY}]}
SCHEDULES = [
    BadInput("schedule-cron-unparsable", f"{NIGHTLY}: trigger.expression: '0 25 * * *' does not parse", SCHEDULED, schedule("0 25 * * *")),
    BadInput(
        "schedule-of-a-command-job",
        f"{NIGHTLY}: create_job.job: jobs/train-job.yml is a command job; Azure ML schedules run pipeline jobs",
        SCHEDULED,
        schedule(job="../train-job.yml"),
    ),
    BadInput("schedule-job-file-missing", f"{NIGHTLY}: create_job", SCHEDULED, schedule(job="../nightly-missing.yml")),
]

CASES = STACK_KEYS + YAML_FILES + ACROSS_FILES + PIPELINES + LOCAL_TARGET + SERVING + PROMOTION + SCHEDULES
