"""Compute slots are shared by every process of a stack, and a dead holder frees its slot."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from components.provider.local.compute import ComputePools

# Holds slot 0 of `cpu` in the folder given as argv[1] until killed; prints once it holds it.
_HOLDER = """
import sys, time
from pathlib import Path
from components.provider.local.compute import ComputePools
with ComputePools(Path(sys.argv[1]), 1).slot("azureml:cpu"):
    print("held", flush=True)
    time.sleep(60)
"""


def _acquire_in_thread(pools: ComputePools, compute: str) -> tuple[threading.Thread, threading.Event]:
    acquired = threading.Event()

    def take() -> None:
        with pools.slot(compute):
            acquired.set()

    thread = threading.Thread(target=take)
    thread.start()
    return thread, acquired


def test_two_pools_over_one_folder_share_its_slots(tmp_path: Path) -> None:
    first, second = ComputePools(tmp_path, 1), ComputePools(tmp_path, 1)
    with first.slot("cpu"):
        thread, acquired = _acquire_in_thread(second, "azureml:cpu")
        assert not acquired.wait(0.6), "the second pool took a slot the first holds"
    assert acquired.wait(2), "the slot was not handed on once released"
    thread.join()


def test_other_computes_have_slots_of_their_own(tmp_path: Path) -> None:
    pools = ComputePools(tmp_path, 1)
    with pools.slot("cpu"):
        thread, acquired = _acquire_in_thread(pools, "gpu")
        assert acquired.wait(2)
    thread.join()


def test_a_slot_held_by_another_process_waits_until_that_process_is_killed(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[3]
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(tmp_path)], cwd=root, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        thread, acquired = _acquire_in_thread(ComputePools(tmp_path, 1), "cpu")
        assert not acquired.wait(0.6), "a slot held by another process was taken"
        killed = time.monotonic()
        holder.send_signal(signal.SIGKILL)
        assert acquired.wait(2), "SIGKILL of the holder did not free its slot"
        assert time.monotonic() - killed < 2
        thread.join()
    finally:
        holder.kill()
        holder.wait()
