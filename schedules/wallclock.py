"""Wall-clock time in a schedule's zone, and the one rule for turning it into an instant.

Schedules are written in local wall-clock time, but a wall-clock time is not always one instant:

- in a spring-forward gap it does not exist: it maps to the instant of the transition (so a 02:30
  handoff on the day New York skips 02:00-03:00 happens at 03:00 EDT, the moment the clock jumps);
- in a fall-back overlap it happens twice: it maps to the first occurrence (fold=0), unless the
  naive datetime itself says fold=1 (only a time converted from an explicit offset does).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_SECOND = timedelta(seconds=1)


def load_zone(name: str) -> ZoneInfo:
    """The zone called `name`; ValueError when zoneinfo does not know it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
        raise ValueError(f"unknown time zone {name!r}") from error


def as_utc(at: datetime, what: str = "at") -> datetime:
    """`at` as aware UTC; ValueError for a naive datetime, which would be read as server-local."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {at.isoformat()}")
    # One shared tzinfo object lets CPython compare and subtract instants without offset lookups.
    return at.astimezone(UTC)


def to_local(at: datetime, zone: ZoneInfo) -> datetime:
    """The naive wall-clock time in `zone` at the aware instant `at` (fold=1 in a repeated hour)."""
    return at.astimezone(zone).replace(tzinfo=None)


def to_instant(local: datetime, zone: ZoneInfo) -> datetime:
    """The aware UTC instant of naive wall-clock `local` in `zone`, by the module's gap/overlap rule."""
    # ZoneInfo reads a naive datetime as its own wall-clock time, honouring fold: fold=0 gives the
    # first occurrence of a repeated time. Plain arithmetic after that keeps this near a microsecond.
    offset = zone.utcoffset(local)
    assert offset is not None  # a ZoneInfo always knows its offset
    at = _EPOCH + (local - _NAIVE_EPOCH - offset)
    actual = at.astimezone(zone).utcoffset()
    if actual == offset:
        return at
    assert actual is not None
    # The round trip missed: `local` is in a spring-forward gap and never happens on the clock.
    return _gap_transition(local, min(offset, actual), max(offset, actual), zone)


def _gap_transition(local: datetime, before: timedelta, after: timedelta, zone: ZoneInfo) -> datetime:
    """The instant the clock jumped over `local`, found by bisection on whole seconds."""
    # Read with the later offset `local` lands before the jump, with the earlier one after it.
    low = (local - after - _NAIVE_EPOCH) // _SECOND
    high = (local - before - _NAIVE_EPOCH) // _SECOND + 1
    while high - low > 1:
        middle = (low + high) // 2
        if _offset_at(middle, zone) == after:
            high = middle
        else:
            low = middle
    return _EPOCH + high * _SECOND


def _offset_at(seconds: int, zone: ZoneInfo) -> timedelta | None:
    return (_EPOCH + seconds * _SECOND).astimezone(zone).utcoffset()
