"""Pure escalation stepping: given a policy, a step number and `now`, what to page and when next.

The ladder is flattened: with L levels and `repeat` R, steps 0 .. L*(R+1)-1 page level
`step % L`. After each step the next one is due `escalate_after` later; the last step of the
ladder has none. A level without `escalate_after` that still has a step after it (the last level
when the ladder repeats) waits DEFAULT_ESCALATE_AFTER, as PagerDuty does for its repeat delay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Sequence

DEFAULT_ESCALATE_AFTER = timedelta(minutes=5)
# A step that ran late takes its lateness off the next wait, up to this much and never more than half
# the wait: through scheduling jitter the ladder keeps its offsets from the incident's creation (late
# pages do not add up level after level), while a step that ran minutes late (no worker was up) still
# leaves its level nearly the whole wait to acknowledge.
KEEP_PACE_LIMIT = timedelta(seconds=5)
URGENT_SEVERITIES = ("SEV1", "SEV2")


@dataclass(frozen=True)
class Level:
    """One rung: who to page, and how long to wait for an acknowledgement before the next."""

    targets: tuple[str, ...]
    escalate_after: timedelta | None
    name: str | None = None  # the tier ("Tier 2 database"), shown in pages, the timeline and the review


@dataclass(frozen=True)
class Ladder:
    """A policy's levels, repeat count and which severities climb it."""

    levels: tuple[Level, ...]
    repeat: int = 0
    escalate_severities: tuple[str, ...] = URGENT_SEVERITIES

    @property
    def step_count(self) -> int:
        """How many steps the whole ladder has, repeats included."""
        return len(self.levels) * (self.repeat + 1)

    def escalates(self, severity: str) -> bool:
        """True when incidents of this severity climb past level 1."""
        return severity in self.escalate_severities

    def label(self, level: int) -> str:
        """`escalation level 2 (Tier 2 database)`: level `level` (1-based), with its name where it has one."""
        name = self.levels[level - 1].name if 0 < level <= len(self.levels) else None
        return f"escalation level {level}" + (f" ({name})" if name else "")


@dataclass(frozen=True)
class StepPlan:
    """What running `step` means: the level (1-based) to page and the next timer, if any."""

    step: int
    level: int
    targets: tuple[str, ...]
    next_step: int | None
    next_due_at: datetime | None


def ladder_from_policy(levels: Sequence[dict[str, Any]], repeat: int, escalate_severities: Iterable[str]) -> Ladder:
    """Build a Ladder from a stored policy (`escalate_after_seconds` may be None)."""
    built = tuple(
        Level(
            targets=tuple(level.get("targets", ())),
            escalate_after=(
                timedelta(seconds=level["escalate_after_seconds"])
                if level.get("escalate_after_seconds") is not None
                else None
            ),
            name=level.get("name"),
        )
        for level in levels
    )
    return Ladder(built, max(0, int(repeat)), tuple(escalate_severities))


def plan_step(ladder: Ladder, step: int, severity: str, now: datetime, due: datetime | None = None) -> StepPlan | None:
    """The plan for running `step` at `now` (it was `due` then), or None when the ladder has no such step."""
    if not ladder.levels or step < 0 or step >= ladder.step_count:
        return None
    if step > 0 and not ladder.escalates(severity):
        return None
    index = step % len(ladder.levels)
    level = ladder.levels[index]
    has_next = step + 1 < ladder.step_count and ladder.escalates(severity)
    if not has_next:
        return StepPlan(step, index + 1, level.targets, None, None)
    wait = level.escalate_after if level.escalate_after is not None else DEFAULT_ESCALATE_AFTER
    return StepPlan(step, index + 1, level.targets, step + 1, now + wait - catch_up(now, due, wait))


def catch_up(now: datetime, due: datetime | None, wait: timedelta) -> timedelta:
    """How much of a step's lateness to take off the next wait (see KEEP_PACE_LIMIT)."""
    if due is None or due >= now:
        return timedelta(0)
    return min(now - due, KEEP_PACE_LIMIT, wait / 2)


def page_until_reached(ladder: Ladder, plan: StepPlan, severity: str, now: datetime,
                       page: Callable[[StepPlan], bool]) -> StepPlan:
    """Page `plan`'s level with `page` (True when it reached someone) and, while a level reaches nobody,
    the next level at once (DESIGN rule 9); the last plan paged. The engine, the batched steps and
    simulate all walk the ladder through this one rule."""
    while not page(plan) and plan.next_step is not None:
        next_plan = plan_step(ladder, plan.next_step, severity, now)
        if next_plan is None:
            break
        plan = next_plan
    return plan


def gap_line(ladder: Ladder, plan: StepPlan) -> str:
    """The timeline line of a level that reached nobody."""
    return f"level {plan.level} has nobody to page; paging level {plan.level % len(ladder.levels) + 1} now"

