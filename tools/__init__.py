"""Tools for working on the project: the Pulumi CLI build (pulumi/), recovery after a killed deployment (recover.py),
the stacks a change touches for CI (touched_stacks.py)."""
