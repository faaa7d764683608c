"""Split scikit-learn's breast-cancer data (shipped with it: nothing is downloaded) into train.csv and test.csv."""

from __future__ import annotations

import argparse
from pathlib import Path

from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

SEED = 42


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--test_size", type=float, default=0.25)
    parser.add_argument("--output", required=True, help="folder for train.csv and test.csv")
    args = parser.parse_args()
    frame = load_breast_cancer(as_frame=True).frame
    train, test = train_test_split(frame, test_size=args.test_size, random_state=SEED, stratify=frame["target"])
    output = Path(args.output)
    train.to_csv(output / "train.csv", index=False)
    test.to_csv(output / "test.csv", index=False)
    print(f"{len(train)} training rows, {len(test)} test rows")


if __name__ == "__main__":
    main()
