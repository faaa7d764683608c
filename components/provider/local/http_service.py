"""The local endpoint's router's HTTP: loopback only, JSON bodies.

Only the standard library: the router runs as a script of its own, under supervisor.py. (A deployment's server is
azmlinfsrv, which inference/loopback_server.py holds to the same loopback address.)
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Never beyond this machine: Azure ML's endpoints are reached through their scoring URI; ours through loopback only.
LOOPBACK = "127.0.0.1"


class JsonHandler(BaseHTTPRequestHandler):
    """A request handler answering JSON, with one log line per request in the server's log."""

    protocol_version = "HTTP/1.1"

    def read_body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def send_json(self, status: int, value: Any, headers: dict[str, str] | None = None) -> None:
        self.send_bytes(status, json.dumps(value).encode(), headers)

    def send_bytes(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def serve(port: int, handler: type[JsonHandler]) -> None:
    """Serve on loopback until stopped (the supervisor's SIGTERM ends the process)."""
    with ThreadingHTTPServer((LOOPBACK, port), handler) as server:
        server.daemon_threads = True
        server.serve_forever()
