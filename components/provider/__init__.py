"""The dynamic provider: Azure ML assets as Pulumi resources, on Azure or on this machine."""

from components.provider.resources import Component, DataAsset, Datastore, Environment, Job, LocalWorkspace, Model

__all__ = ["Component", "DataAsset", "Datastore", "Environment", "Job", "LocalWorkspace", "Model"]
