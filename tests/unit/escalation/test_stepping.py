"""The pure escalation stepping: which level a step pages, when the next one is due, whose channels."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from app.escalation.stepping import (
    DEFAULT_ESCALATE_AFTER,
    KEEP_PACE_LIMIT,
    StepPlan,
    gap_line,
    ladder_from_policy,
    page_until_reached,
    plan_step,
)
from app.outbox.notify_rules import (
    DEFAULT_NOTIFY_RULES,
    NotifyRule,
    channel_schedule,
    fallback_channel,
    rules_from_stored,
)

T0 = datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc)
M = timedelta(minutes=1)
LADDER = ladder_from_policy(
    [{"targets": ["schedule:primary"], "escalate_after_seconds": 300},
     {"targets": ["user:bob"], "escalate_after_seconds": 600},
     {"targets": ["user:frank"], "escalate_after_seconds": None}],
    repeat=1, escalate_severities=["SEV1", "SEV2"],
)


@pytest.mark.parametrize("step, level, targets, next_step, wait", [
    (0, 1, ("schedule:primary",), 1, 5 * M),
    (1, 2, ("user:bob",), 2, 10 * M),
    (2, 3, ("user:frank",), 3, DEFAULT_ESCALATE_AFTER),  # last level, but the ladder repeats
    (3, 1, ("schedule:primary",), 4, 5 * M),
    (5, 3, ("user:frank",), None, None),  # the very last step has no timer
])
def test_plan_step_walks_the_flattened_ladder(step: int, level: int, targets: tuple[str, ...],
                                              next_step: int | None, wait: timedelta | None) -> None:
    plan = plan_step(LADDER, step, "SEV1", T0)
    assert plan is not None
    assert (plan.level, plan.targets, plan.next_step) == (level, targets, next_step)
    assert plan.next_due_at == (T0 + wait if wait else None)


def test_steps_past_the_end_do_not_exist() -> None:
    assert LADDER.step_count == 6
    assert plan_step(LADDER, 6, "SEV1", T0) is None
    assert plan_step(LADDER, -1, "SEV1", T0) is None


def test_non_urgent_severity_pages_level_one_only() -> None:
    first = plan_step(LADDER, 0, "SEV3", T0)
    assert first is not None and first.next_step is None and first.next_due_at is None
    assert plan_step(LADDER, 1, "SEV3", T0) is None


def test_escalate_severities_opt_in() -> None:
    ladder = ladder_from_policy([{"targets": ["user:a"], "escalate_after_seconds": 60},
                                 {"targets": ["user:b"]}], 0, ["SEV3"])
    assert plan_step(ladder, 0, "SEV3", T0).next_due_at == T0 + M  # type: ignore[union-attr]
    assert plan_step(ladder, 0, "SEV1", T0).next_due_at is None  # type: ignore[union-attr]


def test_empty_policy_has_no_steps() -> None:
    assert plan_step(ladder_from_policy([], 3, ["SEV1"]), 0, "SEV1", T0) is None


def test_no_stored_rules_means_the_contract_default() -> None:
    assert rules_from_stored(None) == DEFAULT_NOTIFY_RULES
    assert rules_from_stored([]) == DEFAULT_NOTIFY_RULES


@pytest.mark.parametrize("severity, expected", [
    ("SEV1", [("slack", T0), ("sms", T0), ("voice", T0 + 2 * M)]),
    ("SEV2", [("slack", T0), ("sms", T0)]),
    ("SEV3", [("slack", T0)]),
])
def test_default_rules_by_severity(severity: str, expected: list[tuple[str, datetime]]) -> None:
    assert channel_schedule(DEFAULT_NOTIFY_RULES, severity, T0) == expected


def test_one_row_per_channel_earliest_rule_wins() -> None:
    rules = (NotifyRule("sms", 5 * M), NotifyRule("sms", M, ("SEV1",)))
    assert channel_schedule(rules, "SEV1", T0) == [("sms", T0 + M)]


@pytest.mark.parametrize("tried, expected", [
    ({"slack"}, "sms"), ({"slack", "sms"}, "voice"), ({"slack", "sms", "voice"}, None), (set(), "slack"),
])
def test_fallback_follows_the_users_rule_order(tried: set[str], expected: str | None) -> None:
    assert fallback_channel(DEFAULT_NOTIFY_RULES, tried) == expected


def test_fallback_ignores_severity_filters_and_prefers_the_users_order() -> None:
    rules = (NotifyRule("voice", M, ("SEV1",)), NotifyRule("slack", timedelta(0)))
    assert fallback_channel(rules, {"slack"}) == "voice"


def test_a_step_run_a_little_late_keeps_the_ladder_on_its_offsets() -> None:
    late = T0 + timedelta(milliseconds=300)
    plan = plan_step(LADDER, 0, "SEV1", late, due=T0)
    assert plan is not None and plan.next_due_at == T0 + LADDER.levels[0].escalate_after


def test_a_step_run_minutes_late_still_leaves_its_level_nearly_the_whole_wait() -> None:
    wait = LADDER.levels[0].escalate_after
    assert wait is not None
    late = T0 + timedelta(minutes=10)
    plan = plan_step(LADDER, 0, "SEV1", late, due=T0)
    assert plan is not None and plan.next_due_at == late + wait - KEEP_PACE_LIMIT


def test_catching_up_never_takes_more_than_half_the_wait() -> None:
    short = ladder_from_policy([{"targets": ["user:a"], "escalate_after_seconds": 4},
                                {"targets": ["user:b"]}], 0, ["SEV1"])
    late = T0 + timedelta(seconds=3)
    plan = plan_step(short, 0, "SEV1", late, due=T0)
    assert plan is not None and plan.next_due_at == late + timedelta(seconds=2)


def test_a_step_run_early_or_on_time_waits_the_full_time() -> None:
    plan = plan_step(LADDER, 0, "SEV1", T0, due=T0 + timedelta(seconds=1))
    assert plan is not None and plan.next_due_at == T0 + LADDER.levels[0].escalate_after


@pytest.mark.parametrize("reaches, paged, last_level", [
    ({1}, [1], 1),  # level 1 reaches someone: the walk stops there
    ({2}, [1, 2], 2),  # nobody at level 1: level 2 at once
    (set(), [1, 2, 3], 3),  # nobody anywhere: every level once, then the ladder's end
])
def test_a_level_that_reaches_nobody_hands_on_at_once(reaches: set[int], paged: list[int], last_level: int) -> None:
    ladder = ladder_from_policy([{"targets": ["user:a"], "escalate_after_seconds": 60},
                                 {"targets": ["user:b"], "escalate_after_seconds": 60},
                                 {"targets": ["user:c"]}], 0, ["SEV1"])
    seen: list[int] = []

    def page(plan: StepPlan) -> bool:
        seen.append(plan.level)
        return plan.level in reaches

    first = plan_step(ladder, 0, "SEV1", T0)
    assert first is not None
    last = page_until_reached(ladder, first, "SEV1", T0, page)
    assert seen == paged and last.level == last_level
    assert gap_line(ladder, first) == "level 1 has nobody to page; paging level 2 now"

