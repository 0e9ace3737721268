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


class MissingOffset(ValueError):
    """An instant without a UTC offset where the reader cannot know which zone was meant."""


def parse_instant(text: str, *, require_offset: bool = False) -> datetime:
    """Parse an ISO 8601 instant (`Z` or an offset) as aware UTC; one without an offset is taken as
    UTC, or refused with MissingOffset when `require_offset`. Raises ValueError (and OverflowError
    for year 1 or 9999 shifted by its offset)."""
    text = text.strip()
    if "T" in text and " " in text:
        text = text.replace(" ", "+")  # a query string decodes the '+' of an unescaped offset as a space
    value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        if require_offset:
            raise MissingOffset(f"{text!r} needs a UTC offset or Z")
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)
