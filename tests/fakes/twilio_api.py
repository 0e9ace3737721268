"""A local stand-in for Twilio's REST API (2010-04-01 Messages.json and Calls.json).

It refuses what Twilio refuses, with Twilio's error JSON `{code, message, more_info, status}`:
bad or missing basic auth (401, 20003), another account's path (404, 20404), wrong method (405),
missing To / From / Body (400, 21604 / 21603 / 21602), missing call Url / Twiml (400, 21205), an
invalid To (400, 21211), a relative StatusCallback (400, 21609). Twilio's test-credential "magic"
To numbers behave as on Twilio: +15005550001 -> 21211, +15005550002 -> 21612, +15005550003 -> 21408,
+15005550004 -> 21610, +15005550009 -> 21614. Accepted requests answer 201 like Twilio
(sid SM... / CA..., status "queued") and are recorded for assertions.

    api = FakeTwilioApi().start()          # 127.0.0.1, free port, daemon thread
    client = make_twilio_client(api.account_sid, api.auth_token, api.url)
    api.fail_next("Messages.json", status=500, times=3)
    ...
    api.requests[0].form["Body"]; api.stop()
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "stand-in-auth-token-0123456789ab"

_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/(?P<resource>Messages|Calls)\.json$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_MAGIC_TO = {"+15005550001": 21211, "+15005550002": 21612, "+15005550003": 21408,
             "+15005550004": 21610, "+15005550009": 21614}
_MESSAGES = {
    20003: "Authenticate", 20404: "The requested resource was not found", 20429: "Too Many Requests",
    20500: "An internal server error has occurred", 21201: "No 'To' number is specified",
    21205: "Url is not a valid URL", 21211: "Invalid 'To' Phone Number", 21213: "No 'From' number is specified",
    21408: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number",
    21602: "Message body is required.", 21603: "The 'From' number is required.",
    21604: "A 'To' phone number is required.", 21609: "Invalid StatusCallback url",
    21610: "Attempt to send to unsubscribed recipient", 21612: "The 'To' number is not reachable",
    21614: "'To' number is not a valid mobile number",
    21617: "The concatenated message body exceeds the 1600 character limit",
    21626: "Invalid StatusCallbackEvent",
}


@dataclass
class RecordedRequest:
    """One request the stand-in received: `form` has the first value of each field, `lists` all of them."""

    method: str
    path: str
    form: dict[str, str]
    lists: dict[str, list[str]]
    headers: dict[str, str]
    status: int = 0  # what the stand-in answered
    response: dict[str, object] = field(default_factory=dict)  # the resource created (201 only)

    @property
    def resource(self) -> str:
        """`Messages` or `Calls` (empty for other paths)."""
        match = _PATH.match(self.path)
        return match.group("resource") if match else ""


@dataclass
class _Failure:
    suffix: str
    status: int
    code: int
    times: int
    retry_after: str | None
    delay: float = 0.0


@dataclass
class FakeTwilioApi:
    """The stand-in server; `requests` holds accepted requests, `attempts` every request received."""

    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    requests: list[RecordedRequest] = field(default_factory=list)
    attempts: list[RecordedRequest] = field(default_factory=list)
    _failures: list[_Failure] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    def start(self) -> "FakeTwilioApi":
        """Listen on 127.0.0.1 on a free port in a daemon thread; returns self."""
        api = self

        class Handler(_Handler):
            stand_in = api

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits for it, and every test stops a server.
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-twilio-api", daemon=True).start()
        return self

    @property
    def url(self) -> str:
        """Scheme and host to use as TWILIO_API_URL."""
        assert self._server is not None, "call start() first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeTwilioApi":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail_next(self, path_suffix: str, status: int | None = None, code: int | None = None, times: int = 1,
                  retry_after: str | None = None, delay: float = 0.0) -> None:
        """Fail the next `times` authenticated requests whose path ends with `path_suffix`.

        Default HTTP status: the code's own (20429 -> 429, 20003 -> 401...) or 400 when a Twilio `code` is
        given, else 500. Default code: 20429 for 429,
        20500 for 5xx. `retry_after` becomes a Retry-After header; `delay` seconds are slept before
        answering (to provoke client timeouts).
        """
        own_status = {20003: 401, 20404: 404, 20429: 429, 20500: 500, 20503: 503}
        status = status or (own_status.get(code, 400) if code else 500)
        code = code or {429: 20429}.get(status, 20500 if status >= 500 else status)
        with self._lock:
            self._failures.append(_Failure(path_suffix, status, code, times, retry_after, delay))

    def messages(self) -> list[RecordedRequest]:
        """Accepted Messages.json requests."""
        return [r for r in self.requests if r.resource == "Messages"]

    def calls(self) -> list[RecordedRequest]:
        """Accepted Calls.json requests."""
        return [r for r in self.requests if r.resource == "Calls"]

    def _take_failure(self, path: str) -> _Failure | None:
        with self._lock:
            for failure in self._failures:
                if path.endswith(failure.suffix) and failure.times > 0:
                    failure.times -= 1
                    return failure
        return None

    def _authorized(self, header: str | None) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return user == self.account_sid and password == self.auth_token

    def _record(self, request: RecordedRequest, accepted: bool) -> None:
        with self._lock:
            self.attempts.append(request)
            if accepted:
                self.requests.append(request)


def _error(code: int, status: int) -> dict[str, object]:
    return {"code": code, "message": _MESSAGES.get(code, "Error"), "status": status,
            "more_info": f"https://www.twilio.com/docs/errors/{code}"}


def _validate(resource: str, form: dict[str, str], lists: dict[str, list[str]]) -> int | None:
    """The Twilio error code for an invalid create, or None when Twilio would accept it."""
    to = form.get("To", "")
    for key in ("StatusCallback", "Url"):
        if key in form and not re.match(r"^https?://[^/\s]+", form[key]):
            return 21609 if key == "StatusCallback" else 21205
    if resource == "Messages":
        if not to:
            return 21604
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return 21603
        if not form.get("Body") and not form.get("MediaUrl"):
            return 21602
        if len(form.get("Body", "")) > 1600:
            return 21617
    else:
        if not to:
            return 21201
        if not form.get("From"):
            return 21213
        if not form.get("Url") and not form.get("Twiml") and not form.get("ApplicationSid"):
            return 21205
        events = set(lists.get("StatusCallbackEvent", []))
        if not events <= {"initiated", "ringing", "answered", "completed"}:
            return 21626
    if not _E164.match(to):
        return 21211
    return _MAGIC_TO.get(to)


class _Handler(BaseHTTPRequestHandler):
    stand_in: FakeTwilioApi
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def _handle(self) -> None:
        api = self.stand_in
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        path = urlsplit(self.path).path
        lists = parse_qs(body, keep_blank_values=True)
        form = {key: values[0] for key, values in lists.items()}
        request = RecordedRequest(self.command, path, form, lists, dict(self.headers.items()))
        status, payload, headers = self._answer(api, request)
        request.status = status
        api._record(request, accepted=status == 201)
        self._send(status, payload, headers)

    def _answer(self, api: FakeTwilioApi, request: RecordedRequest) -> tuple[int, dict[str, object], dict[str, str]]:
        if not api._authorized(self.headers.get("Authorization")):
            return 401, _error(20003, 401), {"WWW-Authenticate": 'Basic realm="Twilio API"'}
        match = _PATH.match(request.path)
        if not match or match.group("account") != api.account_sid:
            return 404, _error(20404, 404), {}
        if request.method not in ("GET", "POST"):
            return 405, {"code": 20004, "message": "Method not allowed", "status": 405,
                         "more_info": "https://www.twilio.com/docs/errors/20004"}, {"Allow": "POST"}
        failure = api._take_failure(request.path)
        if failure is not None:
            time.sleep(failure.delay)
            headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
            return failure.status, _error(failure.code, failure.status), headers
        if request.method == "GET":
            return 200, _listing(api, match.group("resource")), {}
        code = _validate(match.group("resource"), request.form, request.lists)
        if code is not None:
            return 400, _error(code, 400), {}
        request.response = _created(api.account_sid, match.group("resource"), request.form)
        return 201, request.response, {}

    def _send(self, status: int, payload: dict[str, object], headers: dict[str, str]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing left to tell it


def _created(account: str, resource: str, form: dict[str, str]) -> dict[str, object]:
    """The 201 body Twilio answers for a new message or call."""
    prefix = "SM" if resource == "Messages" else "CA"
    sid = prefix + uuid.uuid4().hex
    now = formatdate(usegmt=True).replace("GMT", "+0000")
    common = {"sid": sid, "account_sid": account, "to": form["To"], "from": form.get("From"),
              "status": "queued", "direction": "outbound-api", "api_version": "2010-04-01",
              "date_created": now, "date_updated": now, "price": None, "price_unit": "USD",
              "uri": f"/2010-04-01/Accounts/{account}/{resource}/{sid}.json"}
    if resource == "Messages":
        body = form.get("Body", "")
        return {**common, "body": body, "num_segments": str(max(1, -(-len(body) // 153))), "num_media": "0",
                "messaging_service_sid": form.get("MessagingServiceSid"), "error_code": None,
                "error_message": None, "date_sent": None}
    return {**common, "parent_call_sid": None, "phone_number_sid": None, "start_time": None,
            "end_time": None, "duration": None, "answered_by": None, "caller_name": None,
            "forwarded_from": None, "queue_time": "0"}


def _listing(api: FakeTwilioApi, resource: str) -> dict[str, object]:
    """The GET list page Twilio answers (one page with everything created so far)."""
    items = [r.response for r in api.requests if r.resource == resource]
    uri = f"/2010-04-01/Accounts/{api.account_sid}/{resource}.json"
    return {resource.lower(): items, "page": 0, "page_size": 50, "start": 0, "end": max(0, len(items) - 1),
            "uri": uri, "first_page_uri": uri + "?PageSize=50&Page=0", "next_page_uri": None,
            "previous_page_uri": None}
