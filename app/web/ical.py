"""iCalendar (RFC 5545) feeds of on-call shifts, for Google Calendar, Outlook and Apple Calendar.

Every time is written in UTC (`DTSTART:20260105T140000Z`), which every client reads without a
VTIMEZONE block; the client shows it in the reader's own zone.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from typing import Iterable

from icalendar import Calendar, Event, vDuration

from schedules import Shift

PRODID = "-//Klaxon//On-call schedules//EN"
DAYS_BACK = 30
DAYS_AHEAD = 180
# Clients poll on their own timetable (Google every few hours at best); this asks for hourly where
# honoured (REFRESH-INTERVAL: RFC 7986, Apple; X-PUBLISHED-TTL: Outlook).
REFRESH = timedelta(hours=1)


def feed_window(now: datetime) -> tuple[datetime, datetime]:
    """The span a feed covers: 30 days back to 180 days ahead, from UTC midnight of `now`'s day."""
    # Whole days, so a shift clipped at the window's start keeps the same start (and UID) all day.
    midnight = now.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - timedelta(days=DAYS_BACK), midnight + timedelta(days=DAYS_AHEAD)


def shifts_calendar(*, name: str, feed: str, origin: str, shifts: Iterable[tuple[str, Shift]], now: datetime,
                    time_zone: str | None = None) -> bytes:
    """An iCalendar of one VEVENT per `(schedule id, shift)`, named `name`, serialised."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")  # Outlook treats a feed without it as an invitation
    calendar.add("x-wr-calname", name)
    if time_zone:
        calendar.add("x-wr-timezone", time_zone)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))  # an X- property is text unless typed: PT1H
    stamp = now.astimezone(timezone.utc).replace(microsecond=0)
    for schedule_id, shift in shifts:
        calendar.add_component(_event(schedule_id, shift, feed=feed, origin=origin, stamp=stamp))
    return calendar.to_ical()


def shift_uid(*, origin: str, feed: str, schedule_id: str, shift: Shift) -> str:
    """A UID that stays the same while the shift keeps its start and people, so clients update in place."""
    # The end is left out on purpose: an override that shortens a shift moves DTEND, not the event.
    # `origin` and `feed` keep two deployments, or a schedule feed and a personal feed, from colliding.
    key = "|".join((origin, feed, schedule_id, shift.start_at.isoformat(), ",".join(shift.users)))
    return hashlib.sha256(key.encode()).hexdigest()[:32] + "@klaxon"


def shift_summary(schedule_id: str, shift: Shift) -> str:
    """`On call: alice (checkout-primary)`."""
    return f"On call: {', '.join(shift.users)} ({schedule_id})"


def _event(schedule_id: str, shift: Shift, *, feed: str, origin: str, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", shift_uid(origin=origin, feed=feed, schedule_id=schedule_id, shift=shift))
    event.add("dtstamp", stamp)
    event.add("dtstart", shift.start_at.astimezone(timezone.utc))
    event.add("dtend", shift.end_at.astimezone(timezone.utc))
    event.add("summary", shift_summary(schedule_id, shift))
    event.add("description", f"{', '.join(shift.users)} on call for schedule {schedule_id} (Klaxon).")
    event.add("transp", "TRANSPARENT")  # being on call does not make anyone busy in free/busy lookups
    event.add("categories", ["On call"])
    return event
