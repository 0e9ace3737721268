"""The scalar values a schedule spec writes: clock times, day names and date-times, with their errors."""

from __future__ import annotations

import re
from datetime import date, datetime, time

_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")
_DAYS = {
    name: number
    for number, names in enumerate(
        [
            ("mon", "monday"),
            ("tue", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        ]
    )
    for name in names
}


class ScheduleSpecError(ValueError):
    """A schedule entry that cannot be built; `path` is relative to the entry (`layers[0].users`)."""

    def __init__(self, path: str, message: str) -> None:
        # An empty path means the entry itself; there is nothing to prefix then.
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


def parse_clock(value: object, path: str, allow_24: bool = False) -> time:
    """A local time written "HH:MM" ("24:00" too, as the end of a day, when `allow_24`)."""
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 17:00 as the base-60 number 1020.
        raise ScheduleSpecError(
            path, f'write times in quotes, such as "17:00" (YAML read this one as {value})'
        )
    match = _CLOCK.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ScheduleSpecError(path, f'expected a time "HH:MM", such as "09:00", got {value!r}')
    hour, minute = int(match[1]), int(match[2])
    if allow_24 and (hour, minute) == (24, 0):
        return time(0, 0)  # 00:00 as an end is the next midnight, so "to: 24:00" reads naturally
    if hour > 23 or minute > 59:
        raise ScheduleSpecError(path, f"no such time of day {value!r}")
    return time(hour, minute)


def parse_day(value: object, path: str) -> int:
    """A day name (`mon` or `monday`, any case) as 0=Monday to 6=Sunday."""
    day = _DAYS.get(value.strip().lower()) if isinstance(value, str) else None
    if day is None:
        raise ScheduleSpecError(path, f"unknown day {value!r}; use mon, tue, wed, thu, fri, sat or sun")
    return day


def parse_days(value: object, path: str) -> frozenset[int]:
    """A non-empty list of day names."""
    if not isinstance(value, list) or not value:
        raise ScheduleSpecError(path, "must be a non-empty list of days, such as [mon, tue]")
    return frozenset(parse_day(item, f"{path}[{i}]") for i, item in enumerate(value))


def parse_weekly(value: object, path: str) -> tuple[int, time]:
    """A weekly handoff "monday 09:00" as (weekday, time)."""
    parts = value.split() if isinstance(value, str) else []
    if len(parts) != 2:
        raise ScheduleSpecError(path, f'expected "<day> HH:MM", such as "monday 09:00", got {value!r}')
    return parse_day(parts[0], path), parse_clock(parts[1], path)


def parse_moment(value: object, path: str) -> datetime:
    """An ISO 8601 date-time (string, or what YAML parsed); naive unless it carries an offset."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0))  # a bare date is local midnight
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ScheduleSpecError(path, f"expected a date-time such as 2026-01-05T09:00, got {value!r}")
