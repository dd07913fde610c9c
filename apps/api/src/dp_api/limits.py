"""Request bodies over `api.max_body_bytes` get a problem+json 413, as plain ASGI middleware.

A declared `content-length` over the limit is refused before anything is read; a body without
one (chunked) is read up to the limit and refused when it passes it. A body within the limit is
handed to the app as one message. (FastAPI's own `max_body_size` answers a declared length in
plain text, whatever the app's error handlers say.)
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dp_api.errors import problem


class LimitBody:
    def __init__(self, app: ASGIApp, max_bytes: int, refused: Callable[[], None]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.refused = refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.refused()
        detail = f"the body is over {self.max_bytes} bytes"
        await problem(413, "request_too_large", detail)(scope, receive, send)
