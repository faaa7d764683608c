"""Recorded exchanges in the azure-sdk test-proxy format: ``{"Entries": [...], "Variables": {...}}``.

Files are read as bytes and decoded as UTF-8 (with or without BOM); CRLF line endings (the 2023 recordings)
are JSON whitespace, so nothing else is needed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Exchange:
    """One recorded request and the service's answer."""

    index: int
    method: str
    url: str
    request_body: Any
    status: int
    headers: dict[str, str]
    body: Any

    @cached_property
    def _split(self):
        return urlsplit(self.url)

    @property
    def host(self) -> str:
        return self._split.netloc.lower()

    @property
    def path(self) -> str:
        return self._split.path

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(self._split.query, keep_blank_values=True))

    @property
    def api_version(self) -> str | None:
        return self.query.get("api-version")

    @property
    def path_and_query(self) -> str:
        return self.path + (f"?{self._split.query}" if self._split.query else "")

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)

    @property
    def succeeded(self) -> bool:
        return 200 <= self.status < 300

    def to_entry(self) -> dict[str, Any]:
        return {
            "RequestUri": self.url,
            "RequestMethod": self.method,
            "RequestBody": self.request_body,
            "StatusCode": self.status,
            "ResponseHeaders": self.headers,
            "ResponseBody": self.body,
        }


def exchange_from_entry(index: int, entry: dict[str, Any]) -> Exchange:
    return Exchange(
        index=index,
        method=str(entry["RequestMethod"]).upper(),
        url=str(entry["RequestUri"]),
        request_body=_json_or_text(entry.get("RequestBody")),
        status=int(entry["StatusCode"]),
        headers={str(k): str(v) for k, v in (entry.get("ResponseHeaders") or {}).items()},
        body=_json_or_text(entry.get("ResponseBody")),
    )


def _json_or_text(value: Any) -> Any:
    """Bodies are stored as JSON values, or as text when the proxy could not parse them."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def read_json(path: Path) -> Any:
    return json.loads(path.read_bytes().decode("utf-8-sig"))


def is_recording(document: Any) -> bool:
    return isinstance(document, dict) and isinstance(document.get("Entries"), list)


def read_exchanges(document: dict[str, Any]) -> list[Exchange]:
    return [exchange_from_entry(i, entry) for i, entry in enumerate(document["Entries"], start=1)]


def recording_files(folder: Path) -> list[Path]:
    """Every recording under ``folder`` (JSON files with ``Entries``), in a stable order."""
    found = []
    for path in sorted(folder.rglob("*.json")):
        try:
            document = read_json(path)
        except (OSError, ValueError):
            continue
        if is_recording(document):
            found.append(path)
    return found
