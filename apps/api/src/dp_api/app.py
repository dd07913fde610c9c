"""The backend API: `POST /v1/predict`, `/healthz`, `/readyz`, `/metrics`."""

from __future__ import annotations

import gc
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from dp_api.events import EventSink, KafkaEvents, NoEvents
from dp_api.features import FeaturesUnavailable, OnlineFeatures
from dp_api.metrics import ApiMetrics
from dp_api.observe import ObserveLatency
from dp_api.schemas import Decision, Prediction, Problem, Transaction
from dp_core.model_inputs import input_row
from dp_core.resources import Resources
from dp_core.settings import ApiSettings, Settings
from dp_features.store import feature_store
from dp_serving.champion import ModelUnavailable
from dp_serving.client import ModelClient, build_model_client

READINESS_PROBE_CUSTOMER = "__readiness_probe__"
EVENT_FIELDS = {"request_id", "transaction_id", "score", "decision", "model_name", "model_version"}


@dataclass
class Dependencies:
    features: OnlineFeatures
    model: ModelClient
    metrics: ApiMetrics
    events: EventSink
    settings: ApiSettings


def decide(score: float, settings: ApiSettings) -> Decision:
    if score >= settings.fraud_threshold:
        return "decline"
    if score >= settings.review_threshold:
        return "review"
    return "approve"


def problem(
    status: int, error: str, message: str, detail: list[dict[str, object]] | None = None
) -> JSONResponse:
    body = Problem(error=error, message=message, detail=detail).model_dump(exclude_none=True)
    return JSONResponse(status_code=status, content=body)


def create_app(
    settings: Settings,
    features: OnlineFeatures | None = None,
    model: ModelClient | None = None,
    events: EventSink | None = None,
) -> FastAPI:
    """The API for a target; `features`, `model` and `events` replace the settings' choices."""
    metrics = ApiMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        sink = events or (
            KafkaEvents(settings.kafka, metrics.events_sent, metrics.events_dropped)
            if settings.kafka.publish_predictions
            else NoEvents()
        )
        deps = Dependencies(
            features=features or OnlineFeatures(feature_store(Resources(settings))),
            model=model or build_model_client(settings),
            metrics=metrics,
            events=sink,
            settings=settings.api,
        )
        await deps.model.start()
        app.state.deps = deps
        # Everything loaded so far (Feast, pandas, pyarrow: millions of objects) lives as long
        # as the process; out of the collector's sight, full collections stop pausing requests.
        gc.freeze()
        yield
        await deps.model.close()
        deps.events.close()

    app = FastAPI(
        title="data-platform API",
        version="0.1.0",
        description="Scores card transactions with the champion fraud model.",
        lifespan=lifespan,
    )

    def deps_of(request: Request) -> Dependencies:
        deps: Dependencies = request.app.state.deps
        return deps

    app.add_middleware(ObserveLatency, histogram=metrics.latency)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        deps_of(request).metrics.errors.labels("invalid_request").inc()
        errors: list[dict[str, object]] = [
            {"field": ".".join(str(p) for p in e["loc"][1:]), "problem": e["msg"]}
            for e in exc.errors()
        ]
        summary = "; ".join(f"{e['field'] or 'body'}: {e['problem']}" for e in errors)
        return problem(422, "invalid_request", summary, errors)

    @app.exception_handler(ModelUnavailable)
    async def no_model(request: Request, exc: ModelUnavailable) -> JSONResponse:
        deps_of(request).metrics.errors.labels("model_unavailable").inc()
        return problem(503, "model_unavailable", str(exc))

    @app.exception_handler(FeaturesUnavailable)
    async def no_features(request: Request, exc: FeaturesUnavailable) -> JSONResponse:
        deps_of(request).metrics.errors.labels("features_unavailable").inc()
        return problem(503, "features_unavailable", str(exc))

    unavailable: dict[int | str, dict[str, Any]] = {
        503: {"model": Problem, "description": "The model server or the online store is down."}
    }
    invalid_body: dict[int | str, dict[str, Any]] = {
        422: {"model": Problem, "description": "The transaction is not valid."}
    }

    @app.post("/v1/predict", response_model=Prediction, responses={**unavailable, **invalid_body})
    async def predict(transaction: Transaction, request: Request) -> Prediction:
        """Score a transaction with its customer's online features and the champion model.

        An unknown customer gets a cold-start answer: no history (counts zero, average equal to
        this amount), `cold_start: true`, and the model's score for that.
        """
        started = time.perf_counter()
        deps = deps_of(request)
        values = await deps.features.aread(transaction.customer_id)
        cold_start = all(v is None for v in values.values())
        at = (
            transaction.timestamp
            if transaction.timestamp.tzinfo
            else transaction.timestamp.replace(tzinfo=UTC)
        )
        row = input_row(transaction.amount, transaction.channel, transaction.country, at, values)
        scores = await deps.model.predict(np.asarray([row], dtype=np.float64))
        score = min(max(scores.values[0], 0.0), 1.0)
        decision = decide(score, deps.settings)
        deps.metrics.predictions.labels(decision).inc()
        if cold_start:
            deps.metrics.cold_starts.inc()
        prediction = Prediction(
            request_id=str(uuid.uuid4()),
            transaction_id=transaction.transaction_id,
            score=score,
            decision=decision,
            model_name=scores.model_name,
            model_version=scores.model_version,
            cold_start=cold_start,
            features={k: (None if v is None else float(v)) for k, v in values.items()},
        )
        event = {
            **prediction.model_dump(include=EVENT_FIELDS),
            "customer_id": transaction.customer_id,
            "latency_ms": round((time.perf_counter() - started) * 1000, 3),
            "at": datetime.now(UTC).isoformat(),
        }
        deps.events.publish(transaction.customer_id, event)
        return prediction

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", responses=unavailable)
    async def readyz(request: Request) -> JSONResponse:
        """Ready only when the online store and the model answer."""
        deps = deps_of(request)
        checks = {"features": True, "model": await deps.model.ready()}
        try:
            await deps.features.aread(READINESS_PROBE_CUSTOMER)
        except FeaturesUnavailable:
            checks["features"] = False
        ready = all(checks.values())
        return JSONResponse(
            status_code=200 if ready else 503, content={"ready": ready, "checks": checks}
        )

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app
