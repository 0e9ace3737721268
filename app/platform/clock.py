"""The one place the app reads the wall clock; the pure core always takes `now` as an argument."""

from __future__ import annotations

from datetime import datetime, timezone


def utc_now() -> datetime:
    """The current instant as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def isoformat(value: datetime | None) -> str | None:
    """ISO 8601 UTC with a `Z`, as the API promises; None stays None."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 instant; one without an offset is taken as UTC. Raises ValueError."""
    text = text.strip()
    if "T" in text and " " in text:
        text = text.replace(" ", "+")  # a query string decodes the '+' of an offset as a space
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)
