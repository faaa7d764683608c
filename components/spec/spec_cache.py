"""What azure-ai-ml concluded about unchanged files, remembered across runs.

Importing azure-ai-ml costs seconds, and every `pulumi preview` runs the program. A file
that validated before, byte for byte, under the same SDK version, validates again; a folder
whose files all have the size and modification time they had when it was hashed has the
same content hash (the way git's index trusts stat data). So a no-op preview needs neither
the SDK's loaders nor its hashing, and never imports it.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path
from typing import Any


def default_directory() -> Path:
    cache = (
        os.environ.get("AZUREML_TRAINING_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "azureml-training"
    )
    return Path(cache) / "specs"


class SpecCache:
    """Answers kept as small files named by the hash of everything the answer depends on."""

    def __init__(self, directory: Path | None = None) -> None:
        self._directory = directory or default_directory()
        self._sdk = metadata.version("azure-ai-ml")

    def validate(
        self, path: Path, loader: str, overrides: list[dict[str, Any]], run: Callable[[], None], references: Iterable[Path] = ()
    ) -> None:
        """Run the loader unless this exact file, and the files it references (a conda file, say),
        already passed it under this SDK."""
        referenced = [(str(p), _fingerprint(p)) for p in references if p.exists()]
        key = self._key("validated", loader, overrides, hashlib.sha256(path.read_bytes()).hexdigest(), referenced)
        if self._read(key) is None:
            run()
            if all(_settled(fingerprint) for _, fingerprint in referenced):
                self._write(key, "ok")

    def content_hash(self, path: Path, compute: Callable[[], str]) -> str:
        """The content hash of a file or folder, recomputed only when its files' stat data changed."""
        fingerprint = _fingerprint(path)
        key = self._key("content", str(path.resolve()), fingerprint)
        known = self._read(key)
        if known is None:
            known = compute()
            if _settled(fingerprint):
                self._write(key, known)
        return known

    def _key(self, *parts: Any) -> str:
        text = json.dumps([self._sdk, *parts], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def _read(self, key: str) -> str | None:
        try:
            return (self._directory / key).read_text()
        except OSError:
            return None

    def _write(self, key: str, value: str) -> None:
        # Best effort: a read-only or full cache only costs speed, never correctness.
        try:
            self._directory.mkdir(parents=True, exist_ok=True)
            temporary = self._directory / f".{key}.{os.getpid()}"
            temporary.write_text(value)
            temporary.replace(self._directory / key)
        except OSError:
            return


def _fingerprint(path: Path) -> list[tuple[str, int, int]]:
    """Every file below `path` (ignored ones too: conservative) with its size and mtime."""
    if not path.is_dir():
        stat = path.stat()
        return [(path.name, stat.st_size, stat.st_mtime_ns)]
    entries = []
    for folder, _dirs, files in os.walk(path, followlinks=True):  # as azure-ai-ml walks it
        for name in files:
            file = Path(folder, name)
            stat = file.stat()
            entries.append((file.relative_to(path).as_posix(), stat.st_size, stat.st_mtime_ns))
    return sorted(entries)


# A file written within this many seconds may be rewritten within the same mtime tick, unseen by
# its stat data (git's "racy clean" problem): such answers are not remembered.
_SETTLE_SECONDS = 2.0


def _settled(fingerprint: list[tuple[str, int, int]]) -> bool:
    newest = max((mtime for _, _, mtime in fingerprint), default=0)
    return newest < time.time_ns() - int(_SETTLE_SECONDS * 1e9)
