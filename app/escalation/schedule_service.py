"""Schedules as the app serves them: who is on call, shifts and gaps over a window, and API overrides.

The rotation math is `schedules`' (pure); this module loads the stored schedule, checks the windows
people ask about and writes the overrides they add. The API and the CLI both answer from here, so the
same question gets the same JSON from either.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from sqlmodel import Session, col, select

from app.escalation.oncall import load_schedule
from app.models import ScheduleOverride, ScheduleRecord, User
from app.platform.clock import MissingOffset, isoformat, parse_instant
from app.platform.errors import BadRequest, Conflict, NotFound
from schedules import Shift, gaps_between, oncall_at, shifts_between

# A window longer than a year is a mistake or a denial of service: one year of hourly shifts is
# already ~9000 entries.
MAX_WINDOW = timedelta(days=366)
# An override covers a holiday or a sick week; months of it belong in the rotation instead.
MAX_OVERRIDE = timedelta(days=90)
# The rotation math works on any instant `datetime` can hold, but local-time conversions overflow
# near year 9999; nobody plans on-call that far ahead, so instants outside these years are refused.
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(3000, 1, 1, tzinfo=timezone.utc)

Gap = tuple[datetime, datetime]


def instant_field(raw: object, *, field: str, require_offset: bool = False) -> datetime:
    """`raw` parsed as an ISO 8601 instant (aware UTC), or a BadRequest naming `field` and what is wrong."""
    if not isinstance(raw, str):
        raise BadRequest(f"{field}: must be an ISO 8601 instant string such as 2026-01-05T14:00:00Z",
                         detail={"field": field})
    try:
        value = parse_instant(raw, require_offset=require_offset)
    except MissingOffset:
        # A bare local time is ambiguous here: the writer's zone, the schedule's, or UTC?
        raise BadRequest(f"{field}: {raw!r} needs a UTC offset or Z (2026-01-05T09:00:00-05:00)",
                         detail={"field": field}) from None
    except ValueError:
        raise BadRequest(f"{field}: {raw!r} is not an ISO 8601 instant such as 2026-01-05T14:00:00Z",
                         detail={"field": field}) from None
    except OverflowError:  # year 1 or 9999 shifted by its offset
        value = LATEST
    if not EARLIEST <= value < LATEST:
        raise BadRequest(f"{field}: {raw!r} is out of range (years 1970 to 2999)", detail={"field": field})
    return value


def check_window(start_at: datetime, end_at: datetime, *, longest: timedelta = MAX_WINDOW) -> None:
    """BadRequest unless `end_at` is after `start_at` and the span is at most `longest`."""
    if end_at <= start_at:
        raise BadRequest(f"end: must be after start ({isoformat(end_at)} is not after {isoformat(start_at)})",
                         detail={"field": "end"})
    if end_at - start_at > longest:
        raise BadRequest(f"end: the span from start to end may be at most {longest.days} days",
                         detail={"field": "end"})


def schedule_ids(session: Session) -> list[str]:
    """Every configured schedule id, sorted."""
    return list(session.exec(select(ScheduleRecord.id).order_by(col(ScheduleRecord.id))).all())


def schedule_summary(session: Session, schedule_id: str, *, now: datetime) -> dict[str, Any]:
    """One schedule's zone, layer names and who is on call at `now`."""
    schedule = load_schedule(session, schedule_id)
    return {"id": schedule.id, "time_zone": schedule.time_zone, "layers": [layer.name for layer in schedule.layers],
            "oncall": list(oncall_at(schedule, now))}


def oncall_answer(session: Session, *, schedule_id: str, at: datetime) -> dict[str, Any]:
    """`{"schedule", "at", "oncall"}`: the users on call for `schedule_id` at `at`."""
    users = oncall_at(load_schedule(session, schedule_id), at)
    return {"schedule": schedule_id, "at": isoformat(at), "oncall": list(users)}


