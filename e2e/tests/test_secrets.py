"""Each service of ours holds a token with its own policy: it reads its secrets and no other's."""

from __future__ import annotations

import os
from typing import Any

import hvac
import hvac.exceptions
import pytest

from e2e.target import Target

pytestmark = pytest.mark.requires("services")
# What each workload needs (docs/security.md), written here, not read from the policies.
NEEDS = {
    "api": {"s3", "postgres/feast-reader", "api-keys", "redis/reader", "kafka/api"},
    "stream": {"s3", "postgres/feast-reader", "redis/writer", "kafka/stream"},
    "serving": set(),
}
SECRETS = {
    "s3",
    "postgres/feast",
    "postgres/feast-reader",
    "api-keys",
    "redis/reader",
    "redis/writer",
    "kafka/admin",
    "kafka/api",
    "kafka/stream",
}


def _client(target: Target, token: str) -> hvac.Client:
    return hvac.Client(url=target.endpoint("openbao"), token=token)


def _token(target: Target, service: str) -> str:
    return (target.state_dir / "stack" / "tokens" / service).read_text().strip()


def _read(client: hvac.Client, path: str) -> dict[str, Any]:
    return client.secrets.kv.v2.read_secret_version(  # type: ignore[no-any-return]
        path=path, mount_point="secret", raise_on_deleted_version=True
    )


@pytest.mark.parametrize("service", sorted(NEEDS))
def test_a_service_token_reads_its_secrets_and_no_others(
    flow: dict[str, Any], target: Target, service: str
) -> None:
    client = _client(target, _token(target, service))
    me = client.auth.token.lookup_self()["data"]
    assert sorted(me["policies"]) == sorted({"default", service})
    assert me["ttl"] > 0  # not a root token: those never expire
    for path in sorted(SECRETS):
        if path in NEEDS[service]:
            assert _read(client, path)["data"]["data"]
        else:
            with pytest.raises(hvac.exceptions.Forbidden):
                _read(client, path)
    with pytest.raises(hvac.exceptions.Forbidden):  # nor may it write policies or tokens
        client.sys.create_or_update_acl_policy(
            name="mine", policy='path "*" {capabilities=["read"]}'
        )


@pytest.mark.parametrize("service", sorted(NEEDS))
def test_the_running_service_holds_its_own_token(target: Target, service: str) -> None:
    environ = target.service_environ(service)
    assert environ.get("BAO_TOKEN") == _token(target, service)
    assert environ["BAO_TOKEN"] != os.environ.get("BAO_TOKEN", "")
    root = (target.state_dir / "stack" / "bao-token").read_text().strip()
    assert environ["BAO_TOKEN"] != root
