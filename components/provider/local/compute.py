"""Compute targets on this machine: each compute name is a pool of process slots.

Jobs and trials that name the same compute share its slots (the stack's `local.concurrency`),
as they would queue for an Azure ML cluster's nodes; a sweep's own bookkeeping takes no slot.

A stack's jobs wait in one provider process, or in one each where the host cannot serve them
all (see components/provider/hosts.py), and a killed deployment's run may still hold a slot
from a process of its own; so a slot is a lock file of the workspace,
`compute/<name>/slot-<n>.lock`, held with `flock` (one lock per open file, so threads of one
process exclude each other too): the pool is shared by all of a stack's processes and threads,
and a process that dies (even by SIGKILL) frees its slot, since the kernel drops its locks with it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

# How often a job waiting for a slot tries again; small next to any job's run time.
_RETRY_SECONDS = 0.2


def compute_name(reference: str | None) -> str:
    """`azureml:cpu-cluster` and `cpu-cluster` are one compute; no compute is Azure ML's serverless."""
    return (reference or "serverless").removeprefix("azureml:")


class ComputePools:
    def __init__(self, folder: Path, size: int) -> None:
        self._folder = folder
        self._size = size

    @contextlib.contextmanager
    def slot(self, compute: str | None) -> Iterator[int]:
        """Hold one of the compute's slots (`with pools.slot(compute):`), waiting for one to be free."""
        folder = self._folder / compute_name(compute)
        folder.mkdir(parents=True, exist_ok=True)
        while True:
            for index in range(self._size):
                held = _try_lock(folder / f"slot-{index}.lock")
                if held is not None:
                    try:
                        yield index
                    finally:
                        os.close(held)  # closing the descriptor releases its lock
                    return
            time.sleep(_RETRY_SECONDS)


def _try_lock(path: Path) -> int | None:
    """An open descriptor holding `path`'s exclusive lock, or None if someone else holds it."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        return None
    return descriptor
