"""Real deployments the R3 and R6 areas look at: each is run once, its traces kept for every case.

`azure_under_faults`: an existing-workspace stack of six jobs (plus an environment, a datastore
whose account key is a Pulumi secret, and a data asset) deployed by the real engine against the
Azure ML double while 30 % of its Azure ML requests fail: 429 and 503 (with Retry-After, as the
service sends them) and connections dropped without an answer. `local_with_secrets`: the local
target with a secret datastore key and a deployer holding credentials, whose job dumps its own
environment.
"""

from __future__ import annotations

import base64
import json
import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto

from tests.azureml_double import AzureMLDouble
from tests.azureml_double.server import Fault, RecordedRequest
from tests.e2e.harness import copy_project, engine_env, select_stack, state_text

SECRET = "c2VjcmV0LWtleS1vZi10aGUtcmVsaWFiaWxpdHktc3RvcmU="
STACK = "team"
JOB_KEYS = ("train", "train-small", "train-large", "train-quick", "train-long", "sweep")
FAULT_RATE = 0.3
JOB_PUT = r"^/subscriptions/.*/jobs/[^/]+$"
# Every Azure ML call; not the sign-in (Entra ID token and discovery), which is not the Azure ML service.
AZURE_ML_CALLS = r"^(?!/common/|/[^/]+/oauth2/|/[^/]+/v2\.0/|/[^/]+/discovery/)"


def secret_forms(value: str) -> list[str]:
    """The value and its base64, the two ways a leaked secret shows up in text."""
    return [value, base64.b64encode(value.encode()).decode()]


@dataclass(eq=False)
class RandomFault(Fault):
    """A fault the double gives a share of the matching requests, drawn from a seeded generator.

    The double checks faults in order and under its lock; each instance keeps one kind of fault,
    so concurrent answers never see another request's draw.
    """

    rate: float = 0.0
    rng: random.Random = field(default_factory=random.Random)

    def matches(self, method: str, path: str) -> bool:
        return super().matches(method, path) and self.rng.random() < self.rate


def random_faults(rate: float, seed: int) -> list[RandomFault]:
    """429, 503 and dropped connections in equal shares, `rate` of the requests in all."""
    rng = random.Random(seed)
    share = rate / 3
    kinds: list[dict[str, Any]] = [
        {"status": 429, "retry_after_ms": 50},
        {"status": 503, "retry_after_ms": 50},
        {"status": None, "reset": True},
    ]
    # The second and third are asked only when the earlier ones passed: scale them so each gets `share` overall.
    rates = [share / (1 - share * i) for i in range(len(kinds))]
    return [RandomFault(path=AZURE_ML_CALLS, times=10**9, rate=r, rng=rng, **kind) for r, kind in zip(rates, kinds, strict=True)]


@dataclass
class Deployment:
    """What a deployment left behind, for the cases to search."""

    state: str
    outputs: dict[str, Any]
    log: str
    requests: list[RecordedRequest] = field(default_factory=list)
    job_resources: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)


def _write_azure_stack(project: Path, double: AzureMLDouble) -> None:
    (project / "data").mkdir()
    (project / "data" / "sample.csv").write_text("radius,label\n1.0,0\n2.0,1\n")
    (project / "data" / "sample.yml").write_text("name: sample\ntype: uri_file\npath: ./sample.csv\n")
    (project / "data" / "trainingstore.yml").write_text(
        "name: trainingstore\ntype: azure_blob\naccount_name: devstoreaccount1\ncontainer_name: training\n"
    )
    jobs = [{"file": "jobs/train-job.yml", "key": key, "wait": False} for key in JOB_KEYS[:-1]]
    config: dict[str, Any] = {
        "azureml-training:target": "azure",
        "azureml-training:workspace": {
            "existing": True,
            "subscriptionId": double.subscription_id,
            "resourceGroup": double.resource_group,
            "name": double.workspace,
        },
        "azureml-training:environments": [{"file": "jobs/environment.yml"}],
        "azureml-training:datastores": [{"file": "data/trainingstore.yml", "credentials": {"account_key": "trainingKey"}}],
        "azureml-training:data": [{"file": "data/sample.yml"}],
        "azureml-training:jobs": [*jobs, {"file": "jobs/sweep-job.yml", "key": "sweep", "wait": False}],
    }
    (project / "stacks" / f"Pulumi.{STACK}.yaml").write_text(yaml.safe_dump({"config": config}))


