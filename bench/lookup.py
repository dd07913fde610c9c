"""One customer's online features: as the API reads them, and a raw Redis HMGET as the floor."""

from __future__ import annotations

import time

import redis.asyncio as aioredis
from feast.infra.online_stores.helpers import _mmh3, _redis_key
from feast.infra.online_stores.redis import RedisOnlineStore
from feast.protos.feast.types.EntityKey_pb2 import EntityKey
from feast.protos.feast.types.Value_pb2 import Value

from dp_core.feature_store import repo_config
from dp_core.resources import Resources
from dp_core.settings import Settings
from dp_features.repo import ENTITY_KEY, FEATURES, VIEW

READS = 2_000
CUSTOMERS = 1_000


def latency_summary(seconds: list[float]) -> dict[str, float]:
    """p50 and p99 in ms of request durations in seconds (NaN when none succeeded)."""
    ordered = sorted(seconds) or [float("nan")]
    return {
        "p50_ms": round(ordered[len(ordered) // 2] * 1000, 3),
        "p99_ms": round(ordered[int(len(ordered) * 0.99)] * 1000, 3),
    }


def _customer(i: int) -> str:
    return f"c-{i % CUSTOMERS:07d}"


async def feature_lookup(settings: Settings) -> dict[str, float]:
    """The API's read path (`OnlineFeatures.aread`), one customer per call."""
    features = Resources(settings).online_features(VIEW, FEATURES, ENTITY_KEY)
    await features.aread(_customer(0))
    seconds = []
    for i in range(READS):
        started = time.perf_counter()
        await features.aread(_customer(i))
        seconds.append(time.perf_counter() - started)
    return latency_summary(seconds)


async def redis_floor(settings: Settings) -> dict[str, float]:
    """The same hash fields with one HMGET and no decoding: what the network and Redis cost."""
    online = repo_config(Resources(settings)).online_store  # with the ACL user and password
    nodes, params = RedisOnlineStore._parse_connection_string(online.connection_string)
    client = aioredis.Redis(host=nodes[0]["host"], port=int(nodes[0]["port"]), **params)
    fields = [_mmh3(f"{VIEW}:{name}") for name in FEATURES]

    def key(i: int) -> bytes:
        entity = EntityKey(join_keys=[ENTITY_KEY], entity_values=[Value(string_val=_customer(i))])
        return _redis_key(settings.feast.project, entity, 3)

    keys = [key(i) for i in range(CUSTOMERS)]
    await client.execute_command("HMGET", keys[0], *fields)
    seconds = []
    for i in range(READS):
        started = time.perf_counter()
        await client.execute_command("HMGET", keys[i % CUSTOMERS], *fields)
        seconds.append(time.perf_counter() - started)
    await client.aclose()
    return latency_summary(seconds)
