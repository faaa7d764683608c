"""Which paths in a YAML are local files (hashed, uploaded or copied) and which name something remote."""

from __future__ import annotations

import re

_REMOTE = re.compile(r"^(azureml:|https?://|wasbs?://|abfss?://|adl://|azureml://|git\+)")


def is_local(path: str) -> bool:
    return bool(path) and not _REMOTE.match(path)


# Cloud storage only Azure ML's nodes read; the local target reads local paths, datastore URIs and http(s) URLs.
_CLOUD_STORAGE = re.compile(r"^(wasbs?|abfss?|adl|s3|gs)://")


def is_cloud_storage(path: str) -> bool:
    return bool(_CLOUD_STORAGE.match(path))
