"""Fit an SVM on the iris CSV and log the training F1 score the sweeps maximize.

A test fixture: the unit tests only load and hash this folder, they never run it.
"""

from __future__ import annotations

import argparse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iris-csv", required=True)
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--kernel", default="rbf")
    parser.add_argument("--coef0", type=float, default=0.0)
    parser.add_argument("--degree", type=int, default=3)
    args = parser.parse_args()
    print(f"SVC(C={args.C}, kernel={args.kernel}, coef0={args.coef0}, degree={args.degree}) on {args.iris_csv}")


if __name__ == "__main__":
    main()
