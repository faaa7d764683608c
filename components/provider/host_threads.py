"""One stock dynamic-provider host that serves every call at once, however many jobs wait.

The stock host (`pulumi/dynamic/__main__.py`) serves the engine's gRPC calls from
`futures.ThreadPoolExecutor(max_workers=4)`, and a job's create holds one of those threads
until the job ends. So the host, as shipped, waits on at most four jobs and queues every
other call (checks, diffs, the other assets' creates) behind them.

The host calls a provider's `configure` once, when it first loads that provider, on one of
the pool's own worker threads. There the provider raises the ceiling of the pool serving it
(`widen_serving_pool`): the executor starts a thread for a call only when none is idle, so a
high ceiling costs nothing until calls wait together, and the engine's `--parallel` still
bounds how many arrive at once.

That reaches into the executor, which is no public API, so the program uses one host only for
a host it recognises (`stock_host_can_widen`); for any other it keeps one host per job, as
before (see hosts.py): slower and heavier, never a hang. Nothing here runs on import.
"""

from __future__ import annotations

import functools
import gc
import importlib.util
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# Far above any engine `--parallel` a deployment uses (`make` sets 64): threads start only as calls need them.
SERVING_THREADS = 1024
_HOST_MODULE = "pulumi.dynamic.__main__"
# What the host must still do for the widening to work: serve from a thread pool, load providers with `configure`.
_HOST_MARKERS = ("futures.ThreadPoolExecutor(", ".configure(")
_EXECUTOR_FIELDS = ("_max_workers", "_threads", "_work_queue", "_adjust_thread_count")


def stock_host_can_widen() -> bool:
    """Whether the installed SDK's dynamic-provider host is one whose pool `widen_serving_pool` raises.

    Read as text: importing the host's module would start serving.
    """
    spec = importlib.util.find_spec(_HOST_MODULE)
    if spec is None or spec.origin is None:
        return False
    try:
        source = Path(spec.origin).read_text()
    except OSError:
        return False
    # The fields are set per instance: a pool made here shows whether this Python's executor has them.
    with ThreadPoolExecutor(max_workers=1) as probe:
        has_fields = all(hasattr(probe, field) for field in _EXECUTOR_FIELDS)
    return has_fields and all(marker in source for marker in _HOST_MARKERS)


@functools.cache
def widen_serving_pool() -> bool:
    """Raise the ceiling of the thread pool this call is served from, once per process.

    Called from the provider's `configure`, on a worker thread of the host's pool. False (and
    nothing changed) when this thread belongs to no pool that can be widened.
    """
    executor = _executor_of(threading.current_thread())
    if executor is None:
        print("azureml-training: the provider host's thread pool was not found; it serves few calls at once", file=sys.stderr)
        return False
    executor._max_workers = max(executor._max_workers, SERVING_THREADS)
    # Calls queued before now got no thread of their own (a pool adds one per submit): give them theirs.
    for _ in range(executor._work_queue.qsize()):
        executor._adjust_thread_count()
    return True


def _executor_of(thread: threading.Thread) -> ThreadPoolExecutor | None:
    for candidate in gc.get_objects():
        if isinstance(candidate, ThreadPoolExecutor) and thread in getattr(candidate, "_threads", ()):
            return candidate if all(hasattr(candidate, f) for f in _EXECUTOR_FIELDS) else None
    return None
