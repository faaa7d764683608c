"""The no-code scoring script's reading of a request body: the shapes Azure ML documents for MLflow models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlflow.types import ColSpec, Schema, TensorSpec

from components.provider.local.inference.mlflow_score import RequestError, as_list, model_input

COLUMNS = Schema([ColSpec("double", "size"), ColSpec("double", "weight")])
TENSOR = Schema([TensorSpec(np.dtype("float64"), (-1, 2))])
ROWS = [[1.5, 1.0], [9.5, 9.0]]


def test_the_split_orientation_keeps_columns_and_index() -> None:
    data, params = model_input({"input_data": {"columns": ["size", "weight"], "index": [7, 8], "data": ROWS}}, COLUMNS)
    pd.testing.assert_frame_equal(data, pd.DataFrame(ROWS, columns=["size", "weight"], index=[7, 8]))
    assert params is None


def test_bare_rows_are_named_by_a_column_signature() -> None:
    data, _ = model_input({"input_data": ROWS}, COLUMNS)
    assert list(data.columns) == ["size", "weight"]


def test_a_list_of_records_is_a_frame() -> None:
    data, _ = model_input({"input_data": [{"size": 1.5, "weight": 1.0}, {"size": 9.5, "weight": 9.0}]}, COLUMNS)
    pd.testing.assert_frame_equal(data, pd.DataFrame(ROWS, columns=["size", "weight"]))


def test_a_mapping_of_columns_is_a_frame() -> None:
    data, _ = model_input({"input_data": {"size": [1.5], "weight": [1.0]}}, COLUMNS)
    pd.testing.assert_frame_equal(data, pd.DataFrame({"size": [1.5], "weight": [1.0]}))


def test_a_tensor_signature_takes_arrays_and_named_tensors() -> None:
    data, _ = model_input({"input_data": ROWS}, TENSOR)
    np.testing.assert_array_equal(data, np.asarray(ROWS))
    named, _ = model_input({"input_data": {"tokens": [[1, 2]], "mask": [[0, 1]]}}, TENSOR)
    assert {name: values.tolist() for name, values in named.items()} == {"tokens": [[1, 2]], "mask": [[0, 1]]}


def test_params_go_to_predict() -> None:
    assert model_input({"input_data": ROWS, "params": {"top_k": 2}}, COLUMNS)[1] == {"top_k": 2}


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"data": ROWS}, '"input_data"'),
        ([ROWS], '"input_data"'),
        ({"input_data": "rows"}, "input_data must be a mapping or a list of rows"),
        ({"input_data": ROWS, "params": [1]}, "params must be a mapping"),
    ],
)
def test_a_body_it_cannot_score_says_why(body: object, says: str) -> None:
    with pytest.raises(RequestError, match=says.replace("[", r"\[")):
        model_input(body, COLUMNS)


def test_predictions_are_a_json_list() -> None:
    assert as_list(np.array([0, 1])) == [0, 1]
    assert as_list(pd.DataFrame({"label": [0, 1]})) == [{"label": 0}, {"label": 1}]
