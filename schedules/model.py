"""The value objects of an on-call schedule: rotations, restrictions, layers, overrides and shifts.

Every instant is aware UTC (`*_at`). The only naive datetimes are `Layer.start` and the times of a
`Restriction`: wall-clock times in the schedule's zone, as the configuration writes them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Iterable

from schedules.wallclock import as_utc, load_zone

ROTATION_KINDS = ("hourly", "daily", "weekly", "custom")


@dataclass(frozen=True)
class Rotation:
    """How a layer's participants take turns.

    - hourly: every elapsed hour from the layer's start.
    - daily / weekly: at `handoff` (and on `handoff_weekday`, 0=Monday, for weekly) in local
      wall-clock time; None means "the time (and weekday) of the layer's start".
    - custom: every `shift`; whole days keep the wall-clock time, anything else is elapsed time.
    """

    kind: str
    handoff: time | None = None
    handoff_weekday: int | None = None
    shift: timedelta | None = None

    def __post_init__(self) -> None:
        if self.kind not in ROTATION_KINDS:
            raise ValueError(f"unknown rotation kind {self.kind!r}; expected one of {ROTATION_KINDS}")
        if self.kind == "custom" and (self.shift is None or self.shift <= timedelta(0)):
            raise ValueError("a custom rotation needs a shift longer than zero")
        if self.handoff_weekday is not None and not 0 <= self.handoff_weekday <= 6:
            raise ValueError(f"handoff_weekday must be 0 (Monday) to 6, got {self.handoff_weekday}")
        if self.handoff is not None and self.handoff.tzinfo is not None:
            raise ValueError("handoff is local wall-clock time and must be naive")


@dataclass(frozen=True)
class Restriction:
    """A local window on each of `days` (0=Monday) from `start`; it ends the next day if end <= start."""

    days: frozenset[int]
    start: time
    end: time

    def __post_init__(self) -> None:
        object.__setattr__(self, "days", frozenset(self.days))
        if any(not 0 <= day <= 6 for day in self.days):
            raise ValueError(f"restriction days must be 0 (Monday) to 6, got {sorted(self.days)}")

    @property
    def crosses_midnight(self) -> bool:
        """True when the window ends on the day after it starts (end <= start, so 09:00-09:00 is 24 h)."""
        return self.end <= self.start


@dataclass(frozen=True)
class Layer:
    """One rotation of `users` from `start` (naive local wall-clock), optionally restricted to windows."""

    name: str
    rotation: Rotation
    start: datetime
    users: tuple[str, ...]
    restrictions: tuple[Restriction, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "users", tuple(self.users))
        object.__setattr__(self, "restrictions", tuple(self.restrictions))
        if self.start.tzinfo is not None:
            raise ValueError(f"layer {self.name!r}: start is local wall-clock time and must be naive")
        if not self.users:
            raise ValueError(f"layer {self.name!r}: needs at least one user")


@dataclass(frozen=True)
class Override:
    """`user` replaces whoever is on call in [start_at, end_at); the highest `seq` wins when stacked."""

    user: str
    start_at: datetime
    end_at: datetime
    seq: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "start_at", as_utc(self.start_at, "override start_at"))
        object.__setattr__(self, "end_at", as_utc(self.end_at, "override end_at"))
        if self.end_at <= self.start_at:
            raise ValueError(f"override for {self.user!r} must end after it starts")


@dataclass(frozen=True)
class Schedule:
    """Layers (a later one wins where it has someone on call) plus overrides, in one time zone."""

    id: str
    time_zone: str
    layers: tuple[Layer, ...]
    overrides: tuple[Override, ...] = ()
    # schedules.oncall keeps its derived plan (rotation clocks, stacked overrides) in the instance
    # __dict__, outside the fields, so equality, repr, asdict and replace() never see it.

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(self.layers))
        object.__setattr__(self, "overrides", tuple(self.overrides))
        load_zone(self.time_zone)

    def with_overrides(self, overrides: Iterable[Override]) -> Schedule:
        """A copy of this schedule whose overrides are `overrides` (replacing, not adding to, the old)."""
        return dataclasses.replace(self, overrides=tuple(overrides))


@dataclass(frozen=True)
class Shift:
    """Who is on call in the half-open span [start_at, end_at), aware UTC."""

    start_at: datetime
    end_at: datetime
    users: tuple[str, ...]
