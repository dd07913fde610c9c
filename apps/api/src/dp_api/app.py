"""The backend API for a target: routes, their dependencies, errors and metrics, wired once."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from dp_api import deps as dependencies
from dp_api import errors
from dp_api.events import EventSink
from dp_api.limits import LimitBody
from dp_api.metrics import ApiMetrics
from dp_api.observe import ObserveLatency
from dp_api.request_ids import RequestIds
from dp_api.routes import router
from dp_core.model_client import ModelClient
from dp_core.online_features import OnlineFeatures
from dp_core.resources import Resources


def create_app(
    resources: Resources,
    features: OnlineFeatures | None = None,
    model: ModelClient | None = None,
    events: EventSink | None = None,
) -> FastAPI:
    """The API on `resources`; `features`, `model` and `events` replace the target's own."""
    metrics = ApiMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        deps = dependencies.build(resources, metrics, features, model, events)
        await deps.model.start()
        if deps.keys is not None:
            await deps.keys.start()
        app.state.deps = deps
        # Everything loaded so far (Feast, pandas, pyarrow: millions of objects) lives as long
        # as the process; out of the collector's sight, full collections stop pausing requests.
        gc.freeze()
        yield
        if deps.keys is not None:
            await deps.keys.stop()
        await deps.model.close()
        deps.events.close()

    app = FastAPI(
        title="data-platform API",
        version="0.1.0",
        description="Scores card transactions with the champion fraud model.",
        lifespan=lifespan,
    )
    app.add_middleware(
        LimitBody,
        max_bytes=resources.settings.api.max_body_bytes,
        refused=metrics.errors.labels("request_too_large").inc,
    )
    app.add_middleware(ObserveLatency, histogram=metrics.latency)
    app.add_middleware(RequestIds)  # outermost: even a refused body's answer carries its id
    errors.install(app)
    app.include_router(router)
    return app
