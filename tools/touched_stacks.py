"""The stacks a change touches, for CI to preview (README, "CI workflows").

A stack file (`stacks/Pulumi.<stack>.yaml`) and its guardrails' config (`policies/config/<stack>.json`)
touch their own stack; a change to the program (what every stack runs: `PROGRAM_PATHS`, the policy
pack included) touches every stack; anything else (docs, tests, tools) none.
Only stacks whose file exists after the change count: a deleted stack has nothing to preview.

    python3 -m tools.touched_stacks <base-commit> >> "$GITHUB_OUTPUT"

prints `azure-stacks=[...]` (JSON, for a job matrix) and `local-stack=true|false`: the `local` stack
(the Makefile's default, no Azure) is previewed with `make preview`, every other one in Azure but the
local dev → prod example (`LOCAL_EXAMPLES`).
Standard library only, so it runs before the project's virtualenv exists.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STACKS_DIR = "stacks"
POLICY_CONFIG_DIR = "policies/config"
LOCAL_STACK = "local"
# The dev → prod example on this machine: serve reads lab's state, which no CI preview has, so neither is previewed.
LOCAL_EXAMPLES = ("lab", "serve")
# What every stack runs; a folder ends with a slash.
PROGRAM_PATHS = ("Pulumi.yaml", "__main__.py", "requirements.txt", "components/", "jobs/", "policies/")


def stack_of(path: str) -> str | None:
    """`dev` for `stacks/Pulumi.dev.yaml` and for `policies/config/dev.json`; None for any other path."""
    folder, _, name = path.rpartition("/")
    if folder == STACKS_DIR and name.startswith("Pulumi.") and name.endswith(".yaml"):
        return name.removeprefix("Pulumi.").removesuffix(".yaml")
    if folder == POLICY_CONFIG_DIR and name.endswith(".json"):
        return name.removesuffix(".json")
    return None


def is_program(path: str) -> bool:
    return stack_of(path) is None and any(path.startswith(prefix) if prefix.endswith("/") else path == prefix for prefix in PROGRAM_PATHS)


def touched_stacks(changed: Iterable[str], stacks: Iterable[str]) -> list[str]:
    """The stacks among `stacks` (those that exist) that the changed paths touch, sorted."""
    changed, existing = list(changed), set(stacks)
    if any(is_program(path) for path in changed):
        return sorted(existing)
    return sorted({stack for path in changed if (stack := stack_of(path))} & existing)


def existing_stacks(root: Path = ROOT) -> list[str]:
    return sorted(stack for path in (root / STACKS_DIR).glob("Pulumi.*.yaml") if (stack := stack_of(f"{STACKS_DIR}/{path.name}")))


def changed_files(base: str, root: Path = ROOT) -> list[str]:
    """What a pull request into `base` changes: the paths changed from their merge base to HEAD."""
    diff = subprocess.run(["git", "diff", "--name-only", f"{base}...HEAD"], cwd=root, check=True, capture_output=True, text=True)
    return diff.stdout.splitlines()


def github_outputs(stacks: list[str]) -> str:
    azure = [stack for stack in stacks if stack != LOCAL_STACK and stack not in LOCAL_EXAMPLES]
    return f"azure-stacks={json.dumps(azure)}\nlocal-stack={json.dumps(LOCAL_STACK in stacks)}\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python3 -m tools.touched_stacks <base-commit>", file=sys.stderr)
        return 2
    sys.stdout.write(github_outputs(touched_stacks(changed_files(argv[0]), existing_stacks())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
