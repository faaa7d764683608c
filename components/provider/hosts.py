"""Which provider process serves which resource: one `pulumi-python` instance for the whole stack.

Every asset of the stack, jobs included, goes through one explicit provider instance,
`azureml-assets`, which the engine runs as one stock dynamic-provider host. That host serves
every waiting job at once because the provider widens the host's thread pool when the host
first loads it (see host_threads.py). So the stack costs one host process, one azure-ai-ml
import and one Azure sign-in however many jobs it has, and a no-op preview starts one process.

For a host the provider cannot widen (an SDK whose host changed), each job gets an instance of
its own, `job-<key>`, a host process of its own, as before: every job still waits at once,
at a process per job.

Moving a resource between instances replaces nothing: the host implements no DiffConfig, so
the engine treats a change of instance as no change (a stack deployed with per-job instances
previews its jobs as unchanged, and the old instances as deleted).
"""

from __future__ import annotations

import pulumi

from components.provider.host_threads import stock_host_can_widen

PACKAGE = "pulumi-python"
SHARED = "azureml-assets"


class ProviderHosts:
    """The program's provider instances, each made on first use."""

    def __init__(self, one_host: bool | None = None) -> None:
        """`one_host`: serve jobs from the shared instance; by default, when the installed host allows it."""
        self._one_host = stock_host_can_widen() if one_host is None else one_host
        self._instances: dict[str, pulumi.ProviderResource] = {}

    def shared(self) -> pulumi.ProviderResource:
        """The instance every asset goes through (and every job, when its host serves them all at once)."""
        return self._instance(SHARED)

    def for_job(self, key: str) -> pulumi.ProviderResource:
        if self._one_host:
            return self.shared()
        # Registered after the shared one: the engine starts hosts one by one, these while the workspace is made.
        return self._instance(f"job-{key}", pulumi.ResourceOptions(depends_on=[self.shared()]))

    def _instance(self, name: str, opts: pulumi.ResourceOptions | None = None) -> pulumi.ProviderResource:
        if name not in self._instances:
            self._instances[name] = pulumi.ProviderResource(PACKAGE, name, opts=opts)
        return self._instances[name]
