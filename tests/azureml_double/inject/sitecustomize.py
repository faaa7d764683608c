"""Test-harness sitecustomize: routes the Azure SDK to the Azure ML double when AZUREML_DOUBLE_URL is set.

tests/azureml_double/harness.py puts this directory first on PYTHONPATH. It installs only a cheap import hook
(azure is not imported here) and then runs any other sitecustomize found further down sys.path.
"""

# ruff: noqa: PTH100, PTH120 - os.path on purpose: this runs at every interpreter start, keep imports minimal.

import os as _os
import sys as _sys


def _chain_next_sitecustomize() -> None:
    import importlib.machinery
    import importlib.util

    here = _os.path.dirname(_os.path.abspath(__file__))
    rest = [p for p in _sys.path if _os.path.abspath(p or ".") != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is None or spec.loader is None or spec.origin == _os.path.abspath(__file__):
        return
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)


if _os.environ.get("AZUREML_DOUBLE_URL"):
    import azureml_double_inject as _inject

    _inject.install()

try:
    _chain_next_sitecustomize()
except Exception as _exc:  # noqa: BLE001 - never break interpreter start-up over another sitecustomize
    print(f"azureml double sitecustomize: chained sitecustomize failed: {_exc}", file=_sys.stderr)