def shifts_answer(session: Session, *, schedule_id: str, start_at: datetime, end_at: datetime) -> dict[str, Any]:
    """`{"schedule", "start", "end", "shifts", "gaps"}`: the final schedule over [start_at, end_at)."""
    check_window(start_at, end_at)
    schedule = load_schedule(session, schedule_id)
    return {
        "schedule": schedule_id,
        "start": isoformat(start_at),
        "end": isoformat(end_at),
        "shifts": [shift_json(shift) for shift in shifts_between(schedule, start_at, end_at)],
        "gaps": [{"start": isoformat(begin), "end": isoformat(end)}
                 for begin, end in gaps_between(schedule, start_at, end_at)],
    }


def shift_json(shift: Shift) -> dict[str, Any]:
    """One shift as the API shows it."""
    return {"start": isoformat(shift.start_at), "end": isoformat(shift.end_at), "users": list(shift.users)}


def coming_gaps(session: Session, *, start_at: datetime, end_at: datetime) -> dict[str, list[Gap]]:
    """Every schedule's spans with nobody on call in [start_at, end_at), by schedule id."""
    return {schedule_id: gaps_between(load_schedule(session, schedule_id), start_at, end_at)
            for schedule_id in schedule_ids(session)}


def user_shifts(session: Session, *, user_id: str, start_at: datetime, end_at: datetime) -> list[tuple[str, Shift]]:
    """`(schedule id, shift)` for every shift `user_id` is on call in [start_at, end_at), by start."""
    if session.get(User, user_id) is None:
        raise NotFound(f"unknown user {user_id!r}")
    found: list[tuple[str, Shift]] = []
    for schedule_id in schedule_ids(session):
        schedule = load_schedule(session, schedule_id)
        found.extend((schedule_id, shift) for shift in shifts_between(schedule, start_at, end_at)
                     if user_id in shift.users)
    return sorted(found, key=lambda pair: (pair[1].start_at, pair[0]))


def list_overrides(session: Session, *, schedule_id: str, now: datetime) -> list[ScheduleOverride]:
    """The overrides of `schedule_id` that have not ended by `now`, by start (then newest last)."""
    load_schedule(session, schedule_id)  # NotFound for an unknown schedule, rather than an empty list
    return list(session.exec(
        select(ScheduleOverride).where(col(ScheduleOverride.schedule_id) == schedule_id,
                                       col(ScheduleOverride.end_at) > now)
        .order_by(col(ScheduleOverride.start_at), col(ScheduleOverride.id))
    ).all())


def create_override(session: Session, *, schedule_id: str, user_id: str, start_at: datetime, end_at: datetime,
                    now: datetime) -> ScheduleOverride:
    """Add an API override: `user_id` covers `schedule_id` in [start_at, end_at); it wins over older ones."""
    load_schedule(session, schedule_id)
    if session.get(User, user_id) is None:
        raise BadRequest(f"user: unknown user {user_id!r}", detail={"field": "user"})
    check_window(start_at, end_at, longest=MAX_OVERRIDE)
    if end_at <= now:
        # Rewriting who was on call in the past would change nothing but the history people rely on.
        raise BadRequest(f"end: {isoformat(end_at)} is in the past; an override must end in the future",
                         detail={"field": "end"})
    row = ScheduleOverride(schedule_id=schedule_id, user_id=user_id, start_at=start_at, end_at=end_at,
                           source="api", created_at=now)
    session.add(row)
    session.flush()  # the id is the override's rank among stacked overrides, and the API shows it
    return row


def delete_override(session: Session, *, schedule_id: str, override_id: int) -> None:
    """Remove an API override of `schedule_id`; NotFound if it is not one of that schedule's."""
    row = session.get(ScheduleOverride, override_id)
    if row is None or row.schedule_id != schedule_id:
        raise NotFound(f"schedule {schedule_id!r} has no override {override_id}")
    if row.source == "config":
        # `klaxon apply` would put it back: the configuration file is the source of truth for these.
        raise Conflict(f"override {override_id} comes from the configuration file; remove it there and run "
                       "`klaxon apply`")
    session.delete(row)


def override_json(row: ScheduleOverride) -> dict[str, Any]:
    """One override as the API shows it."""
    return {"id": row.id, "schedule": row.schedule_id, "user": row.user_id, "start": isoformat(row.start_at),
            "end": isoformat(row.end_at), "source": row.source}
