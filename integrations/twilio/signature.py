"""X-Twilio-Signature checks for our webhooks (/twilio/sms, /twilio/voice, /twilio/status).

Twilio signs the full URL it called (scheme, host, path, query) followed by every POST parameter
sorted by name, with HMAC-SHA1 keyed by the auth token, base64-encoded. Behind a proxy or load
balancer the URL our server sees (http://10.0.0.5:8080/...) is not the one Twilio called, so the URL
is rebuilt from KLAXON_PUBLIC_URL: `public_request_url`.
"""

from __future__ import annotations

from typing import Mapping

from twilio.request_validator import RequestValidator

SIGNATURE_HEADER = "X-Twilio-Signature"


class TwilioSignatureError(Exception):
    """The request cannot be shown to come from Twilio: answer 403."""


def public_request_url(public_url: str, path: str, query_string: str | bytes = "") -> str:
    """The URL Twilio called: KLAXON_PUBLIC_URL + request path (+ `?` + query string when there is one).

    A path prefix in KLAXON_PUBLIC_URL (https://example.com/klaxon) is kept: the proxy strips it before
    we see the request, but Twilio signed it.
    """
    if isinstance(query_string, bytes):
        query_string = query_string.decode("latin-1")  # WSGI gives the raw query as latin-1
    url = public_url.rstrip("/") + "/" + path.lstrip("/")
    return f"{url}?{query_string}" if query_string else url


def verify_twilio_request(auth_token: str, url: str, form: Mapping[str, str], signature: str | None) -> None:
    """Check `signature` (the X-Twilio-Signature header) over `url` and the POST `form`; raise if it fails.

    `form` may be a multi-value mapping (werkzeug MultiDict): RequestValidator reads every value.
    """
    if not auth_token:
        # Without a token nothing can be verified; accepting would let anyone acknowledge incidents.
        raise TwilioSignatureError("Twilio auth token is not configured; cannot verify the request")
    if not signature:
        raise TwilioSignatureError(f"missing {SIGNATURE_HEADER} header")
    if not RequestValidator(auth_token).validate(url, form, signature):
        raise TwilioSignatureError(
            f"{SIGNATURE_HEADER} does not match {url}: is KLAXON_PUBLIC_URL the URL Twilio calls?"
        )
