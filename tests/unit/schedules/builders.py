"""Small builders so each table row in these tests reads as the rule it checks."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from schedules import Layer, Override, Restriction, Rotation, Schedule

UTC = timezone.utc
NEW_YORK = "America/New_York"
LONDON = "Europe/London"
SYDNEY = "Australia/Sydney"
SECOND = timedelta(seconds=1)
USERS = ("ann", "ben", "cat")


def utc(text: str) -> datetime:
    """An aware UTC instant from '2026-03-08T07:00:00'."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def wall(text: str) -> datetime:
    """A naive local wall-clock time from '2026-03-08T02:30'."""
    return datetime.fromisoformat(text)


def hhmm(text: str) -> time:
    return time.fromisoformat(text)


def weekly(handoff: str, weekday: int) -> Rotation:
    return Rotation("weekly", handoff=hhmm(handoff), handoff_weekday=weekday)


def daily(handoff: str) -> Rotation:
    return Rotation("daily", handoff=hhmm(handoff))


def hourly() -> Rotation:
    return Rotation("hourly")


def custom(shift: timedelta) -> Rotation:
    return Rotation("custom", shift=shift)


def layer(
    rotation: Rotation,
    start: str,
    users: tuple[str, ...] = USERS,
    restrictions: tuple[Restriction, ...] = (),
    name: str = "layer",
) -> Layer:
    return Layer(name=name, rotation=rotation, start=wall(start), users=users, restrictions=restrictions)


def restrict(days: set[int], start: str, end: str) -> Restriction:
    return Restriction(days=frozenset(days), start=hhmm(start), end=hhmm(end))


def override(user: str, start: str, end: str, seq: int = 0) -> Override:
    return Override(user=user, start_at=utc(start), end_at=utc(end), seq=seq)


def schedule(zone: str, *layers: Layer, overrides: tuple[Override, ...] = ()) -> Schedule:
    named = tuple(
        Layer(f"layer-{i}", item.rotation, item.start, item.users, item.restrictions)
        for i, item in enumerate(layers)
    )
    return Schedule(id="test", time_zone=zone, layers=named, overrides=overrides)
