"""Slack's failures, sorted into the two kinds the delivery queue understands.

Slack answers most failures with HTTP 200 and `{"ok": false, "error": "<code>"}`; rate limits come as
HTTP 429 with `Retry-After` (seconds). Retrying is only worth it when Slack itself is having a bad
moment; everything else is ours or the recipient's to fix, so the page falls through to the
user's next channel at once instead of burning retries while nobody is paged.
"""

from __future__ import annotations

from collections.abc import Mapping

from integrations.notifier import DeliveryError, PermanentDeliveryError, TransientDeliveryError
from integrations.retry_after import retry_after_seconds as parse_retry_after

# Slack's own words for "try again later" (rate_limited is chat.postMessage's older spelling).
TRANSIENT_CODES = frozenset(
    {
        "ratelimited",
        "rate_limited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "team_added_to_org",
    }
)

# The recipient cannot get this page on Slack; retrying cannot help. Listed for readers: any code
# not in TRANSIENT_CODES is permanent too (invalid_blocks, missing_scope, ... are our bugs, and a
# retry loop would only delay the fall-through to SMS).
PERMANENT_CODES = frozenset(
    {
        "user_not_found",
        "users_not_found",
        "user_disabled",
        "user_not_visible",
        "cannot_dm_bot",
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "account_inactive",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "missing_scope",
    }
)


def header_value(headers: Mapping[str, object], name: str) -> str | None:
    """Return a header's value by case-insensitive name (the SDK keeps whatever case the server used)."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            if isinstance(value, (list, tuple)):
                return str(value[0]) if value else None
            return str(value)
    return None


def retry_after_seconds(headers: Mapping[str, object]) -> float | None:
    """Seconds from Retry-After (Slack sends whole seconds); None when absent or unreadable."""
    return parse_retry_after(header_value(headers, "Retry-After"))


def delivery_error_for(status_code: int, headers: Mapping[str, object], body: object, method: str) -> DeliveryError:
    """Map one failed Web API answer (status, headers, parsed body) to a Transient or Permanent error."""
    code = None
    if isinstance(body, Mapping) and isinstance(body.get("error"), str):
        code = str(body["error"])
    if status_code == 429 or code in ("ratelimited", "rate_limited"):
        retry_after = retry_after_seconds(headers)
        return TransientDeliveryError(
            f"Slack {method} rate limited (retry after {retry_after}s)", code="ratelimited", retry_after=retry_after
        )
    if status_code >= 500 or status_code == 408:
        # A 5xx body is often an HTML page from a proxy; the SDK turns it into a long error text.
        return TransientDeliveryError(f"Slack {method} answered HTTP {status_code}", code=f"http_{status_code}")
    if status_code != 200:
        return PermanentDeliveryError(f"Slack {method} answered HTTP {status_code}", code=code or f"http_{status_code}")
    if code in TRANSIENT_CODES:
        return TransientDeliveryError(f"Slack {method} failed: {code}", code=code)
    return PermanentDeliveryError(f"Slack {method} failed: {code or 'unknown error'}", code=code or "unknown_error")
