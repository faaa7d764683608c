"""Score the trained MLflow model on the held-out split; the metrics go to the run and to report/metrics.json."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import mlflow
import mlflow.pyfunc
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True, help="an MLflow model folder")
    parser.add_argument("--data", required=True, help="a folder with test.csv (a `target` column)")
    parser.add_argument("--report", required=True, help="folder for metrics.json")
    args = parser.parse_args()
    test = pd.read_csv(Path(args.data) / "test.csv")
    predicted = mlflow.pyfunc.load_model(args.model).predict(test.drop(columns="target"))
    metrics = {"test_accuracy": accuracy_score(test["target"], predicted), "test_f1": f1_score(test["target"], predicted)}
    with mlflow.start_run():
        mlflow.log_metrics(metrics)
    (Path(args.report) / "metrics.json").write_text(json.dumps(metrics, indent=2))
    print(json.dumps(metrics))


if __name__ == "__main__":
    main()
