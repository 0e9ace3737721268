"""Read what a view left of the request body before the answer goes out, so keep-alive survives.

Granian answers as soon as the app returns. When the view never read the body (a resolve without
options, a 404, a 401) and the client sent it after its headers (http.client does for every POST),
the server closes the connection with the body unread; the late body then draws a reset and the
client's next request on that connection fails with a broken pipe. Gunicorn drains such bodies
itself; granian does not, so the app does (tests/e2e/test_keep_alive.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
CHUNK = 64 * 1024


class DrainUnreadBody:
    """WSGI middleware: after the app has answered, read and drop the rest of the request body, at
    most `limit` bytes (beyond that the server may close the connection: the body was refused anyway)."""

    def __init__(self, app: WSGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        response = self.app(environ, start_response)
        if environ.get("CONTENT_LENGTH", "") not in ("", "0") or "HTTP_TRANSFER_ENCODING" in environ:
            drain(environ["wsgi.input"], self.limit)
        return response


def drain(stream: Any, limit: int) -> None:
    """Read `stream` to its end, or `limit` bytes, whichever comes first."""
    left = limit
    while left > 0:
        chunk = stream.read(min(CHUNK, left))
        if not chunk:
            return
        left -= len(chunk)
