"""The local backend: Azure ML's assets and jobs on this machine (`target: local`).

Imported only when a resource's workspace is local (see `providers.open_backend`).

- `backend.py`: the Backend protocol, delegating to the modules below.
- `workspace.py`, `layout.py`, `ownership.py`, `tracking.py`: a stack's folder, where each thing
  lives in it, which folders it may take, and its MLflow tracking store and model registry (one sqlite database);
  `tracking_service.py`, `tracking_client.py`: the one process per machine that holds MLflow for the runs, so
  provider processes never import it.
- `environments.py`, `conda.py`, `venvs.py`: environment assets as uv-built virtualenvs,
  cached by content and shared by stacks.
- `datastores.py`, `data.py`: datastores and data assets as workspace folders.
- `jobs.py`, `command_jobs.py`, `sweep_jobs.py`: a job's lifecycle and the two kinds that run here;
  `job.py`, `inputs.py`, `interpolation.py`, `sampling.py`, `runs.py`, `process.py`, `compute.py`:
  how a run is prepared, interpolated, sampled, tracked, started and pooled; `supervisor.py`: the
  keeper of each run's process, which outlives a killed deployment so that the next one adopts the run.
- `models.py`: models registered from job outputs.
"""
