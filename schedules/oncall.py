"""Who is on call: layers stacked (a later layer wins where it has someone), then overrides on top.

Everything here takes its instants as arguments and reads no clock. The per-schedule work (rotation
clocks, resolved overrides) is done once per Schedule object and kept on it, so `oncall_at`
costs a few wall-clock conversions per layer and one bisect over the overrides.
"""

from __future__ import annotations

from datetime import datetime

from schedules import spans
from schedules.model import Layer, Schedule, Shift
from schedules.overrides import OverrideIndex
from schedules.restriction import RestrictionWindows
from schedules.rotation import RotationClock
from schedules.spans import Span
from schedules.wallclock import as_utc, load_zone, to_local


class _LayerPlan:
    """One layer ready to answer: its rotation clock, its windows and its users as 1-tuples."""

    def __init__(self, layer: Layer, schedule: Schedule) -> None:
        zone = load_zone(schedule.time_zone)
        self.clock = RotationClock(layer, zone)
        self.windows = RestrictionWindows(layer.restrictions, zone)
        # Shared tuples: a year of hourly shifts should not allocate one per shift.
        self.turns: tuple[tuple[str, ...], ...] = tuple((user,) for user in layer.users)

    def users_at(self, at: datetime, local: datetime) -> tuple[str, ...]:
        # Windows first: outside them the rotation does not matter, and most of a week is outside.
        if not self.windows.contains(at, local):
            return ()
        k = self.clock.index_at(at, local)
        return () if k is None else self.turns[k % len(self.turns)]

    def between(self, start_at: datetime, end_at: datetime) -> list[Span]:
        turns = self.turns
        shifts: list[Span] = [
            (begin, end, turns[k % len(turns)]) for begin, end, k in self.clock.shifts(start_at, end_at)
        ]
        if not self.windows.unrestricted:
            shifts = spans.intersect(shifts, self.windows.between(start_at, end_at))
        return spans.clip(shifts, start_at, end_at)


class _Plan:
    def __init__(self, schedule: Schedule) -> None:
        self.zone = load_zone(schedule.time_zone)
        self.layers = [_LayerPlan(layer, schedule) for layer in schedule.layers]
        self.newest_layer_first = self.layers[::-1]
        self.overrides = OverrideIndex(schedule.overrides)


def _plan(schedule: Schedule) -> _Plan:
    plan = vars(schedule).get("_plan")
    if not isinstance(plan, _Plan):
        plan = _Plan(schedule)
        # A Schedule is frozen, and the plan derives from its fields alone, so caching it there is safe.
        object.__setattr__(schedule, "_plan", plan)
    return plan


def oncall_at(schedule: Schedule, at: datetime) -> tuple[str, ...]:
    """The users on call at the aware instant `at`; () when nobody is (ValueError if `at` is naive)."""
    at = as_utc(at)
    plan = _plan(schedule)
    overriding = plan.overrides.users_at(at)
    if overriding is not None:
        return overriding
    local = to_local(at, plan.zone)  # once, shared by every layer's rotation and windows
    for layer in plan.newest_layer_first:
        users = layer.users_at(at, local)
        if users:
            return users
    return ()


def shifts_between(schedule: Schedule, start_at: datetime, end_at: datetime) -> list[Shift]:
    """The final schedule in [start_at, end_at) as sorted, non-overlapping, joined shifts (no gaps)."""
    return [Shift(begin, end, users) for begin, end, users in _final_spans(schedule, start_at, end_at)]


def gaps_between(schedule: Schedule, start_at: datetime, end_at: datetime) -> list[tuple[datetime, datetime]]:
    """The spans of [start_at, end_at) in which nobody is on call."""
    start_at, end_at = _range(start_at, end_at)
    return spans.complement(_final_spans(schedule, start_at, end_at), start_at, end_at)


def _final_spans(schedule: Schedule, start_at: datetime, end_at: datetime) -> list[Span]:
    start_at, end_at = _range(start_at, end_at)
    if start_at == end_at:
        return []
    plan = _plan(schedule)
    final: list[Span] = []
    for layer in plan.layers:
        final = spans.overlay(final, layer.between(start_at, end_at))
    overriding = spans.clip(plan.overrides.between(start_at, end_at), start_at, end_at)
    return spans.join(spans.overlay(final, overriding))


def _range(start_at: datetime, end_at: datetime) -> tuple[datetime, datetime]:
    start_at, end_at = as_utc(start_at, "start_at"), as_utc(end_at, "end_at")
    if end_at < start_at:
        raise ValueError(f"end_at {end_at.isoformat()} is before start_at {start_at.isoformat()}")
    return start_at, end_at
