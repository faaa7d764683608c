"""The dynamic provider: Azure ML assets as Pulumi resources, on Azure or on this machine."""

from components.provider.resources import DataAsset, Datastore, Environment, Job, LocalWorkspace, Model

__all__ = ["DataAsset", "Datastore", "Environment", "Job", "LocalWorkspace", "Model"]
