"""The Twilio REST client, routed to `TWILIO_API_URL` (CONTRACT section 1).

How: twilio-python builds absolute URLs on https://api.twilio.com (and other *.twilio.com hosts) deep
inside its generated domains, but sends every request through one `HttpClient`. Twilio's documented
way to change transport behaviour is a custom HTTP client (twilio/twilio-python#521 points to it), so
`RoutedHttpClient` subclasses `TwilioHttpClient` and swaps the scheme and host for `api_url`, keeping
path and query. Setting `client.api.base_url` instead would cover one domain and silently miss the
others, and would break when the library renames its domain attributes; one choke point cannot.

Any other host is refused rather than sent: nothing from here may reach the real Twilio by accident.
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit, urlunsplit

from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

DEFAULT_API_URL = "https://api.twilio.com"


def _base(api_url: str) -> str:
    """Validate `api_url` (scheme and host, optional path prefix) and drop its trailing slash."""
    parts = urlsplit(api_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"TWILIO_API_URL must look like https://api.twilio.com, not {api_url!r}")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def _is_twilio_host(host: str) -> bool:
    return host == "twilio.com" or host.endswith(".twilio.com")


class RoutedHttpClient(TwilioHttpClient):
    """A TwilioHttpClient that sends every *.twilio.com request to `api_url` instead."""

    def __init__(self, api_url: str, *, timeout: float) -> None:
        """`timeout` (seconds) covers connect and read; no retries: our queue retries with backoff."""
        # max_retries=0: urllib3 must not resend a POST on its own, or one page could become two SMS.
        super().__init__(timeout=timeout, max_retries=0)
        self.api_url = _base(api_url)
        self._local = threading.local()

    def route(self, url: str) -> str:
        """The URL to really call for a URL twilio-python built."""
        parts = urlsplit(url)
        if not _is_twilio_host(parts.hostname or ""):
            raise TwilioException(f"refusing to send a Twilio request to {parts.netloc!r}")
        base = urlsplit(self.api_url)
        return urlunsplit((base.scheme, base.netloc, base.path + parts.path, parts.query, ""))

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        """Send the request to the routed URL; remember the response headers for error mapping."""
        self._local.headers = {}
        response = super().request(
            method,
            self.route(url),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )
        # TwilioRestException drops the headers; Retry-After on a 429 is only readable here.
        self._local.headers = dict(response.headers or {})
        return response

    def last_response_headers(self) -> dict[str, str]:
        """Headers of the last response this thread received (empty before the first, or after an error)."""
        return dict(getattr(self._local, "headers", {}))


def make_twilio_client(
    account_sid: str, auth_token: str, api_url: str = DEFAULT_API_URL, timeout: float = 10
) -> Client:
    """A twilio.rest.Client whose every REST call goes to `api_url`, with `timeout` seconds per call."""
    if not account_sid or not auth_token:
        # An empty value would make twilio-python fall back to TWILIO_* environment variables.
        raise ValueError("make_twilio_client needs an account SID and an auth token")
    client = Client(
        account_sid,
        auth_token,
        http_client=RoutedHttpClient(api_url, timeout=timeout),
        user_agent_extensions=["klaxon"],
    )
    # TWILIO_EDGE / TWILIO_REGION from the environment would rename hosts; configuration is passed
    # in explicitly, never read here, so clear them.
    client.edge = None
    client.region = None
    return client
