"""The schedule API's queries, bodies and answers (CONTRACT section 6)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from app.web.api_models.common import NEXT, Instant, Strict


class ScheduleOut(Strict):
    """A schedule, its layers and who is on call now."""

    id: str
    time_zone: str
    layers: list[str]
    oncall: list[str]


class SchedulePage(Strict):
    """A page of schedules, by id."""

    schedules: list[ScheduleOut]
    next: str | None = Field(description=NEXT)


class OnCallOut(Strict):
    """Who is on call at `at`."""

    schedule: str
    at: Instant
    oncall: list[str]


class AtQuery(BaseModel):
    """An instant (with an offset or Z); now when absent."""

    at: Instant | None = None


class SpanOut(Strict):
    """A stretch of time."""

    start: Instant
    end: Instant


class ShiftOut(SpanOut):
    """Who is on call over one stretch."""

    users: list[str]


class ShiftsOut(Strict):
    """The final shifts in [start, end), and the gaps where nobody is on call."""

    schedule: str
    start: Instant
    end: Instant
    shifts: list[ShiftOut]
    gaps: list[SpanOut]


class WindowQuery(BaseModel):
    """[start, end): start defaults to now, end to start + 7 days; at most 366 days."""

    start: Instant | None = None
    end: Instant | None = None


class OverrideOut(Strict):
    """An override: `user` is on call in [start, end) instead of the rotation."""

    id: int
    schedule: str
    user: str
    start: Instant
    end: Instant
    source: Literal["api", "config"]


class OverridePage(Strict):
    """A page of overrides that have not ended."""

    schedule: str
    overrides: list[OverrideOut]
    next: str | None = Field(description=NEXT)


class NewOverride(BaseModel):
    """Instants with an offset or Z; at most 90 days; it must end in the future."""

    user: str
    start: Instant
    end: Instant


class FeedQuery(BaseModel):
    """Calendar apps cannot send headers: the read-only feed token from GET /feeds, or a Bearer token."""

    token: str | None = None


class ScheduleFeed(Strict):
    """A schedule's calendar feed."""

    schedule: str
    url: str


class FeedsOut(Strict):
    """The caller's read-only feed token and the calendar URLs to subscribe to."""

    token: str
    mine: str
    schedules: list[ScheduleFeed]
