"""Credentials through one interface: the environment (embedded) or OpenBao's KV v2 (Vault API)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from dp_core.settings import SecretsSettings

SERVICE_ACCOUNT_TOKEN = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")


class SecretError(RuntimeError):
    """A secret could not be read; the message names the service and the path."""


class SecretStore(Protocol):
    def get(self, path: str) -> dict[str, str]:
        """The key/value pairs stored at `path` (e.g. "s3")."""
        ...


class EnvSecretStore:
    """Secrets from `DP_SECRET_<PATH>_<KEY>` variables, for targets without a secret server."""

    def get(self, path: str) -> dict[str, str]:
        prefix = f"DP_SECRET_{path.upper()}_"
        return {k[len(prefix) :].lower(): v for k, v in os.environ.items() if k.startswith(prefix)}


class OpenBaoSecretStore:
    """Secrets from OpenBao's KV v2 engine: token auth locally, Kubernetes auth in a cluster."""

    def __init__(self, settings: SecretsSettings) -> None:
        import hvac

        self._settings = settings
        verify: bool | str = str(settings.ca_cert) if settings.ca_cert else True
        self._client = hvac.Client(url=settings.url, token=_token(settings), verify=verify)
        if settings.auth == "kubernetes":
            jwt = SERVICE_ACCOUNT_TOKEN.read_text()
            self._client.auth.kubernetes.login(role=settings.kubernetes_role, jwt=jwt)

    def get(self, path: str) -> dict[str, str]:
        import hvac.exceptions
        import requests

        try:
            answer = self._client.secrets.kv.v2.read_secret_version(
                path=path, mount_point=self._settings.mount, raise_on_deleted_version=True
            )
        except hvac.exceptions.Forbidden as exc:
            raise SecretError(
                f"OpenBao at {self._settings.url} refused the token for '{path}'"
            ) from exc
        except hvac.exceptions.InvalidPath as exc:
            raise SecretError(f"OpenBao at {self._settings.url} has no secret '{path}'") from exc
        except requests.exceptions.SSLError as exc:
            raise SecretError(
                f"OpenBao at {self._settings.url} presented a certificate this process does not "
                f"trust: set secrets.ca_cert to the CA that signed it ({exc})"
            ) from exc
        except requests.ConnectionError as exc:
            raise SecretError(f"OpenBao at {self._settings.url} is unreachable") from exc
        return {str(k): str(v) for k, v in answer["data"]["data"].items()}


def _token(settings: SecretsSettings) -> str | None:
    """BAO_TOKEN, else the token file the stack writes (absent in clusters: Kubernetes auth)."""
    if token := os.environ.get("BAO_TOKEN"):
        return token
    if settings.token_file is not None and settings.token_file.exists():
        return settings.token_file.read_text().strip()
    return None


def build_secret_store(settings: SecretsSettings) -> SecretStore:
    """The secret store the settings name."""
    if settings.backend == "openbao":
        return OpenBaoSecretStore(settings)
    return EnvSecretStore()
