"""Online features of one customer, read through Feast (SQLite or Redis behind it)."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from feast import FeatureStore

from dp_features.repo import ENTITY_KEY, FEATURES, feature_refs


class FeaturesUnavailable(RuntimeError):
    """The online store could not be read."""


class OnlineFeatures:
    """Reads the feature service's values for a customer; all None for an unknown one."""

    def __init__(self, store: FeatureStore) -> None:
        self._store = store
        self._refs = feature_refs()

    def read(self, customer_id: str) -> dict[str, Any]:
        try:
            values = self._store.get_online_features(
                features=self._refs, entity_rows=[{ENTITY_KEY: customer_id}]
            ).to_dict()
        except Exception as exc:  # any store failure is the same fact to the caller
            raise FeaturesUnavailable(f"online store unreachable: {exc!r}") from exc
        return {name: values[name][0] for name in FEATURES}

    async def aread(self, customer_id: str) -> dict[str, Any]:
        return await to_thread.run_sync(self.read, customer_id)
