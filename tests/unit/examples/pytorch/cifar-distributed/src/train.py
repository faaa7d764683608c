"""Train a small CNN on CIFAR-10 with DistributedDataParallel (one process per GPU).

A test fixture: the unit tests only load and hash this folder, they never run it.
"""

from __future__ import annotations

import argparse
import os


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--learning-rate", type=float, default=0.2)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--model-dir", required=True)
    args = parser.parse_args()
    rank, world_size = int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    print(f"rank {rank} of {world_size}: {args.epochs} epoch(s) at lr {args.learning_rate} on {args.data_dir}")


if __name__ == "__main__":
    main()
