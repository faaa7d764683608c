"""HTTP to a started double, as the SDK reaches it: a bearer token from the double's own token endpoint."""

from __future__ import annotations

import http.client
import json
from typing import Any

from tests.azureml_double.conformance.compare import Answer

_TENANT = "00000000-0000-4000-8000-00000000d0b1"


class DoubleClient:
    def __init__(self, port: int) -> None:
        self._connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self._token = ""
        token = self.send("POST", f"/{_TENANT}/oauth2/v2.0/token", None, form="grant_type=client_credentials")
        self._token = str((token.body or {}).get("access_token") or "")

    def send(self, method: str, path: str, body: Any, *, upstream: str = "", form: str | None = None) -> Answer:
        headers = {"Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        if upstream:
            headers["x-azureml-double-upstream"] = upstream
        data: bytes | None = None
        if form is not None:
            data, headers["Content-Type"] = form.encode(), "application/x-www-form-urlencoded"
        elif body is not None:
            data = (body if isinstance(body, str) else json.dumps(body)).encode()
            headers["Content-Type"] = "application/json"
        try:
            response = self._exchange(method, path, data, headers)
        except (http.client.RemoteDisconnected, ConnectionError):
            # The double closed a kept-alive connection (e.g. after an error answer): once more on a new one.
            self._connection.close()
            response = self._exchange(method, path, data, headers)
        raw = response.read()
        return Answer(response.status, dict(response.getheaders()), _parse(raw, response.getheader("Content-Type") or ""))

    def _exchange(self, method: str, path: str, data: bytes | None, headers: dict[str, str]) -> http.client.HTTPResponse:
        self._connection.request(method, path, body=data, headers=headers)
        return self._connection.getresponse()

    def close(self) -> None:
        self._connection.close()


def _parse(raw: bytes, content_type: str) -> Any:
    if not raw:
        return None
    if "json" in content_type or raw[:1] in (b"{", b"["):
        try:
            return json.loads(raw)
        except ValueError:
            pass
    return raw.decode(errors="replace")
