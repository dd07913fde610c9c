"""Every request's id: the caller's `X-Request-Id` when it is a plain token, else a new one.

For the request's duration the id is bound to structlog's context (every log line of the request
carries `request_id`) and readable with `current_request_id()`: the prediction and its event
carry it, problem+json answers carry it, the model server gets it as the v2 request's `id`, and
the answer's `X-Request-Id` header returns it. Plain ASGI, like `observe`: one closure a request.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"x-request-id"
# What a caller may choose: a trace or correlation id, never text that could forge a log line.
ACCEPTED = re.compile(rb"[A-Za-z0-9._:\-]{1,128}")
_current: ContextVar[str] = ContextVar("request_id", default="")


def current_request_id() -> str:
    return _current.get()


class RequestIds:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == HEADER), b"")
        request_id = given.decode() if ACCEPTED.fullmatch(given) else uuid.uuid4().hex
        raw = request_id.encode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (HEADER, raw)]
            await send(message)

        token = _current.set(request_id)
        bound = structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            structlog.contextvars.reset_contextvars(**bound)
            _current.reset(token)
