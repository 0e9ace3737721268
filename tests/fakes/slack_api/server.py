"""The stand-in's HTTP side: a threaded server on 127.0.0.1, Slack's auth and body rules, recorded
requests, and failures programmed per method (429 + Retry-After, 5xx, ok:false errors, slowness).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from tests.fakes.slack_api.blocks import SlackError
from tests.fakes.slack_api.workspace import Workspace

DEFAULT_TOKEN = "xoxb-1111111111-2222222222-klaxonteststandin"


@dataclass
class RecordedRequest:
    """One request as the stand-in saw it: Web API method, parsed params, headers and the answer."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    body_format: str  # "json" | "form" | "" (unreadable)
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        """Whether Slack would have done it (HTTP 200 and ok: true)."""
        return self.status == 200 and self.response.get("ok") is True


@dataclass
class _Failure:
    status: int
    error: str | None
    retry_after: int | None
    delay: float
    disconnect: bool


class SlackAPIStandIn:
    """Slack's Web API on 127.0.0.1 (port 0), served from a thread; use as a context manager."""

    def __init__(self, token: str = DEFAULT_TOKEN) -> None:
        self.token = token
        self.workspace = Workspace()
        self.attempts: list[RecordedRequest] = []
        self.url = ""
        self._failures: dict[str, list[_Failure]] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle ----------------------------------------------------------------------------------
    def start(self) -> SlackAPIStandIn:
        """Listen on a free loopback port; `.url` is then the base URL for the WebClient."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        # A client that timed out leaves a broken pipe behind; that is the test's point, not noise.
        server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}/api/"
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> SlackAPIStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what tests read and program ------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """Requests Slack would have accepted (answered ok: true), in order."""
        return [r for r in self.attempts if r.accepted]

    def calls(self, method: str) -> list[RecordedRequest]:
        """Accepted requests to one Web API method, in order."""
        return [r for r in self.requests if r.method == method]

    @property
    def messages(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Messages as they stand now, by (channel id, ts)."""
        return self.workspace.messages

    @property
    def pins(self) -> set[tuple[str, str]]:
        """Pinned (channel id, ts) pairs."""
        return self.workspace.pins

    def add_user(self, user_id: str, *, deleted: bool = False, is_bot: bool = False) -> None:
        """Add a workspace member (deleted = deactivated account)."""
        self.workspace.add_user(user_id, deleted=deleted, is_bot=is_bot)

    def add_channel(self, name: str, *, channel_id: str | None = None, member: bool = True,
                    archived: bool = False) -> str:
        """Add a channel (`member`: our bot is in it); returns its id."""
        return self.workspace.add_channel(name, channel_id=channel_id, member=member, archived=archived)

    def fail_next(self, method: str, *, status: int = 200, error: str | None = None,
                  retry_after: int | None = None, times: int = 1, delay: float = 0.0,
                  disconnect: bool = False) -> None:
        """Answer `method`'s next `times` calls with HTTP 429 (+Retry-After), a 5xx, an ok:false
        `error`, a dropped connection (`disconnect`), or only late by `delay` seconds (then normally)."""
        with self._lock:
            self._failures.setdefault(method, []).extend(
                _Failure(status, error, retry_after, delay, disconnect) for _ in range(times))

    # --- one HTTP request ---------------------------------------------------------------------------
    def handle(self, verb: str, path: str, headers: dict[str, str], body: bytes
               ) -> tuple[int, dict[str, str], bytes]:
        """Answer one request: (HTTP status, headers, body); status 0 means hang up without answering."""
        method = path.split("?", 1)[0].removeprefix("/api/")
        lower = {k.lower(): v for k, v in headers.items()}
        fmt, params = _parse_body(lower.get("content-type", ""), body)
        record = RecordedRequest(method, params or {}, headers, fmt)
        with self._lock:
            self.attempts.append(record)
            pending = self._failures.get(method)
            failure = pending.pop(0) if pending else None
        if failure is not None:
            time.sleep(failure.delay)
        reply_headers = {"Content-Type": "application/json; charset=utf-8"}
        if verb != "POST":
            record.status, record.response = 405, {"ok": False, "error": "method_not_allowed"}
        elif (auth_error := self._auth_error(lower.get("authorization"))) is not None:
            record.response = {"ok": False, "error": auth_error}  # Slack says so with HTTP 200
        elif params is None:
            record.response = {"ok": False, "error": "invalid_json" if fmt == "json" else "invalid_form_data"}
        elif failure is not None and failure.disconnect:
            record.status = 0
            return 0, {}, b""
        elif failure is not None and failure.status >= 500:
            record.status = failure.status
            return failure.status, {"Content-Type": "text/html"}, b"<html><h1>502 Bad Gateway</h1></html>"
        elif failure is not None and (failure.status != 200 or failure.error):
            record.status = failure.status
            record.response = {"ok": False, "error": failure.error or "ratelimited"}
            if failure.status == 429:
                reply_headers["Retry-After"] = str(failure.retry_after if failure.retry_after is not None else 1)
        else:
            record.response = self._dispatch(method, params)
        return record.status, reply_headers, json.dumps(record.response).encode()

    def _auth_error(self, authorization: str | None) -> str | None:
        if not authorization:
            return "not_authed"
        scheme, _, token = authorization.partition(" ")
        if scheme != "Bearer" or not token.startswith("xoxb-") or token.strip() != self.token:
            return "invalid_auth"
        return None

    def _dispatch(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        handler = self.workspace.handler(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        try:
            with self._lock:
                return {"ok": True, **handler(params)}
        except SlackError as exc:
            return {"ok": False, "error": exc.code, **exc.extra}


def _handler_for(stand_in: SlackAPIStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self._answer()

        def do_GET(self) -> None:
            self._answer()

        def _answer(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, headers, payload = stand_in.handle(self.command, self.path, dict(self.headers), body)
            if status == 0:
                self.close_connection = True
                return
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    return Handler


def _parse_body(content_type: str, body: bytes) -> tuple[str, dict[str, Any] | None]:
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            parsed = json.loads(body or b"{}")
        except ValueError:
            return "json", None
        return "json", parsed if isinstance(parsed, dict) else None
    if kind == "application/x-www-form-urlencoded" or not body:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return "form", None
        return "form", {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}
    return "", None
