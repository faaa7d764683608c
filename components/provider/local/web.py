"""Web inputs (`path: https://...`) on this machine: downloaded once into a content cache.

Azure ML reads a public http(s) URL where the job runs; locally the file is fetched into
`$AZUREML_TRAINING_CACHE/web/<digest of the URL>/<file name>` the first time a job or data
asset names it, and every later job (of any stack) reads that copy. A lock per URL keeps
two jobs that start together from downloading it twice; a download that fails halfway
leaves nothing behind.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urlparse

from components.provider.local.errors import NotFoundLocallyError
from components.provider.local.progress import report
from components.provider.local.venvs import cache_root

_TIMEOUT_SECONDS = 60


def web_cache() -> Path:
    return cache_root().parent / "web"


def is_web(reference: str) -> bool:
    return reference.startswith(("http://", "https://"))


def download(url: str, subject: str) -> Path:
    """The cached copy of `url`'s file, fetching it first if no job has yet."""
    folder = web_cache() / hashlib.sha256(url.encode()).hexdigest()[:32]
    target = folder / (unquote(Path(urlparse(url).path).name) or "download")
    folder.mkdir(parents=True, exist_ok=True)
    with folder.with_suffix(".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.is_file():
            report(subject, f"downloading {url}")
            _fetch(url, target, subject)
    return target


def _fetch(url: str, target: Path, subject: str) -> None:
    handle, partial = tempfile.mkstemp(dir=target.parent, prefix=".partial-")
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=_TIMEOUT_SECONDS) as response:
            shutil.copyfileobj(response, out)
        Path(partial).replace(target)
    except (urllib.error.URLError, OSError) as err:
        Path(partial).unlink(missing_ok=True)
        raise NotFoundLocallyError(f"{subject}: could not download {url} ({_reason(err)}); check the URL, or use a local path") from None


def _reason(err: Exception) -> str:
    if isinstance(err, urllib.error.HTTPError):
        return f"HTTP {err.code} {err.reason}"
    if isinstance(err, urllib.error.URLError):
        return str(err.reason)
    return str(err)
