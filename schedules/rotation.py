"""Rotation math: the shift boundaries of one layer, who is on at an instant, and handoffs in a range.

Shift k runs from boundary(k) to boundary(k+1) and belongs to users[k % len(users)]; shift 0 starts
at the layer's start, and before it nobody is on call in the layer.

Two cadences:

- wall-clock (daily, weekly, custom of whole days, and custom shifts that split a day into equal
  parts of 2 h or more: 2, 3, 4, 6, 8, 12 h): boundaries are computed from a fixed local anchor
  by adding whole days to the naive wall-clock time and converting each one on its own
  (schedules.wallclock), never by adding 24 h to the previous instant, so a Monday 09:00 handoff
  stays 09:00 local across DST, and a 12 h day/night rotation at 02:30/14:30 stays there. Shift 0 runs from the start to the first handoff strictly after it;
  when the start is not itself a handoff time, the first person gets a short first shift.
- elapsed (hourly, custom of any other length): boundary(k) = start + k * step in absolute time. An
  hourly rotation has 23 shifts on a spring-forward day and 25 on a fall-back day, and a 5 h
  custom shift counts 5 h of real time across the change (CONTRACT section 3).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Iterator
from zoneinfo import ZoneInfo

from schedules.model import Layer, Rotation
from schedules.wallclock import as_utc, load_zone, to_instant, to_local

_DAY = timedelta(days=1)
_HOUR = timedelta(hours=1)
# Shorter shifts that divide a day would move their handoffs by the hour a DST change adds or
# removes; shifts from 2 h up keep their local times, like daily ones (CONTRACT section 3).
_MIN_WALL_SHIFT = 2 * _HOUR
_CACHE_SIZE = 4096  # boundaries remembered per layer: over ten years of daily handoffs


class RotationClock:
    """The shift boundaries of one layer's rotation, as aware UTC instants."""

    def __init__(self, layer: Layer, zone: ZoneInfo) -> None:
        self.zone = zone
        self.start_at = to_instant(layer.start, zone)
        period = _wall_period(layer.rotation)
        self._wall_period = period
        self._step = _elapsed_step(layer.rotation)
        if period is not None:
            first = _first_handoff_after(layer.start, layer.rotation, period)
            # Compare instants too: a handoff in the same spring-forward gap as the start, or a
            # fold=0 handoff before a fold=1 start, would otherwise make an empty first shift.
            while to_instant(first, zone) <= self.start_at:
                first += period
            self._first_local = first
        # Wall-clock boundaries cost a zone conversion each and lookups near "now" reuse the same
        # few; remember them, bounded so a long-lived schedule does not grow without end.
        self._boundaries: dict[int, datetime] = {}

    def boundary(self, k: int) -> datetime:
        """The instant shift `k` starts (k >= 0)."""
        if k == 0:
            return self.start_at
        if self._wall_period is None:
            return self.start_at + k * self._step
        at = self._boundaries.get(k)
        if at is None:
            at = to_instant(self._first_local + (k - 1) * self._wall_period, self.zone)
            if len(self._boundaries) >= _CACHE_SIZE:
                self._boundaries.clear()
            self._boundaries[k] = at
        return at

    def index_at(self, at: datetime, local: datetime | None = None) -> int | None:
        """The number of the shift containing aware UTC `at` (wall-clock `local`), None before the start."""
        if at < self.start_at:
            return None
        if self._wall_period is None:
            return (at - self.start_at) // self._step
        if local is None:
            local = to_local(at, self.zone)
        k = 0 if local < self._first_local else (local - self._first_local) // self._wall_period + 1
        # The wall-clock estimate is never too high (a missing time maps to the jump, a repeated one
        # to its first pass, so no handoff's instant comes after a later wall-clock time), but in a
        # repeated hour it can be one short; the instants decide.
        while at >= self.boundary(k + 1):
            k += 1
        return k

    def shifts(self, start_at: datetime, end_at: datetime) -> Iterator[tuple[datetime, datetime, int]]:
        """(start, end, k) of every non-empty shift overlapping [start_at, end_at), unclipped."""
        if start_at >= end_at:
            return
        k = self.index_at(max(start_at, self.start_at))
        assert k is not None  # never before the start: we asked at or after it
        begin = self.boundary(k)
        while begin < end_at:
            end = self.boundary(k + 1)
            if end > begin:
                yield begin, end, k
            begin, k = end, k + 1


def participant_at(layer: Layer, time_zone: str, at: datetime) -> str | None:
    """The rotation's participant at `at` (restrictions not applied), or None before the start."""
    k = RotationClock(layer, load_zone(time_zone)).index_at(as_utc(at))
    return None if k is None else layer.users[k % len(layer.users)]


def handoffs_between(layer: Layer, time_zone: str, start_at: datetime, end_at: datetime) -> list[datetime]:
    """Every instant in [start_at, end_at) at which a shift of the layer starts, the first one included."""
    clock = RotationClock(layer, load_zone(time_zone))
    start_at, end_at = as_utc(start_at, "start_at"), as_utc(end_at, "end_at")
    return [begin for begin, _, _ in clock.shifts(start_at, end_at) if begin >= start_at]


def _wall_period(rotation: Rotation) -> timedelta | None:
    if rotation.kind == "daily":
        return _DAY
    if rotation.kind == "weekly":
        return 7 * _DAY
    if rotation.kind == "custom" and rotation.shift is not None and rotation.shift % _DAY == timedelta(0):
        return rotation.shift  # whole days: "every 2 days at 09:00" must survive DST like daily does
    if (rotation.kind == "custom" and rotation.shift is not None and rotation.shift >= _MIN_WALL_SHIFT
            and _DAY % rotation.shift == timedelta(0)):
        return rotation.shift  # equal parts of a day: a 12 h day/night rotation keeps 08:00/20:00
    return None


def _elapsed_step(rotation: Rotation) -> timedelta:
    if rotation.kind == "custom" and rotation.shift is not None:
        return rotation.shift
    return _HOUR


def _first_handoff_after(start: datetime, rotation: Rotation, period: timedelta) -> datetime:
    """The first local handoff strictly after `start`; a handoff at `start` is shift 0's own start."""
    if rotation.kind == "custom":
        return start + period
    handoff: time = rotation.handoff if rotation.handoff is not None else start.time()
    candidate = datetime.combine(start.date(), handoff)
    if rotation.kind == "weekly":
        weekday = rotation.handoff_weekday if rotation.handoff_weekday is not None else start.weekday()
        candidate += (weekday - candidate.weekday()) % 7 * _DAY
    while candidate <= start:
        candidate += period
    return candidate
