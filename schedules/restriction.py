"""Restrictions cut a layer into local windows; outside every window the layer has nobody on call.

A window starts on one of its days at `start` local time and ends at `end` the same day, or the next
day when end <= start (22:00-06:00 starting Friday night ends Saturday 06:00; 09:00-09:00 is 24 h).
Both edges are wall-clock times turned into instants by schedules.wallclock, so they follow DST.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from schedules.model import Restriction
from schedules.wallclock import to_instant, to_local

_DAY = timedelta(days=1)
_CACHE_SIZE = 4096  # windows remembered per layer: a few years of days for a couple of restrictions

Window = tuple[datetime, datetime]
_UNKNOWN: Window = (datetime.min, datetime.min)  # "not computed yet"; None means "no window that day"


class RestrictionWindows:
    """The windows of a layer's restrictions as aware UTC instants; no restrictions means always on."""

    def __init__(self, restrictions: tuple[Restriction, ...], zone: ZoneInfo) -> None:
        self.restrictions = restrictions
        self.zone = zone
        # Each window's edges cost two zone conversions; lookups near "now" keep asking for the
        # same few days, so remember them (bounded: a long-lived schedule must not grow forever).
        self._windows: dict[tuple[int, date], Window | None] = {}

    @property
    def unrestricted(self) -> bool:
        """True when the layer has no restrictions, so it is never cut."""
        return not self.restrictions

    def contains(self, at: datetime, local: datetime | None = None) -> bool:
        """Whether aware UTC `at` (wall-clock `local`, with its fold) falls inside one of the windows."""
        if not self.restrictions:
            return True
        if local is None:
            local = to_local(at, self.zone)
        today = local.date()
        for index, restriction in enumerate(self.restrictions):
            # Only a window that crosses midnight can reach in from yesterday; only a time repeated
            # by a fall-back (fold=1) can already be inside a window that starts tomorrow.
            days = [today - _DAY] if restriction.crosses_midnight else []
            days.append(today)
            if local.fold:
                days.append(today + _DAY)
            for day in days:
                window = self._window(index, day)
                if window is not None and window[0] <= at < window[1]:
                    return True
        return False

    def between(self, start_at: datetime, end_at: datetime) -> list[Window]:
        """The windows meeting [start_at, end_at), merged where they touch or overlap, sorted, unclipped."""
        first = to_local(start_at, self.zone).date() - _DAY
        last = to_local(end_at, self.zone).date() + _DAY
        windows: list[Window] = []
        for offset in range((last - first).days + 1):
            day = first + offset * _DAY
            for index in range(len(self.restrictions)):
                window = self._window(index, day)
                if window is not None and window[1] > start_at and window[0] < end_at:
                    windows.append(window)
        return _merge(sorted(windows))

    def _window(self, index: int, day: date) -> Window | None:
        key = (index, day)
        window = self._windows.get(key, _UNKNOWN)
        if window is _UNKNOWN:
            window = self._compute_window(self.restrictions[index], day)
            if len(self._windows) >= _CACHE_SIZE:
                self._windows.clear()
            self._windows[key] = window
        return window

    def _compute_window(self, restriction: Restriction, day: date) -> Window | None:
        if day.weekday() not in restriction.days:
            return None
        start_at = to_instant(datetime.combine(day, restriction.start), self.zone)
        end_day = day + _DAY if restriction.crosses_midnight else day
        end_at = to_instant(datetime.combine(end_day, restriction.end), self.zone)
        # Both edges inside one spring-forward gap leave nothing of the window.
        return (start_at, end_at) if end_at > start_at else None


def _merge(windows: list[Window]) -> list[Window]:
    merged: list[Window] = []
    for start_at, end_at in windows:
        if merged and start_at <= merged[-1][1]:
            if end_at > merged[-1][1]:
                merged[-1] = (merged[-1][0], end_at)
        else:
            merged.append((start_at, end_at))
    return merged
