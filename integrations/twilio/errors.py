"""Twilio failures mapped to our two delivery errors: retry on our queue, or fall through.

Rule: rate limits (HTTP 429, code 20429), Twilio 5xx, timeouts and connection errors are transient;
any other 4xx is permanent (the same request would be refused again). `code` is Twilio's own error
code as a string, so the timeline can say why ("21610: recipient replied STOP").
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, Callable, Mapping, TypeVar

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException

from integrations.notifier import DeliveryError, PermanentDeliveryError, Recipient, TransientDeliveryError
from integrations.retry_after import retry_after_seconds as parse_retry_after

T = TypeVar("T")

# Codes worth retrying even though some arrive with a 4xx status.
TRANSIENT_CODES = frozenset({20429, 20500, 20503, 14107, 30001, 30022})

# What the codes we meet mean, for people reading the timeline (https://www.twilio.com/docs/errors).
DESCRIPTIONS = {
    13224: "invalid phone number for a call",
    14107: "SMS rate limit exceeded",
    20003: "authentication failed: check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN",
    20404: "resource not found",
    20429: "too many requests",
    20500: "Twilio internal error",
    20503: "Twilio service unavailable",
    21205: "invalid Url for the call",
    21211: "invalid 'To' phone number",
    21212: "invalid 'From' phone number",
    21214: "'To' phone number cannot be reached",
    21215: "calls to this region are not enabled on the account",
    21216: "calls to this number are blocked",
    21217: "phone number does not appear to be valid",
    21219: "'To' number is not verified (trial account)",
    21408: "SMS to this region is not enabled on the account",
    21602: "message body is required",
    21603: "'From' phone number is required",
    21604: "'To' phone number is required",
    21606: "'From' number cannot send SMS",
    21610: "recipient replied STOP (unsubscribed); they must text START to receive pages",
    21612: "Twilio cannot route to this number",
    21614: "'To' number is not a mobile number",
    21617: "message body too long",
    30001: "message queue overflow",
    30003: "unreachable destination handset (phone off or out of coverage)",
    30004: "message blocked by the recipient or carrier",
    30005: "unknown destination handset (number does not exist)",
    30006: "landline or unreachable carrier",
    30007: "message filtered by the carrier",
    30008: "unknown delivery error",
    30022: "US A2P 10DLC rate limit exceeded",
    30034: "message from an unregistered US A2P 10DLC number",
}

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def describe_error_code(code: int | str | None) -> str:
    """`21610: recipient replied STOP ...` for a timeline entry; empty for no code."""
    if code in (None, ""):
        return ""
    try:
        number = int(str(code))
    except ValueError:
        return str(code)
    return f"{number}: {DESCRIPTIONS.get(number, 'see https://www.twilio.com/docs/errors/' + str(number))}"


def require_phone(recipient: Recipient) -> str:
    """The recipient's E.164 phone, or a PermanentDeliveryError (no phone: no SMS or call can work)."""
    if not recipient.phone:
        raise PermanentDeliveryError(f"user {recipient.user_id or '?'} has no phone number")
    # Only the shape: whether the number exists is Twilio's call (21211), not a stale local table's.
    if not _E164.match(recipient.phone):
        raise PermanentDeliveryError(f"phone {recipient.phone!r} is not in E.164 form (+15551234567)")
    return recipient.phone


def retry_after_seconds(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date), None when absent or unreadable."""
    return parse_retry_after(next((v for k, v in headers.items() if k.lower() == "retry-after"), None), now)


def delivery_error(exc: TwilioRestException | TwilioServiceException, headers: Mapping[str, str]) -> DeliveryError:
    """Map a Twilio REST error (and the response headers) to a Transient or Permanent delivery error."""
    status = int(exc.status or 0)
    code = int(exc.code) if exc.code is not None else None
    if code == status:  # twilio-python puts the HTTP status in `code` when the body had none
        code = None
    text = getattr(exc, "msg", None) or getattr(exc, "title", "") or ""
    described = describe_error_code(code)
    message = f"Twilio HTTP {status}" + (f", {described}" if described else "") + (f" ({text})" if text else "")
    code_text = str(code) if code is not None else None
    if status == 429 or status >= 500 or (code is not None and code in TRANSIENT_CODES):
        return TransientDeliveryError(message, code=code_text, retry_after=retry_after_seconds(headers))
    return PermanentDeliveryError(message, code=code_text)


def last_response_headers(client: Any) -> Mapping[str, str]:
    """Headers of the client's last response in this thread (our RoutedHttpClient keeps them)."""
    getter = getattr(getattr(client, "http_client", None), "last_response_headers", None)
    return getter() if callable(getter) else {}


def call_twilio(client: Any, action: Callable[[], T]) -> T:
    """Run one Twilio REST call and turn every failure into a DeliveryError subclass."""
    try:
        return action()
    except (TwilioRestException, TwilioServiceException) as exc:
        raise delivery_error(exc, last_response_headers(client)) from exc
    except requests.Timeout as exc:
        # A read timeout on a create is ambiguous (Twilio may have queued it); a duplicate page beats
        # a lost one, so it is retried like a connect timeout.
        raise TransientDeliveryError(f"Twilio did not answer in time: {exc}") from exc
    except requests.RequestException as exc:
        raise TransientDeliveryError(f"cannot reach Twilio: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise TransientDeliveryError(f"Twilio answered with a body that is not JSON: {exc}") from exc
    except TwilioException as exc:
        raise PermanentDeliveryError(f"Twilio client refused the request: {exc}") from exc
