"""What an MLflow no-code deployment does with a request body, as Azure ML's MLflow scoring script does it.

Azure ML's no-code deployments of an `mlflow_model` accept `{"input_data": ...}` in three shapes
(https://learn.microsoft.com/azure/machine-learning/how-to-deploy-mlflow-models-online-endpoints,
"Input formats"): pandas' split orientation (`columns`, `index`, `data`), a list of rows (read
with the model signature's column names when it has them), and a mapping of column to values;
and answer with a JSON list of predictions. Shared by the scoring server and its tests, so
this module imports nothing heavy itself: the model is handed in.
"""

from __future__ import annotations

from typing import Any, Protocol

import pandas as pd


class RequestError(ValueError):
    """The request body is not one the deployment scores: the caller answers 400 with this message."""


class PyfuncModel(Protocol):
    """What scoring needs of `mlflow.pyfunc.load_model(...)`'s result."""

    metadata: Any

    def predict(self, data: Any) -> Any: ...


def score(model: PyfuncModel, body: Any) -> list[Any]:
    """The model's predictions for one request body, as a JSON-ready list."""
    if not isinstance(body, dict) or "input_data" not in body:
        raise RequestError('the request needs "input_data": {"columns": [...], "index": [...], "data": [[...]]} or a list of rows')
    return _as_list(model.predict(_frame(model, body["input_data"])))


def _frame(model: PyfuncModel, input_data: Any) -> pd.DataFrame:
    if isinstance(input_data, dict) and "data" in input_data:
        return pd.DataFrame(input_data["data"], columns=input_data.get("columns"), index=input_data.get("index"))
    if isinstance(input_data, dict):
        return pd.DataFrame(input_data)
    if isinstance(input_data, list):
        return pd.DataFrame(input_data, columns=_signature_columns(model, input_data))
    raise RequestError(f"input_data must be a mapping or a list of rows, not {type(input_data).__name__}")


def _signature_columns(model: PyfuncModel, rows: list[Any]) -> list[str] | None:
    """A column-based signature names the columns that bare rows leave unnamed."""
    schema = model.metadata.get_input_schema() if model.metadata is not None else None
    names = schema.input_names() if schema is not None and not schema.is_tensor_spec() else []
    width = len(rows[0]) if rows and isinstance(rows[0], list) else None
    return list(names) if names and len(names) == width else None


def _as_list(predictions: Any) -> list[Any]:
    if isinstance(predictions, pd.DataFrame):
        return predictions.to_dict(orient="records")
    if hasattr(predictions, "tolist"):
        return predictions.tolist()
    return list(predictions)
