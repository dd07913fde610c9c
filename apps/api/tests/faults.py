"""Network faults for the API's real clients: a port nobody listens on, a server that accepts and
never answers, and one that answers fixed bytes."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager


def dead_port() -> int:
    """A port that refuses connections (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(answer: bytes | None) -> Iterator[int]:
    """A TCP server on a free port that reads a request and sends `answer`, or never answers
    (`None`: the connection stays open until the server stops). Yields the port."""
    stop = threading.Event()

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            self.request.recv(65_536)
            if answer is None:
                stop.wait()
                return
            self.request.sendall(answer)

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield int(server.server_address[1])
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


def http_answer(status: int, body: bytes, content_type: str = "application/json") -> bytes:
    """One raw HTTP/1.1 response that closes its connection."""
    head = (
        f"HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body