def azure_under_faults(root: Path, double: AzureMLDouble, seed: int = 12) -> Deployment:
    project = copy_project(root / "project")
    _write_azure_stack(project, double)
    stack = select_stack(project, STACK, engine_env(root / "state", double.subprocess_env()))
    stack.set_config("azureml-training:trainingKey", auto.ConfigValue(SECRET, secret=True))
    double.add_compute("cpu-cluster")  # the existing workspace's cluster the example jobs run on
    double.clear_requests()
    # However the random draws fall, job submissions meet a dropped connection and a 429 too.
    double.inject_fault("PUT", JOB_PUT, status=None, reset=True)
    double.inject_fault("PUT", JOB_PUT, status=429, retry_after_ms=50)
    with double.lock:
        double.faults.extend(random_faults(FAULT_RATE, seed))
    try:
        up = stack.up()
    finally:
        with double.lock:
            double.faults.clear()
    with double.lock:
        requests = list(double.requests)
        # Submitted jobs, not the trials a sweep spawns on its own.
        jobs = {name: json.loads(json.dumps(job.resource)) for name, job in double.jobs.items() if job.parent is None}
    return Deployment(
        state=state_text(root / "state"),
        outputs={key: value.value for key, value in up.outputs.items()},
        log=up.stdout + up.stderr,
        requests=requests,
        job_resources=jobs,
    )


def _write_local_stack(project: Path) -> None:
    (project / "data").mkdir()
    (project / "data" / "trainingstore.yml").write_text(
        "name: trainingstore\ntype: azure_blob\naccount_name: devstoreaccount1\ncontainer_name: training\n"
    )
    # The job writes its whole environment to its output, where the case reads it.
    (project / "jobs" / "dump-env.yml").write_text(
        yaml.safe_dump(
            {
                "type": "command",
                "command": "python -c \"import json, os, sys; json.dump(dict(os.environ), open(sys.argv[1] + '/env.json', 'w'))\" "
                "${{outputs.dump}}",
                "outputs": {"dump": {"type": "uri_folder"}},
                "environment": "azureml:AzureML-sklearn-1.5@latest",
                "compute": "azureml:cpu-cluster",
            }
        )
    )
    config = {
        "azureml-training:target": "local",
        "azureml-training:datastores": [{"file": "data/trainingstore.yml", "credentials": {"account_key": "trainingKey"}}],
        "azureml-training:jobs": [{"file": "jobs/dump-env.yml", "key": "dump"}],
    }
    (project / "stacks" / "Pulumi.secrets.yaml").write_text(yaml.safe_dump({"config": config}))


def local_with_secrets(root: Path, deployer_secrets: dict[str, str]) -> Deployment:
    """The deployer's own credentials (passphrase, tokens) are in its environment, as on a laptop."""
    project = copy_project(root / "project")
    _write_local_stack(project)
    env = engine_env(root / "state", {**os.environ, **deployer_secrets})
    env["PULUMI_CONFIG_PASSPHRASE"] = deployer_secrets["PULUMI_CONFIG_PASSPHRASE"]
    stack = select_stack(project, "secrets", env)
    stack.set_config("azureml-training:trainingKey", auto.ConfigValue(SECRET, secret=True))
    up = stack.up()
    workspace = project / ".azureml-local"
    files = {p.relative_to(project).as_posix(): p.read_bytes().decode(errors="replace") for p in workspace.rglob("*") if p.is_file()}
    return Deployment(
        state=state_text(root / "state"),
        outputs={key: value.value for key, value in up.outputs.items()},
        log=up.stdout + up.stderr,
        files=files,
    )
