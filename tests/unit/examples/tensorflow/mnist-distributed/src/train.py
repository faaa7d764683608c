"""Train a small Keras network on MNIST with MultiWorkerMirroredStrategy.

A test fixture: the unit tests only load and hash this folder, they never run it.
"""

from __future__ import annotations

import argparse
import json
import os


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--model-dir", required=True)
    args = parser.parse_args()
    cluster = json.loads(os.environ.get("TF_CONFIG", "{}")).get("cluster", {})
    print(f"{len(cluster.get('worker', []))} worker(s), {args.epochs} epoch(s), model to {args.model_dir}")


if __name__ == "__main__":
    main()
