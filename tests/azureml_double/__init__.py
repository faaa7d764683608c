"""Loopback Azure ML double for tests: the real azure-ai-ml SDK talks to it, blobs go to Azurite.

* :class:`AzureMLDouble` (server.py) - the HTTP double and its in-memory state / test controls;
* :class:`Azurite` (azurite.py) - the Azure Storage blob emulator (npm ``azurite``);
* :mod:`harness` - routing of this process (``routed``) or of child processes (``subprocess_env``).
"""

from .azurite import Azurite, free_port
from .harness import INJECT_DIR, routed, routing_env, subprocess_env
from .server import AZURITE_ACCOUNT, AZURITE_KEY, AzureMLDouble, Fault, JobScript, RecordedRequest

__all__ = [
    "AZURITE_ACCOUNT",
    "AZURITE_KEY",
    "INJECT_DIR",
    "AzureMLDouble",
    "Azurite",
    "Fault",
    "JobScript",
    "RecordedRequest",
    "free_port",
    "routed",
    "routing_env",
    "subprocess_env",
]
