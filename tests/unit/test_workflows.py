"""The CI workflows (.github/, README "CI workflows") run the stacks as `make` does, sign in without a secret,
and pin what they use. (actionlint checks their syntax and wiring in `make lint`.)"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from components.spec.parallelism import MAKE_PARALLEL

REPO = Path(__file__).resolve().parents[2]
GITHUB = REPO / ".github"
AZURE_ACTION = "./.github/actions/pulumi-azure"


def documents() -> dict[str, Any]:
    return {str(path.relative_to(REPO)): yaml.safe_load(path.read_text()) for path in sorted(GITHUB.rglob("*.yml"))}


def steps(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from document.get("runs", {}).get("steps", [])
    for job in document.get("jobs", {}).values():
        yield from job.get("steps", [])


def action_step(path: str, uses_prefix: str, with_key: str) -> dict[str, Any]:
    (step,) = [s for s in steps(documents()[path]) if s.get("uses", "").startswith(uses_prefix) and with_key in s.get("with", {})]
    return step


def test_there_are_workflows_and_actions() -> None:
    assert {".github/workflows/pulumi.yml", ".github/actions/setup/action.yml", ".github/actions/pulumi-azure/action.yml"} <= set(
        documents()
    )


def test_every_action_from_elsewhere_is_pinned_to_a_release() -> None:
    used = [step["uses"] for document in documents().values() for step in steps(document) if "uses" in step]
    remote = [uses for uses in used if not uses.startswith("./")]
    assert remote
    assert [uses for uses in remote if not re.fullmatch(r"[\w.-]+/[\w.-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})", uses)] == []


def test_no_client_secret_anywhere() -> None:
    text = "\n".join(path.read_text() for path in GITHUB.rglob("*.yml")).lower()
    for secret in ("client-secret", "client_secret", "creds:", "azure_credentials"):
        assert secret not in text, secret


def test_jobs_that_sign_in_to_azure_may_ask_for_an_oidc_token() -> None:
    jobs = documents()[".github/workflows/pulumi.yml"]["jobs"]
    signing_in = {name: job for name, job in jobs.items() if any(s.get("uses") == AZURE_ACTION for s in job["steps"])}
    assert set(signing_in) == {"preview", "up-dev", "up-prod"}
    assert {name: job["permissions"].get("id-token") for name, job in signing_in.items()} == dict.fromkeys(signing_in, "write")


def test_up_runs_the_stack_as_make_up_does() -> None:
    """The engine's parallelism and continue-on-error of the Makefile (README, "How jobs run at once")."""
    step = action_step(".github/actions/pulumi-azure/action.yml", "pulumi/actions@", "command")
    assert step["with"]["parallel"] == MAKE_PARALLEL
    makefile = (REPO / "Makefile").read_text()
    workflow_env = documents()[".github/workflows/pulumi.yml"]["env"]
    assert re.search(rf"^export PULUMI_CONTINUE_ON_ERROR \?= {workflow_env['PULUMI_CONTINUE_ON_ERROR']}$", makefile, re.MULTILINE)


def test_the_cli_installed_is_the_version_of_the_pinned_sdk(tmp_path: Path) -> None:
    """The setup action's step that reads the pin, run as the runner runs it."""
    pins = next(step for step in steps(documents()[".github/actions/setup/action.yml"]) if step.get("id") == "pins")
    output = tmp_path / "github-output"
    subprocess.run(["bash", "-c", pins["run"]], cwd=REPO, env={"GITHUB_OUTPUT": str(output), "PATH": "/usr/bin:/bin"}, check=True)
    (pin,) = re.findall(r"^pulumi==(\S+)$", (REPO / "requirements.txt").read_text(), re.MULTILINE)
    assert output.read_text() == f"pulumi={pin}\n"


def test_previews_and_ups_run_the_guardrails_with_the_stacks_policy_config_as_make_does(tmp_path: Path) -> None:
    """README, "Guardrails (policy pack)": the config is policies/config/<stack>.json when the stack has one."""
    step = action_step(".github/actions/pulumi-azure/action.yml", "pulumi/actions@", "command")
    assert step["with"]["policyPacks"] == "policies"
    assert step["with"]["policyPackConfigs"] == "${{ steps.policy.outputs.config }}"
    policy = next(s for s in steps(documents()[".github/actions/pulumi-azure/action.yml"]) if s.get("id") == "policy")
    for stack, config in (("dev", "policies/config/dev.json"), ("prod", "policies/config/prod.json"), ("staging", "")):
        output = tmp_path / f"github-output-{stack}"
        environment = {"GITHUB_OUTPUT": str(output), "PATH": "/usr/bin:/bin", "STACK": stack}
        subprocess.run(["bash", "-c", policy["run"]], cwd=REPO, env=environment, check=True)
        assert output.read_text() == f"config={config}\n"
        expected = f"--policy-pack policies{f' --policy-pack-config {config}' if config else ''} --stack {stack}"
        assert make_command("preview", STACK=stack).endswith(f"pulumi preview {expected}")
    assert policy["env"]["STACK"] == "${{ inputs.stack }}"


def test_a_run_of_make_opts_out_of_the_guardrails_with_an_empty_policy_pack() -> None:
    assert make_command("up", POLICY_PACK="").endswith("pulumi up --yes  --stack local")
    with_pack = "pulumi up --yes --policy-pack policies --policy-pack-config policies/config/local.json --stack local"
    assert make_command("up").endswith(with_pack)


def make_command(target: str, **variables: str) -> str:
    """The pulumi command `make <target>` runs (make -n: nothing runs), with these variables in its environment."""
    environment = {k: v for k, v in os.environ.items() if k not in ("STACK", "POLICY_PACK", "POLICY_CONFIG")} | variables
    made = subprocess.run(["make", "-n", target], cwd=REPO, env=environment, capture_output=True, text=True, check=True)
    (command,) = [line for line in made.stdout.splitlines() if f" pulumi {target} " in line]
    return command
