"""Write a greeting (a few times, loudly if asked) to a file in the output folder."""

from __future__ import annotations

import argparse
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--greeting", required=True)
    parser.add_argument("--output", required=True, type=Path)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--shout", type=lambda value: value.lower() == "true", default=False)
    args = parser.parse_args()
    greeting = args.greeting.upper() if args.shout else args.greeting
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "greetings.txt").write_text("\n".join([greeting] * args.repeat) + "\n")
    print(greeting)


if __name__ == "__main__":
    main()
