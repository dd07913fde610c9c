"""Fakes of the API's dependencies (online store, model, events) for tests of its own logic."""

from __future__ import annotations

from typing import Any

import numpy as np

from dp_core.inference import ModelUnavailable
from dp_core.model_client import Scores
from dp_core.online_features import FeaturesUnavailable
from dp_features.repo import FEATURES

KNOWN = {name: 1.0 for name in FEATURES} | {"amount_avg_7d": 20.0, "last_txn_at": 1.79e9}
BODY = {
    "customer_id": "c-0000001",
    "merchant_id": "m-1",
    "amount": 42.5,
    "currency": "EUR",
    "channel": "online",
    "country": "DE",
    "timestamp": "2026-11-01T12:00:00Z",
}


class FakeFeatures:
    def __init__(self) -> None:
        self.down = False

    async def aread(self, customer_id: str) -> dict[str, Any]:
        if self.down:
            raise FeaturesUnavailable("online store unreachable: fake")
        return KNOWN if customer_id == BODY["customer_id"] else dict.fromkeys(FEATURES)


class FakeModel:
    def __init__(self) -> None:
        self.down = False
        self.seen: list[np.ndarray] = []
        self.request_ids: list[str] = []

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def ready(self) -> bool:
        return not self.down

    async def predict(self, inputs: np.ndarray, request_id: str = "") -> Scores:
        if self.down:
            raise ModelUnavailable("model server at http://x is unreachable")
        self.seen.append(inputs)
        self.request_ids.append(request_id)
        return Scores([0.7], "fraud-detector", "3")


class FakeEvents:
    def __init__(self) -> None:
        self.published: list[tuple[str, dict[str, Any]]] = []

    def publish(self, key: str, event: dict[str, Any]) -> None:
        self.published.append((key, event))

    def close(self) -> None: ...
