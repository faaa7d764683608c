"""A local endpoint: `POST /score` with key auth, shared between its deployments' scoring servers as Azure ML shares it.

As on Azure ML: `Authorization: Bearer <key>` (401 without one of the endpoint's keys); the
`azureml-model-deployment: <name>` header sends a request to that deployment whatever its share;
otherwise a deployment is drawn by its traffic weight, and mirrored traffic gets a copy whose
answer nobody waits for; the answer names the deployment that scored it in the same header.

The endpoint's folder is read per request (components/provider/local/layout.py names its files):
a deployment that starts or stops, or new traffic, takes effect without restarting the router.
Only digests of the keys are on disk. Only the standard library.

Run as `python -m components.provider.local.endpoint_router <endpoint folder> <port>`, under supervisor.py.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from components.provider.local.http_service import LOOPBACK, JsonHandler, serve
from components.provider.local.layout import DEPLOYMENT_RECORD, DEPLOYMENTS, ENDPOINT_RECORD, TRAFFIC_RECORD
from components.provider.local.records import read_record

DEPLOYMENT_HEADER = "azureml-model-deployment"
_FORWARD_TIMEOUT_SECONDS = 60.0


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def authorized(authorization: str | None, digests: list[str]) -> bool:
    scheme, _, key = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not key:
        return False
    presented = key_digest(key.strip())
    return any(hmac.compare_digest(presented, known) for known in digests)


def choose(deployments: dict[str, Any], traffic: dict[str, int], header: str | None) -> str | None:
    """The deployment a request goes to: the one its header names, else one drawn by weight (None: none takes traffic)."""
    if header:
        return header
    weighted = [(name, share) for name, share in traffic.items() if share > 0 and name in deployments]
    if not weighted:
        return None
    names, weights = zip(*weighted, strict=True)
    return random.choices(names, weights)[0]


def _handler(folder: Path) -> type[JsonHandler]:
    class RouterHandler(JsonHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_json(200, "Healthy") if self.path == "/" else self.send_json(404, {"error": f"no route {self.path}"})

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.read_body()
            if self.path != "/score":
                self.send_json(404, {"error": f"no route {self.path}"})
                return
            endpoint = read_record(folder / ENDPOINT_RECORD) or {}
            if not authorized(self.headers.get("Authorization"), list(endpoint.get("key_digests") or [])):
                self.send_json(401, {"error": "key-based authentication failed: send Authorization: Bearer <endpoint key>"})
                return
            deployments = {path.parent.name: read_record(path) for path in (folder / DEPLOYMENTS).glob(f"*/{DEPLOYMENT_RECORD}")}
            shares = read_record(folder / TRAFFIC_RECORD) or {}
            name = choose(deployments, dict(shares.get("traffic") or {}), self.headers.get(DEPLOYMENT_HEADER))
            if name is None:
                why = "no deployment takes traffic: set the endpoint's traffic, or name a deployment in azureml-model-deployment"
                self.send_json(503, {"error": why})
                return
            if name not in deployments:
                self.send_json(404, {"error": f"endpoint {endpoint.get('name')} has no deployment {name!r}"})
                return
            self._mirror(deployments, dict(shares.get("mirror_traffic") or {}), body)
            status, answer = _forward(int(deployments[name]["port"]), body)
            self.send_bytes(status, answer, {DEPLOYMENT_HEADER: name})

        def _mirror(self, deployments: dict[str, Any], mirror_traffic: dict[str, int], body: bytes) -> None:
            for name, share in mirror_traffic.items():
                if name in deployments and random.random() * 100 < share:
                    threading.Thread(target=_forward, args=(int(deployments[name]["port"]), body), daemon=True).start()

    return RouterHandler


def _forward(port: int, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(
        f"http://{LOOPBACK}:{port}/score", data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=_FORWARD_TIMEOUT_SECONDS) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()
    except OSError as err:
        return 502, json.dumps({"error": f"the deployment's scoring server did not answer: {err}"}).encode()


def main(folder: str, port: str) -> None:
    serve(int(port), _handler(Path(folder)))


if __name__ == "__main__":
    main(*sys.argv[1:])
