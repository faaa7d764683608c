"""Train a small Keras network on MNIST with Horovod, one rank per GPU.

A test fixture: the unit tests only load and hash this folder, they never run it.
"""

from __future__ import annotations

import argparse
import os


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    rank, size = os.environ.get("OMPI_COMM_WORLD_RANK", "0"), os.environ.get("OMPI_COMM_WORLD_SIZE", "1")
    print(f"rank {rank} of {size}: {args.epochs} epoch(s)")


if __name__ == "__main__":
    main()
