"""What the routes depend on, built once per process from `Resources` and handed out by FastAPI.

The lifespan builds `Dependencies` (online features, model client, event sink, metrics, settings)
and keeps them on the app; routes receive them with `Deps` (`Depends(get_deps)`). Tests and tools
pass their own features, model or events to `create_app` in place of the real ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from dp_api.auth import ApiKeys
from dp_api.events import EventSink, KafkaEvents, NoEvents
from dp_api.metrics import ApiMetrics
from dp_core.model_client import BatchingModelClient, ModelClient
from dp_core.online_features import OnlineFeatures
from dp_core.resources import Resources
from dp_core.settings import ApiSettings
from dp_features.repo import ENTITY_KEY, FEATURES, VIEW


@dataclass
class Dependencies:
    features: OnlineFeatures
    model: ModelClient
    metrics: ApiMetrics
    events: EventSink
    settings: ApiSettings
    keys: ApiKeys | None = None


def build(
    resources: Resources,
    metrics: ApiMetrics,
    features: OnlineFeatures | None = None,
    model: ModelClient | None = None,
    events: EventSink | None = None,
) -> Dependencies:
    """The real clients of the target, unless given."""
    kafka, api = resources.settings.kafka, resources.settings.api
    if events is None:
        events = KafkaEvents(resources, metrics) if kafka.publish_predictions else NoEvents()
    return Dependencies(
        features=features
        or resources.online_features(VIEW, FEATURES, ENTITY_KEY, timeout_s=api.deadline_s),
        model=model or _batched(resources, metrics),
        metrics=metrics,
        events=events,
        settings=api,
        keys=ApiKeys(resources.secrets, api.keys_refresh_s) if api.auth == "api_key" else None,
    )


def _batched(resources: Resources, metrics: ApiMetrics) -> ModelClient:
    """The target's model client; over v2, concurrent predictions share requests."""
    serving = resources.settings.model_server
    if serving.mode != "v2_http" or serving.batch_max_rows == 1:
        return resources.model_client
    return BatchingModelClient(
        resources.model_client,
        max_rows=serving.batch_max_rows,
        in_flight=serving.batch_in_flight,
        on_batch=metrics.model_batch_rows.observe,
    )


def deps_of(request: Request) -> Dependencies:
    deps: Dependencies = request.app.state.deps
    return deps


async def get_deps(request: Request) -> Dependencies:
    """Async on purpose: FastAPI runs a plain `def` dependency in a worker thread, and that
    hand-off per request was ~15 % of the API's CPU samples (`make profile`)."""
    return deps_of(request)


Deps = Annotated[Dependencies, Depends(get_deps)]
