"""Tools for working on the project: the Pulumi CLI build (pulumi/), recovery after a killed deployment (recover.py)."""
