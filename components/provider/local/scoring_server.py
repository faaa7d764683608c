"""One deployment's scoring server: the registered MLflow model behind `POST /score`, on a loopback port.

What Azure ML's inference server does for an MLflow no-code deployment, without Docker: load the
model with MLflow's pyfunc flavour once, answer `GET /` when ready (its liveness route), and
score each request as components/provider/local/scoring.py describes. The model is loaded before
the port is bound, so a server that answers is a server that scores.

Run as `python -m components.provider.local.scoring_server <model folder> <port>`, under supervisor.py.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from components.provider.local.http_service import JsonHandler, serve
from components.provider.local.scoring import RequestError, score


def _handler(model: Any) -> type[JsonHandler]:
    from mlflow.exceptions import MlflowException

    class ScoringHandler(JsonHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_json(200, "Healthy") if self.path == "/" else self.send_json(404, {"error": f"no route {self.path}"})

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            if self.path != "/score":
                self.send_json(404, {"error": f"no route {self.path}"})
                return
            try:
                self.send_json(200, score(model, json.loads(self.read_body())))
            except (RequestError, MlflowException, ValueError, KeyError) as err:
                # The model's schema enforcement and pandas both say what is wrong with the input.
                self.send_json(400, {"error": str(err)})

    return ScoringHandler


def main(model_dir: str, port: str) -> None:
    import mlflow.pyfunc

    serve(int(port), _handler(mlflow.pyfunc.load_model(model_dir)))


if __name__ == "__main__":
    main(*sys.argv[1:])
