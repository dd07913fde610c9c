"""The API's routes: `POST /v1/predict`, `/healthz`, `/readyz`, `/metrics`."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import numpy as np
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from dp_api.auth import presented_key
from dp_api.deps import Deps
from dp_api.errors import INVALID, UNAUTHORIZED, UNAVAILABLE
from dp_api.request_ids import current_request_id
from dp_api.schemas import Decision, Prediction, Transaction
from dp_core.inference import ModelUnavailable
from dp_core.model_inputs import input_row
from dp_core.online_features import FeaturesUnavailable
from dp_core.settings import ApiSettings

READINESS_PROBE_CUSTOMER = "__readiness_probe__"
EVENT_FIELDS = {"request_id", "transaction_id", "score", "decision", "model_name", "model_version"}

router = APIRouter()


def decide(score: float, settings: ApiSettings) -> Decision:
    if score >= settings.fraud_threshold:
        return "decline"
    if score >= settings.review_threshold:
        return "review"
    return "approve"


async def authorized(request: Request, deps: Deps) -> None:
    """The caller's API key allows `predict` (when the target requires keys)."""
    if deps.keys is not None:
        deps.keys.check(presented_key(request), "predict")


@router.post(
    "/v1/predict",
    response_model=Prediction,
    responses={**UNAVAILABLE, **INVALID, **UNAUTHORIZED},
    dependencies=[Depends(authorized)],
)
async def predict(transaction: Transaction, deps: Deps) -> Response:
    """Score a transaction with its customer's online features and the champion model.

    An unknown customer gets a cold-start answer: no history (counts zero, average equal to
    this amount), `cold_start: true`, and the model's score for that. The online store and the
    model share one deadline (`api.deadline_s`); past it, the answer is 503.
    """
    started = time.perf_counter()
    deadline = asyncio.get_running_loop().time() + deps.settings.deadline_s
    try:
        async with asyncio.timeout_at(deadline):
            values = await deps.features.aread(transaction.customer_id)
    except TimeoutError:
        raise FeaturesUnavailable(
            f"online store: no answer within {deps.settings.deadline_s} s"
        ) from None
    cold_start = all(v is None for v in values.values())
    row = input_row(
        transaction.amount, transaction.channel, transaction.country, transaction.timestamp, values
    )
    try:
        async with asyncio.timeout_at(deadline):
            rows = np.asarray([row], dtype=np.float64)
            scores = await deps.model.predict(rows, request_id=current_request_id())
    except TimeoutError:
        raise ModelUnavailable(
            f"model server: no answer within {deps.settings.deadline_s} s"
        ) from None
    score = scores.values[0]
    decision = decide(score, deps.settings)
    deps.metrics.predictions.labels(decision).inc()
    if cold_start:
        deps.metrics.cold_starts.inc()
    prediction = Prediction(
        request_id=current_request_id(),
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
    # Built and checked once above: FastAPI would validate it again against `response_model`.
    return Response(prediction.model_dump_json(), media_type="application/json")


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses=UNAVAILABLE)
async def readyz(deps: Deps) -> JSONResponse:
    """Ready only when the online store and the model answer."""
    checks = {"features": True, "model": await deps.model.ready()}
    try:
        await deps.features.aread(READINESS_PROBE_CUSTOMER)
    except FeaturesUnavailable:
        checks["features"] = False
    ready = all(checks.values())
    return JSONResponse(
        status_code=200 if ready else 503, content={"ready": ready, "checks": checks}
    )


@router.get("/metrics", include_in_schema=False)
async def prometheus_metrics(deps: Deps) -> Response:
    return Response(generate_latest(deps.metrics.registry), media_type=CONTENT_TYPE_LATEST)
