"""The one MLClient of an Azure backend, built from the resource's `workspace` property.

Every job of a stack is served by one provider process (see components/provider/hosts.py),
so the process signs in once: one credential for all its clients, whose token every job
shares, asked for one call at a time, so jobs that start together do not each sign in
before the first token is kept.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from azure.ai.ml import MLClient
    from azure.core.credentials import AccessToken, AccessTokenInfo, TokenCredential

_REQUIRED = ("subscription_id", "resource_group", "workspace_name")
# As azure-core does: a token this close to its expiry is renewed.
_REFRESH_SECONDS = 300


@dataclass(frozen=True)
class WorkspaceRef:
    subscription_id: str
    resource_group: str
    workspace_name: str

    @classmethod
    def from_props(cls, workspace: Mapping[str, Any]) -> WorkspaceRef:
        missing = [key for key in _REQUIRED if not workspace.get(key)]
        if missing:
            raise ValueError(f"an azure workspace needs {', '.join(_REQUIRED)}; missing: {', '.join(missing)}")
        return cls(*(str(workspace[key]) for key in _REQUIRED))


class OneSignIn:
    """A credential that signs in once per scope and hands every caller that token until it nears expiry.

    azure-ai-ml asks for tokens through both `get_token` and `get_token_info`, from each of its
    clients; the credential underneath would sign in more than once for them. A caller with a
    claims challenge always gets a new token.
    """

    def __init__(self, credential: TokenCredential) -> None:
        self._credential = credential
        self._lock = threading.Lock()
        self._tokens: dict[tuple[Any, ...], AccessTokenInfo] = {}

    def get_token(
        self, *scopes: str, claims: str | None = None, tenant_id: str | None = None, enable_cae: bool = False, **_: Any
    ) -> AccessToken:
        from azure.core.credentials import AccessToken

        options = {"claims": claims, "tenant_id": tenant_id, "enable_cae": enable_cae}
        info = self.get_token_info(*scopes, options={k: v for k, v in options.items() if v})
        return AccessToken(info.token, info.expires_on)

    def get_token_info(self, *scopes: str, options: Mapping[str, Any] | None = None) -> AccessTokenInfo:
        options = dict(options or {})
        key = (scopes, options.get("tenant_id"), bool(options.get("enable_cae")))
        with self._lock:
            cached = self._tokens.get(key)
            if cached is None or options.get("claims") or cached.expires_on - time.time() < _REFRESH_SECONDS:
                cached = self._tokens[key] = self._credential.get_token_info(*scopes, options=options)
            return cached

    def close(self) -> None:
        self._credential.close()


# The process's credential, made by the first call that needs one (see process_credential).
_PROCESS: dict[str, OneSignIn] = {}


def process_credential() -> OneSignIn:
    """The default credential chain (CLI login, managed identity, environment, ...), once per process.

    Calls that arrive together may each build one (building signs nothing in); the first one stored is the one all use.
    """
    credential = _PROCESS.get("credential")
    if credential is None:
        from azure.identity import DefaultAzureCredential

        credential = _PROCESS.setdefault("credential", OneSignIn(DefaultAzureCredential()))
    return credential


def open_client(ref: WorkspaceRef, options: Mapping[str, Any]) -> MLClient:
    """An MLClient on the process's credential."""
    from azure.ai.ml import MLClient

    # The SDK warns about its own experimental schema classes on every load; users can't act on it.
    logging.getLogger("azure.ai.ml._utils._experimental").setLevel(logging.ERROR)
    # Upload progress bars would garble the engine's output; `report` says what happens instead.
    return MLClient(
        process_credential(),
        ref.subscription_id,
        ref.resource_group,
        ref.workspace_name,
        **{"show_progress": False, **options},
    )


def open_registry_client(registry: str, options: Mapping[str, Any]) -> MLClient:
    """An MLClient on an Azure ML registry, on the process's credential: azure-ai-ml finds the registry's subscription,
    group and regional host through the registry discovery endpoint."""
    from azure.ai.ml import MLClient

    return MLClient(process_credential(), registry_name=registry, **{"show_progress": False, **options})
