"""API keys: who may call `/v1/predict` (`api.auth = "api_key"`; stack, kind and oci).

The keys live in the secret store at `api-keys`: one field per client, its value the key, and an
optional `<client>:scopes` field (comma-separated; `predict` when absent). A request presents its
key as `Authorization: Bearer <key>` or `X-API-Key: <key>`. No key or an unknown one: 401 with
`WWW-Authenticate: Bearer`; a known key without the route's scope: 403. Keys are compared by
their SHA-256 digests in constant time and re-read every `api.keys_refresh_s`, so a rotated or
revoked key takes effect without a restart.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from dataclasses import dataclass

from anyio import to_thread
from fastapi import Request

from dp_core.api_keys import KEYS_PATH
from dp_core.logs import get_logger
from dp_core.secrets import SecretStore

log = get_logger(__name__)
DEFAULT_SCOPES = frozenset({"predict"})


class Unauthenticated(Exception):
    """No key, or a key nobody was given."""


class Forbidden(Exception):
    """A known key without the scope the route needs."""


@dataclass(frozen=True)
class Client:
    name: str
    scopes: frozenset[str]


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def parse(secret: dict[str, str]) -> dict[bytes, Client]:
    """The `api-keys` secret as key digest → client."""
    clients = {}
    for name, key in secret.items():
        if ":" in name or not key:
            continue
        listed = secret.get(f"{name}:scopes")
        scopes = frozenset(s.strip() for s in listed.split(",")) if listed else DEFAULT_SCOPES
        clients[_digest(key)] = Client(name, scopes)
    return clients


def presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("x-api-key") or None


class ApiKeys:
    """The current keys, read from the secret store and refreshed in the background."""

    def __init__(self, secrets: SecretStore, refresh_s: float) -> None:
        self._secrets = secrets
        self._refresh_s = refresh_s
        self._clients: dict[bytes, Client] = {}
        self._task: asyncio.Task[None] | None = None
        self.loaded_at = 0.0

    async def start(self) -> None:
        await self.reload()
        self._task = asyncio.create_task(self._follow())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def reload(self) -> None:
        secret = await to_thread.run_sync(self._secrets.get, KEYS_PATH)
        self._clients = parse(secret)
        self.loaded_at = time.monotonic()

    async def _follow(self) -> None:
        while True:
            await asyncio.sleep(self._refresh_s)
            try:
                await self.reload()
            except Exception as exc:  # keep the keys we have; say so
                log.warning("api_keys_refresh_failed", error=str(exc))

    def check(self, key: str | None, scope: str) -> Client:
        if key is None:
            raise Unauthenticated("no API key: send `Authorization: Bearer <key>`")
        digest = _digest(key)
        client = next((c for d, c in self._clients.items() if hmac.compare_digest(d, digest)), None)
        if client is None:
            raise Unauthenticated("the API key is not valid")
        if scope not in client.scopes:
            raise Forbidden(f"the key of '{client.name}' does not allow '{scope}'")
        return client
