"""Train LightGBM on the iris CSV and log the test log-loss the sweep minimizes.

A test fixture: the unit tests only load and hash this folder, they never run it.
"""

from __future__ import annotations

import argparse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iris-csv", required=True)
    parser.add_argument("--learning-rate", type=float, default=0.1)
    parser.add_argument("--boosting", choices=["gbdt", "dart"], default="gbdt")
    args = parser.parse_args()
    print(f"{args.boosting} at learning rate {args.learning_rate} on {args.iris_csv}")


if __name__ == "__main__":
    main()
