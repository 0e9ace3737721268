"""Slack request signing: `v0=` HMAC-SHA256 of `v0:<timestamp>:<raw body>` with the signing secret.

Checked over the raw bytes exactly as received, before any form parsing: re-encoding a parsed
form would change the body and break (or worse, fake) the signature. The HMAC is slack_sdk's
`SignatureVerifier`; this module adds what it leaves out: a reason for each refusal (the 401 says
which), failing closed without a secret, and the request's time passed in rather than read.
"""

from __future__ import annotations

from collections.abc import Mapping

from slack_sdk.signature import Clock, SignatureVerifier

# Slack's replay window; applied both ways so a forged future timestamp buys no extra life.
MAX_SKEW_SECONDS = 300


class SlackSignatureError(Exception):
    """A request did not come from Slack; `reason` is missing_headers, bad_timestamp, stale_timestamp,
    bad_signature or not_configured."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


class _At(Clock):
    """slack_sdk's clock, stopped at the request's `now`."""

    def __init__(self, now: float) -> None:
        self.at = now

    def now(self) -> float:
        return self.at


def slack_signature(signing_secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Slack-Signature` value Slack would send for this timestamp and body."""
    return str(SignatureVerifier(signing_secret).generate_signature(timestamp=timestamp, body=body))


def verify_slack_request(signing_secret: str, headers: Mapping[str, str], body: bytes, now: float) -> None:
    """Return if the request is signed by Slack within 300 s of `now`; raise SlackSignatureError otherwise."""
    if not signing_secret:
        # Fail closed: with no secret anyone could press our buttons.
        raise SlackSignatureError("not_configured", "SLACK_SIGNING_SECRET is not set")
    timestamp = _header(headers, "X-Slack-Request-Timestamp")
    signature = _header(headers, "X-Slack-Signature")
    if not timestamp or not signature:
        raise SlackSignatureError(
            "missing_headers", "X-Slack-Signature and X-Slack-Request-Timestamp headers are required"
        )
    timestamp = timestamp.strip()
    if not timestamp.isascii() or not timestamp.isdigit():
        raise SlackSignatureError("bad_timestamp", f"X-Slack-Request-Timestamp is not a Unix time: {timestamp!r}")
    skew = now - int(timestamp)
    if abs(skew) > MAX_SKEW_SECONDS:
        direction = "old" if skew > 0 else "in the future"
        raise SlackSignatureError(
            "stale_timestamp", f"request timestamp is {abs(skew):.0f}s {direction} (limit {MAX_SKEW_SECONDS}s)"
        )
    signature = signature.strip()
    # The verifier compares in equal time (hmac.compare_digest), which takes ASCII text only.
    if not signature.isascii() or not SignatureVerifier(signing_secret, clock=_At(now)).is_valid(
            body=body, timestamp=timestamp, signature=signature):
        raise SlackSignatureError("bad_signature", "X-Slack-Signature does not match the request body")
