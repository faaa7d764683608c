"""Train a logistic-regression classifier on scikit-learn's breast-cancer data, tracked with MLflow.

The data ships inside scikit-learn, so nothing is downloaded; in the pipeline (pipeline-job.yml)
the prepare step's split comes in as `--data` instead. Azure ML (and the local target)
point MLflow at the job's run, so `mlflow.start_run()` continues that run. The model is logged
to the run and saved as an MLflow model in the job's `model` output for registration.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import mlflow
import mlflow.sklearn
import pandas as pd
from mlflow.models import infer_signature
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

SEED = 42


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--C", type=float, default=1.0, help="inverse regularization strength")
    parser.add_argument("--max_iter", type=int, default=200)
    parser.add_argument("--test_size", type=float, default=0.25)
    parser.add_argument("--data", help="a folder with train.csv and test.csv (a `target` column) instead of a split made here")
    parser.add_argument("--model_output", required=True, help="folder to save the MLflow model in (must be empty)")
    return parser.parse_args(argv)


def train(C: float, max_iter: int) -> Pipeline:  # noqa: N803 - scikit-learn's name for it
    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=max_iter))


def split(args: argparse.Namespace) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    if args.data:
        train_set, test_set = (pd.read_csv(Path(args.data) / f"{part}.csv") for part in ("train", "test"))
        return train_set.drop(columns="target"), test_set.drop(columns="target"), train_set["target"], test_set["target"]
    features, labels = load_breast_cancer(return_X_y=True, as_frame=True)
    return train_test_split(features, labels, test_size=args.test_size, random_state=SEED, stratify=labels)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    x_train, x_test, y_train, y_test = split(args)
    with mlflow.start_run():
        mlflow.log_params({"C": args.C, "max_iter": args.max_iter, "test_size": args.test_size})
        model = train(args.C, args.max_iter).fit(x_train, y_train)
        predicted = model.predict(x_test)
        mlflow.log_metrics(
            {
                "accuracy": accuracy_score(y_test, predicted),
                "f1": f1_score(y_test, predicted),
                "roc_auc": roc_auc_score(y_test, model.predict_proba(x_test)[:, 1]),
            }
        )
        # skops is the safe format; explicit requirements spare MLflow inferring them in a subprocess.
        options = {
            "serialization_format": "skops",
            "signature": infer_signature(x_test, predicted),
            "pip_requirements": [*mlflow.sklearn.get_default_pip_requirements(include_skops=True), f"mlflow=={mlflow.__version__}"],
        }
        mlflow.sklearn.log_model(model, name="model", **options)
        mlflow.sklearn.save_model(model, args.model_output, **options)


if __name__ == "__main__":
    main()
