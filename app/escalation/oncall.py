"""Who is on call: stored schedules turned into `schedules.Schedule` and asked at an instant."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from app.models import ScheduleOverride, ScheduleRecord
from app.platform.config_cache import cached
from app.platform.errors import NotFound
from schedules import Schedule, oncall_at
from schedules.model import Override
from schedules.spec import schedule_from_dict


def load_schedule(session: Session, schedule_id: str) -> Schedule:
    """The schedule with every stored override (config and API), newest with the highest seq."""
    # The definition is configuration (cached a few seconds); overrides are read fresh every time.
    schedule = cached(session, ("schedule", schedule_id), lambda: _load_definition(session, schedule_id))
    if schedule is None:
        raise NotFound(f"unknown schedule {schedule_id!r}")
    rows = session.exec(
        select(ScheduleOverride).where(col(ScheduleOverride.schedule_id) == schedule_id)
        .order_by(col(ScheduleOverride.id))
    ).all()
    overrides = tuple(Override(row.user_id, row.start_at, row.end_at, seq=row.id or 0) for row in rows)
    return schedule.with_overrides(overrides)


def _load_definition(session: Session, schedule_id: str) -> Schedule | None:
    record = session.get(ScheduleRecord, schedule_id)
    if record is None:
        return None
    return schedule_from_dict({key: value for key, value in record.definition.items() if key != "overrides"})


def oncall_users(session: Session, schedule_id: str, at: datetime) -> tuple[str, ...]:
    """The user ids on call for `schedule_id` at `at`."""
    return oncall_at(load_schedule(session, schedule_id), at)
