"""Every error the API answers, in one shape (`Problem`): 422 for bad input, 503 for a dead
dependency, never a 500 for either."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from dp_api.deps import get_deps
from dp_api.schemas import Problem
from dp_core.inference import ModelUnavailable
from dp_core.online_features import FeaturesUnavailable

UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"model": Problem, "description": "The model server or the online store is down."}
}
INVALID: dict[int | str, dict[str, Any]] = {
    422: {"model": Problem, "description": "The transaction is not valid."}
}


def problem(
    status: int, error: str, message: str, detail: list[dict[str, object]] | None = None
) -> JSONResponse:
    body = Problem(error=error, message=message, detail=detail).model_dump(exclude_none=True)
    return JSONResponse(status_code=status, content=body)


def install(app: FastAPI) -> None:
    """Register the handlers; each counts its error kind."""

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        get_deps(request).metrics.errors.labels("invalid_request").inc()
        errors: list[dict[str, object]] = [
            {"field": ".".join(str(p) for p in e["loc"][1:]), "problem": e["msg"]}
            for e in exc.errors()
        ]
        summary = "; ".join(f"{e['field'] or 'body'}: {e['problem']}" for e in errors)
        return problem(422, "invalid_request", summary, errors)

    @app.exception_handler(ModelUnavailable)
    async def no_model(request: Request, exc: ModelUnavailable) -> JSONResponse:
        get_deps(request).metrics.errors.labels("model_unavailable").inc()
        return problem(503, "model_unavailable", str(exc))

    @app.exception_handler(FeaturesUnavailable)
    async def no_features(request: Request, exc: FeaturesUnavailable) -> JSONResponse:
        get_deps(request).metrics.errors.labels("features_unavailable").inc()
        return problem(503, "features_unavailable", str(exc))
