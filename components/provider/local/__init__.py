"""The local backend: Azure ML's assets and jobs on this machine.

Imported only when a resource's workspace has `target: local` (see `backend.open_backend`).
A stack's workspace is one folder (`layout.py`) holding an MLflow tracking store and model
registry (`tracking.py`), environment, data and datastore records, and one folder per job.
Environments are virtualenvs built by uv in a cache shared by stacks (`venvs.py`); jobs are
processes on a per-compute pool of slots (`compute.py`), run as Azure ML would run them
(`interpolation.py`, `sampling.py`, `runs.py`, `command_jobs.py`, `sweep_jobs.py`).
"""
