"""Which paths in a YAML are local files (hashed, uploaded or copied) and which name something remote."""

from __future__ import annotations

import re

_REMOTE = re.compile(r"^(azureml:|https?://|wasbs?://|abfss?://|adl://|azureml://|git\+)")


def is_local(path: str) -> bool:
    return bool(path) and not _REMOTE.match(path)
