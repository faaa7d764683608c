"""Compute targets on this machine: each compute name is a pool of process slots.

Jobs and trials that name the same compute share its slots (the stack's `local.concurrency`),
as they would queue for an Azure ML cluster's nodes; a sweep's own bookkeeping takes no slot.
"""

from __future__ import annotations

import threading


def compute_name(reference: str | None) -> str:
    """`azureml:cpu-cluster` and `cpu-cluster` are one compute; no compute is Azure ML's serverless."""
    return (reference or "serverless").removeprefix("azureml:")


class ComputePools:
    def __init__(self, size: int) -> None:
        self._size = size
        self._pools: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()

    def slot(self, compute: str | None) -> threading.BoundedSemaphore:
        """The compute's pool; `with pools.slot(compute):` holds one slot."""
        with self._lock:
            return self._pools.setdefault(compute_name(compute), threading.BoundedSemaphore(self._size))
