"""The scoring script of an MLflow no-code deployment on this machine: what Azure ML brings for one.

azmlinfsrv imports it in the model's environment, calls init() once and run() for each request with its body as
text. It takes the bodies Azure ML documents for MLflow models
(https://learn.microsoft.com/azure/machine-learning/how-to-deploy-mlflow-models, "Input structure"), all under
`input_data`: pandas' split orientation (`columns`, `index`, `data`); a list of rows (a tensor, whose columns are
named by the model's signature when it is column-based) or of records (one mapping of column to value per row);
or a mapping of names to values (named tensors, or columns). A `params` mapping goes to the model's predict() for
a signature that declares parameters. The answer is a JSON list of predictions (records for a DataFrame); a body
it cannot score is answered 400 with what is wrong.
It imports only what the environment has: MLflow, pandas and numpy (MLflow's own), and the inference server.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import pandas as pd

_model: Any = None


class RequestError(ValueError):
    """A body the deployment does not score: answered 400 with this message."""


def init() -> None:
    global _model
    import mlflow.pyfunc

    # MLflow refuses a model folder reached through a link; the version's folder may be one.
    _model = mlflow.pyfunc.load_model(os.path.realpath(os.environ["AZUREML_MODEL_DIR"]))


def run(raw_data: str) -> Any:
    from mlflow.exceptions import MlflowException

    try:
        data, params = model_input(json.loads(raw_data), _model.metadata.get_input_schema())
        predictions = _model.predict(data, params=params) if params else _model.predict(data)
    except (MlflowException, ValueError, KeyError, TypeError) as err:  # the schema's enforcement says what is wrong
        from azureml_inference_server_http.api.aml_response import AMLResponse

        return AMLResponse({"message": str(err)}, 400, json_str=True)
    return as_list(predictions)


def model_input(body: Any, schema: Any) -> tuple[Any, dict[str, Any] | None]:
    """What predict() takes for a request body: the data, and the params (None without)."""
    if not isinstance(body, dict) or "input_data" not in body:
        raise RequestError(
            'the request needs "input_data": {"columns": [...], "index": [...], "data": [[...]]}, a list of rows, '
            "or a mapping of names to values"
        )
    params = body.get("params")
    if params is not None and not isinstance(params, dict):
        raise RequestError(f"params must be a mapping of parameter names to values, not {type(params).__name__}")
    tensors = schema is not None and schema.is_tensor_spec()
    return (_tensors(body["input_data"]) if tensors else _frame(body["input_data"], schema)), params


def _frame(input_data: Any, schema: Any) -> pd.DataFrame:
    if isinstance(input_data, dict) and "data" in input_data:
        return pd.DataFrame(input_data["data"], columns=input_data.get("columns"), index=input_data.get("index"))
    if isinstance(input_data, dict):
        return pd.DataFrame(input_data)
    if isinstance(input_data, list):
        return pd.DataFrame(input_data, columns=_column_names(schema, input_data))
    raise RequestError(f"input_data must be a mapping or a list of rows, not {type(input_data).__name__}")


def _tensors(input_data: Any) -> Any:
    if isinstance(input_data, dict):
        return {name: np.asarray(values) for name, values in input_data.items()}
    if isinstance(input_data, list):
        return np.asarray(input_data)
    raise RequestError(f"input_data must be a list (a tensor) or a mapping of names to lists, not {type(input_data).__name__}")


def _column_names(schema: Any, rows: list[Any]) -> list[str] | None:
    """A column-based signature names the columns that bare rows leave unnamed."""
    names = schema.input_names() if schema is not None else []
    width = len(rows[0]) if rows and isinstance(rows[0], list) else None
    return list(names) if names and len(names) == width else None


def as_list(predictions: Any) -> Any:
    if isinstance(predictions, pd.DataFrame):
        return predictions.to_dict(orient="records")
    if hasattr(predictions, "tolist"):
        return predictions.tolist()
    if isinstance(predictions, dict):
        return {name: as_list(values) for name, values in predictions.items()}
    return list(predictions)
