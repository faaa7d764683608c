"""Whether a local endpoint's router or a deployment's server still runs, from its folder's files alone.

The dynamic provider's `diff` asks, so that a plain `pulumi up` (which diffs, and reads only with `--refresh`)
starts again a server that died: it reads the supervisor's record (pid and start time) and the kernel's process
table, takes no lock, opens no connection and imports nothing heavy.
"""

from __future__ import annotations

from components.provider.backend import Props
from components.provider.local.layout import Layout
from components.provider.local.process import supervisor_pid


def server_stopped(workspace: Props, endpoint: str, deployment: str | None) -> bool:
    layout = Layout(str(workspace["root"]))
    folder = layout.endpoint_dir(endpoint) if deployment is None else layout.deployment_dir(endpoint, deployment)
    return supervisor_pid(folder) is None
