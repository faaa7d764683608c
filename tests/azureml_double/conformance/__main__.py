"""``python -m tests.azureml_double.conformance <recordings folder | recording | fixture> [--allowlist FILE] [--by-operation]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tests.azureml_double.conformance.allowlist import DEFAULT_ALLOWLIST, load_allowlist
from tests.azureml_double.conformance.check import check


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.azureml_double.conformance", description=__doc__)
    parser.add_argument("source", type=Path, help="a folder of test-proxy recordings, or a fixture written by distill")
    parser.add_argument("--allowlist", type=Path, default=DEFAULT_ALLOWLIST)
    parser.add_argument("--by-operation", action="store_true", help="also list each operation's differences once each")
    args = parser.parse_args(argv)
    if not args.source.exists():
        parser.error(f"{args.source}: no such file or folder")
    totals = check(args.source, load_allowlist(args.allowlist), grouped=args.by_operation)
    return 1 if totals.failing or not totals.replayed else 0


if __name__ == "__main__":
    sys.exit(main())
