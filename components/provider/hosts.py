"""Which provider process serves which resource: an explicit `pulumi-python` instance per job.

Pulumi runs every dynamic resource of the default provider in one host process
(`pulumi/dynamic/__main__.py`) that serves the engine's calls from a pool of four threads. A
job that waits for its run holds a thread until the run ends, so one host would wait on at
most four jobs at once and queue every other call (checks, diffs, reads) behind them. Each
explicit provider instance gets a host process of its own, with the stock CLI and host
unchanged: so every job gets an instance named after its key, and the other assets
(workspace folder, environments, datastores, data, models) share one.

The engine starts provider hosts one after another, so the job instances depend on the shared
one: their hosts start while the workspace (which every job needs first) is being created.

A resource never moves between instances when jobs are added or removed: its instance is
named by its own key alone. (Moving would not replace it anyway: the host implements no
DiffConfig, so the engine treats a change of instance as no change; an existing stack whose
resources were on the default provider moves onto these instances with nothing replaced.)
"""

from __future__ import annotations

import pulumi

PACKAGE = "pulumi-python"
SHARED = "azureml-assets"


class ProviderHosts:
    """The program's provider instances, each made on first use (a stack without jobs starts one host)."""

    def __init__(self) -> None:
        self._instances: dict[str, pulumi.ProviderResource] = {}

    def shared(self) -> pulumi.ProviderResource:
        """The instance for everything but jobs: quick calls, none of which waits for a run."""
        return self._instance(SHARED)

    def for_job(self, key: str) -> pulumi.ProviderResource:
        """The job's own instance, so its wait never holds a thread another call needs."""
        return self._instance(f"job-{key}", pulumi.ResourceOptions(depends_on=[self.shared()]))

    def _instance(self, name: str, opts: pulumi.ResourceOptions | None = None) -> pulumi.ProviderResource:
        if name not in self._instances:
            self._instances[name] = pulumi.ProviderResource(PACKAGE, name, opts=opts)
        return self._instances[name]
