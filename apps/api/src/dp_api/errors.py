"""Every error the API answers, as problem+json (`Problem`): 4xx for what the client sent, 503
for a dependency that is down, slow or answers garbage; never a 500 for any of these."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from dp_api.auth import Forbidden, Unauthenticated
from dp_api.deps import deps_of
from dp_api.request_ids import current_request_id
from dp_api.schemas import Problem
from dp_core.inference import ModelRejected, ModelUnavailable
from dp_core.logs import get_logger
from dp_core.online_features import FeaturesUnavailable

log = get_logger(__name__)
PROBLEM_JSON = "application/problem+json"
TITLES = {
    "invalid_request": "The request is not a valid transaction.",
    "unreadable_request": "The request body cannot be read as JSON text.",
    "not_found": "There is nothing at this path.",
    "method_not_allowed": "This path does not take this method.",
    "request_too_large": "The request body is larger than the API accepts.",
    "unauthenticated": "The request carries no valid API key.",
    "forbidden": "The API key does not allow this.",
    "unscorable_transaction": "The model server refused this transaction's inputs.",
    "model_unavailable": "The model server is down, slow or answered garbage.",
    "features_unavailable": "The online store is down, slow or holds garbage.",
}


HTTP_ERRORS = {
    400: "unreadable_request",
    404: "not_found",
    405: "method_not_allowed",
}
UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"model": Problem, "description": "A dependency is down, slow or broken."}
}
UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No API key, or an unknown one."},
    403: {"model": Problem, "description": "The key does not allow this route."},
}
INVALID: dict[int | str, dict[str, Any]] = {
    413: {"model": Problem, "description": "The body is larger than `api.max_body_bytes`."},
    422: {"model": Problem, "description": "The transaction is not valid."},
}


def problem(
    status: int, error: str, detail: str, errors: list[dict[str, object]] | None = None
) -> JSONResponse:
    body = Problem(
        type=f"/problems/{error}",
        title=TITLES[error],
        status=status,
        detail=detail,
        error=error,
        errors=errors,
        request_id=current_request_id(),
    )
    return JSONResponse(
        status_code=status, content=body.model_dump(exclude_none=True), media_type=PROBLEM_JSON
    )


def install(app: FastAPI) -> None:
    """Register the handlers; each counts its error kind."""

    def answer(request: Request, status: int, error: str, detail: str) -> JSONResponse:
        deps_of(request).metrics.errors.labels(error).inc()
        if status >= 500:  # what on-call looks for; the line carries the request's id
            log.warning("dependency_unavailable", error=error, detail=detail)
        return problem(status, error, detail)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        deps_of(request).metrics.errors.labels("invalid_request").inc()
        errors: list[dict[str, object]] = [
            {"field": ".".join(str(p) for p in e["loc"][1:]), "problem": e["msg"]}
            for e in exc.errors()
        ]
        summary = "; ".join(f"{e['field'] or 'body'}: {e['problem']}" for e in errors)
        return problem(422, "invalid_request", summary, errors)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        """Starlette's and FastAPI's own HTTP errors (unreadable body, no route, wrong method)."""
        error = HTTP_ERRORS.get(exc.status_code)
        if error is None:
            return await http_exception_handler(request, exc)
        return answer(request, exc.status_code, error, str(exc.detail))

    @app.exception_handler(Unauthenticated)
    async def unauthenticated(request: Request, exc: Unauthenticated) -> JSONResponse:
        answered = answer(request, 401, "unauthenticated", str(exc))
        answered.headers["WWW-Authenticate"] = 'Bearer realm="data-platform"'
        return answered

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> JSONResponse:
        return answer(request, 403, "forbidden", str(exc))

    @app.exception_handler(ModelRejected)
    async def rejected(request: Request, exc: ModelRejected) -> JSONResponse:
        return answer(request, 422, "unscorable_transaction", str(exc))

    @app.exception_handler(ModelUnavailable)
    async def no_model(request: Request, exc: ModelUnavailable) -> JSONResponse:
        return answer(request, 503, "model_unavailable", str(exc))

    @app.exception_handler(FeaturesUnavailable)
    async def no_features(request: Request, exc: FeaturesUnavailable) -> JSONResponse:
        return answer(request, 503, "features_unavailable", str(exc))
