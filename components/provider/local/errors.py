"""Errors the local backend raises; each message names the asset and says what to do."""

from __future__ import annotations


class LocalTargetError(RuntimeError):
    """Base of the local backend's errors."""


class UnsupportedLocallyError(LocalTargetError):
    """The definition asks for something only Azure ML can do (say so, never pretend)."""


class NotFoundLocallyError(LocalTargetError):
    """An `azureml:` reference names nothing in this stack's local workspace."""


class InvalidDefinitionError(LocalTargetError):
    """A job or environment definition is wrong in a way Azure ML would also refuse."""


class EnvironmentBuildError(LocalTargetError):
    """uv could not create or fill an environment's virtualenv."""


class JobFailedError(LocalTargetError):
    """A job's process exited non-zero or ran out of time; the message carries the log tail."""


class FolderNotOursError(LocalTargetError):
    """The workspace's folder holds files it did not write: taking it over would let a destroy remove them."""
