"""Whole ladders, one process: freezegun moves the clock, RQ's scheduler and a SimpleWorker run what
falls due against a real Redis and a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any, Iterator

import pytest
from freezegun import freeze_time

from app.escalation import engine
from app.incidents import lifecycle as incidents
from app.platform.clock import utc_now
from app.platform.errors import Conflict
from tests.support.config import apply_test_config
from tests.support.driver import Driver
from tests.support.ladder_config import LADDER_CONFIG

M = timedelta(minutes=1)


@pytest.fixture
def driver(runtime: Any) -> Iterator[Driver]:
    with freeze_time("2026-11-23T03:00:00Z") as frozen:
        apply_test_config(runtime, LADDER_CONFIG)
        yield Driver(runtime, frozen)


def declare(driver: Driver, service: str = "checkout", severity: str = "SEV1") -> int:
    with driver.runtime.session() as session:
        incident = incidents.declare(session, service_id=service, title="Checkout down", severity=severity,
                                     user_id="gina", now=utc_now())
        session.commit()
        assert incident.id is not None
        incident_id = incident.id
    driver.run_due()
    return incident_id


def act(driver: Driver, verb: str, incident_id: int = 1, user: str = "alice") -> None:
    with driver.runtime.session() as session:
        getattr(incidents, verb)(session, incident_id=incident_id, user_id=user, now=utc_now())
        session.commit()
    driver.run_due()


def test_unacknowledged_ladder_climbs_and_repeats_then_stops(driver: Driver) -> None:
    declare(driver)
    assert driver.pages() == [(1, "alice", "slack")]
    driver.advance(5 * M - timedelta(seconds=1))
    assert driver.pages() == [(1, "alice", "slack")], "no level 2 before escalate_after"
    driver.advance(timedelta(seconds=1))
    assert driver.pages()[-1] == (2, "bob", "slack")
    driver.advance(10 * M)  # repeat: the ladder runs once more
    assert sorted(driver.pages()[-2:]) == [(0, "gina", "slack"), (1, "alice", "slack")]
    driver.advance(5 * M)
    assert driver.pages()[-1] == (2, "bob", "slack")
    driver.advance(60 * M)
    assert [p for p in driver.pages() if p[0]] == [(1, "alice", "slack"), (2, "bob", "slack"),
                                                  (1, "alice", "slack"), (2, "bob", "slack")]
    assert driver.incident().next_escalation_at is None


@pytest.mark.parametrize("ack_after_minutes", [0, 4, 5, 14, 19])
def test_acknowledge_at_any_point_stops_the_ladder(driver: Driver, ack_after_minutes: int) -> None:
    declare(driver)
    driver.advance(ack_after_minutes * M)
    before = [p for p in driver.pages() if p[0]]
    act(driver, "acknowledge")
    driver.advance(60 * M)
    assert [p for p in driver.pages() if p[0]] == before
    assert driver.incident().status == "acknowledged"


def test_open_time_trigger_fires_after_ack_but_not_after_resolve(driver: Driver) -> None:
    declare(driver)
    act(driver, "acknowledge")
    driver.advance(15 * M)
    assert (0, "gina", "slack") in driver.pages()
    declare(driver)  # incident 2
    act(driver, "resolve", incident_id=2)
    driver.advance(30 * M)
    assert driver.pages(2) == [(1, "alice", "slack")]


def test_sev3_notifies_level_one_and_does_not_escalate(driver: Driver) -> None:
    declare(driver, severity="SEV3")
    driver.advance(60 * M)
    assert driver.pages() == [(1, "alice", "slack")]


def test_level_with_nobody_on_call_pages_next_level_at_once(driver: Driver) -> None:
    declare(driver, service="gappy")
    assert driver.pages() == [(2, "carol", "slack")]
    assert any(kind == "escalation_gap" for kind, _ in driver.timeline())
    assert driver.incident().escalation_level == 2


def test_delayed_rule_is_cancelled_by_acknowledge(driver: Driver) -> None:
    declare(driver, service="gappy")
    act(driver, "acknowledge", user="carol")
    driver.advance(2 * M)
    assert driver.pages() == [(2, "carol", "slack")]
    assert driver.pages(status="cancelled") == [(2, "carol", "sms")]


def test_manual_escalation_pages_next_level_now_and_restarts_its_timer(driver: Driver) -> None:
    declare(driver)
    driver.advance(2 * M)
    act(driver, "escalate", user="gina")
    assert driver.pages()[-1] == (2, "bob", "slack")
    driver.advance(10 * M - timedelta(seconds=1))
    assert driver.pages()[-1] == (2, "bob", "slack"), "level 2's own timer restarted at the press"
    driver.advance(timedelta(seconds=1))
    assert driver.pages()[-1] == (1, "alice", "slack")


def test_three_people_pressing_escalate_together_escalate_once(driver: Driver) -> None:
    declare(driver)
    barrier = threading.Barrier(3)
    outcomes: list[str] = []

    def press(user: str) -> None:
        with driver.runtime.session() as session:
            barrier.wait()
            try:
                incidents.escalate(session, incident_id=1, user_id=user, now=utc_now())
                session.commit()
                outcomes.append("escalated")
            except Conflict:
                session.rollback()
                outcomes.append("conflict")
            except Exception as error:  # SQLite may refuse a racing writer outright; that is a no-op too
                session.rollback()
                outcomes.append(type(error).__name__)

    threads = [threading.Thread(target=press, args=(u,)) for u in ("alice", "bob", "gina")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    driver.run_due()
    assert outcomes.count("escalated") == 1, outcomes
    assert [p for p in driver.pages() if p[0] == 2] == [(2, "bob", "slack")]


def test_stale_and_duplicate_wakeups_are_noops(driver: Driver) -> None:
    from workers.jobs import escalate

    declare(driver)
    incident = driver.incident()
    token, step = incident.escalation_token, incident.escalation_step
    driver.advance(5 * M)
    assert driver.pages()[-1] == (2, "bob", "slack")
    assert escalate(1, token, step) == "stale"  # the same wake-up again
    assert escalate(1, "not-the-token", driver.incident().escalation_step) == "stale"
    assert [p for p in driver.pages() if p[0] == 2] == [(2, "bob", "slack")]


def test_wakeup_before_its_due_time_does_not_act_early(driver: Driver) -> None:
    declare(driver)
    incident = driver.incident()
    with driver.runtime.session() as session:
        ran = engine.run_step(session, incident_id=1, token=incident.escalation_token,
                              step=incident.escalation_step, now=utc_now() + 4 * M)
        session.commit()
    assert ran is False
    assert driver.pages() == [(1, "alice", "slack")]


def test_ack_timeout_retriggers_and_restarts_the_ladder(driver: Driver) -> None:
    declare(driver, service="sticky")
    act(driver, "acknowledge")
    driver.advance(30 * M)
    incident = driver.incident()
    assert incident.status == "triggered"
    assert any(kind == "ack_timeout" for kind, _ in driver.timeline())
    assert driver.pages() == [(1, "alice", "slack"), (1, "alice", "slack")]
    driver.advance(5 * M)
    assert driver.pages()[-1] == (2, "bob", "slack")


def test_handing_over_to_another_team_starts_its_ladder(driver: Driver) -> None:
    declare(driver)
    with driver.runtime.session() as session:
        incidents.reassign(session, incident_id=1, service_id="gappy", user_id="gina", now=utc_now())
        session.commit()
    driver.run_due()
    assert driver.pages()[-1] == (2, "carol", "slack")
    assert driver.incident().service_id == "gappy"
    driver.advance(5 * M)
    assert (2, "bob", "slack") not in driver.pages(), "the old ladder's wake-up is stale"


def test_sweeper_runs_steps_whose_wakeup_redis_lost(driver: Driver) -> None:
    from workers.sweeper import sweep_due_timers

    declare(driver)
    driver.runtime.redis.flushall()
    driver.advance(5 * M + timedelta(seconds=3))
    assert driver.pages() == [(1, "alice", "slack")], "the wake-up was flushed with Redis"
    report = sweep_due_timers(driver.runtime)
    assert report.steps == 1
    assert report.deliveries == 0
    driver.run_due()  # the page the sweeper's step queued
    assert driver.pages()[-1] == (2, "bob", "slack")
    assert sweep_due_timers(driver.runtime).total == 0, "nothing is run twice"


def test_timers_falling_due_together_share_one_wakeup_and_all_fire(driver: Driver) -> None:
    """Five SEV1s opened together arm five level-2 timers and five open-time triggers: each kind waits
    behind one scheduled wake-up (per 100 ms slice), not one RQ job per incident, and every one fires."""
    from rq.registry import ScheduledJobRegistry

    ids = [declare(driver) for _ in range(5)]
    registry = ScheduledJobRegistry("klaxon-escalation", connection=driver.runtime.redis)
    scheduled = sorted(job.func_name for job in (driver.queues[0].fetch_job(i) for i in registry.get_job_ids()) if job)
    assert scheduled == ["workers.jobs.fire_due_triggers", "workers.jobs.run_due_steps"]
    driver.advance(16 * M)
    for incident_id in ids:
        assert (2, "bob", "slack") in driver.pages(incident_id)
        assert (0, "gina", "slack") in driver.pages(incident_id)


def test_escalating_an_acknowledged_incident_retriggers_it_and_the_ladder_goes_on(driver: Driver) -> None:
    """CONTRACT section 6: Escalate on an acknowledged incident pages the next level (it is sent, not
    cancelled as a ladder page of a non-triggered incident), puts the incident back to triggered, and the
    ladder continues from that level."""
    declare(driver)
    act(driver, "acknowledge", user="alice")
    driver.advance(M)
    act(driver, "escalate", user="alice")
    driver.run_due()
    assert driver.pages()[-1] == (2, "bob", "slack")
    assert driver.pages(status="cancelled") == []
    incident = driver.incident()
    assert (incident.status, incident.acknowledged_by, incident.escalation_level) == ("triggered", None, 2)
    driver.advance(10 * M)
    assert driver.pages()[-1] == (1, "alice", "slack"), "level 2's timer ran out: the ladder repeats"


REORDER_CONFIG = """
users:
  - {{id: ann, name: Ann, slack_user_id: UANN, notify: [{{channel: slack, after: 0s}}]}}
  - {{id: eve, name: Eve, slack_user_id: UEVE, notify: [{{channel: slack, after: 0s}}]}}
  - {{id: fay, name: Fay, slack_user_id: UFAY, notify: [{{channel: slack, after: 0s}}]}}
escalation_policies:
  - id: team
    levels:
      - {{targets: [user:ann]}}
    open_triggers:
{triggers}
services:
  - {{id: checkout, name: Checkout, escalation_policy: team}}
"""
EVE_THEN_FAY = ("      - {severities: [SEV1], after: 6m, targets: [user:eve]}\n"
                "      - {severities: [SEV1], after: 10m, targets: [user:fay]}")
FAY_THEN_EVE = ("      - {severities: [SEV1], after: 10m, targets: [user:fay]}\n"
                "      - {severities: [SEV1], after: 6m, targets: [user:eve]}")


def test_a_trigger_timer_fires_the_definition_that_armed_it(runtime: Any) -> None:
    """Issue 10 item 3, DESIGN rule 12: reordering a policy's open-time triggers after an incident opened
    must not page fay at eve's time: each timer keeps the rule it was armed with."""
    with freeze_time("2026-11-23T03:00:00Z") as frozen:
        apply_test_config(runtime, REORDER_CONFIG.format(triggers=EVE_THEN_FAY))
        driver = Driver(runtime, frozen)
        declare(driver)
        apply_test_config(runtime, REORDER_CONFIG.format(triggers=FAY_THEN_EVE))
        driver.advance(7 * M)
        assert driver.pages() == [(1, "ann", "slack"), (0, "eve", "slack")]
        driver.advance(4 * M)
        assert driver.pages() == [(1, "ann", "slack"), (0, "eve", "slack"), (0, "fay", "slack")]


def hand_over(driver: Driver, service_id: str) -> None:
    with driver.runtime.session() as session:
        incidents.reassign(session, incident_id=1, service_id=service_id, user_id="gina", now=utc_now())
        session.commit()
    driver.run_due()


def test_a_hand_over_cancels_the_old_teams_later_pages(driver: Driver) -> None:
    """Issue 10 item 2: carol (the old team's level) has a text due a minute after her Slack page; the
    incident is handed over before it: her text is cancelled, the timeline says so, and the new team's
    level 1 is paged."""
    declare(driver, service="gappy")
    assert driver.pages(status="pending") == [(2, "carol", "sms")]
    driver.advance(timedelta(seconds=10))
    hand_over(driver, "checkout")
    driver.advance(2 * M)
    assert (2, "carol", "sms") not in driver.pages(), "the old team's later channel rule was cancelled"
    assert driver.pages(status="cancelled") == [(2, "carol", "sms")]
    assert driver.pages()[-1] == (1, "alice", "slack")
    assert ("handover_cancelled", "gappy stood down: 1 pending page(s) and 0 open-time trigger(s) cancelled") \
        in driver.timeline()


def notices(driver: Driver) -> list[tuple[str, str, str]]:
    """(user, channel, text) of every notice that went out, in order."""
    from sqlmodel import col, select

    from app.models import ConsoleMessage, Notification

    with driver.runtime.session() as session:
        rows = session.exec(select(Notification.user_id, ConsoleMessage.channel, ConsoleMessage.text)
                            .join(ConsoleMessage, col(ConsoleMessage.notification_id) == col(Notification.id))
                            .where(col(Notification.notice).is_not(None)).order_by(col(ConsoleMessage.id))).all()
    return [(user or "", channel, text) for user, channel, text in rows]


def test_a_hand_over_tells_each_previous_responder_once_and_not_as_a_page(driver: Driver) -> None:
    """Issue 10 item 2: carol, whom the old team reached on Slack, is told once with a notice (no
    reply codes, not re-paged); alice, paged by the new team's level 1, is not told. Handed back, only
    alice, whom Checkout reached, is told; carol is paged again by Gappy rather than told."""
    declare(driver, service="gappy")  # carol: Slack now, a text at +1 min
    driver.advance(timedelta(seconds=10))
    hand_over(driver, "checkout")
    driver.advance(2 * M)
    told = ("carol", "slack", "Klaxon: incident #1 (Checkout down) was handed over from Gappy to Checkout by gina. "
                              "You are no longer paged for it.")
    assert notices(driver) == [told]
    assert ("handover_notice", "telling carol (slack) that it was handed over") in driver.timeline()

    hand_over(driver, "gappy")
    driver.advance(2 * M)
    assert notices(driver) == [told, ("alice", "slack", "Klaxon: incident #1 (Checkout down) was handed over from "
                                                        "Checkout to Gappy by gina. You are no longer paged for it.")]
    assert driver.pages().count((2, "carol", "slack")) == 2, "paged again by the new policy, not told"


def test_a_hand_over_disarms_the_old_triggers_and_arms_the_new_ones_from_creation(driver: Driver) -> None:
    """The old policy's open-time trigger (gina at 15 min) never fires after a hand-over to a policy
    without one; handed back, the checkout policy's trigger counts from the incident's creation."""
    declare(driver)  # checkout: gina's trigger at +15 min
    driver.advance(M)
    hand_over(driver, "gappy")
    driver.advance(16 * M)
    assert (0, "gina", "slack") not in driver.pages(), "the old policy's trigger never fires"
    hand_over(driver, "checkout")
    assert driver.pages()[-1] == (0, "gina", "slack"), "already due by the creation clock: fires at once"


LEVELS_CONFIG = """
users:
  - {{id: ann, name: Ann, slack_user_id: UANN, notify: [{{channel: slack, after: 0s}}]}}
  - {{id: bob, name: Bob, slack_user_id: UBOB, notify: [{{channel: slack, after: 0s}}]}}
  - {{id: cat, name: Cat, slack_user_id: UCAT, notify: [{{channel: slack, after: 0s}}]}}
escalation_policies:
  - id: team
    levels:
      - {{targets: [user:ann], escalate_after: 5m}}
      - {{targets: [user:{second}]}}
services:
  - {{id: checkout, name: Checkout, escalation_policy: team}}
"""


def test_a_step_timer_pages_the_ladder_that_armed_it(runtime: Any) -> None:
    """Issue 10 item 3 for levels: level 2 is edited from bob to cat after an incident opened; that
    incident's level 2 still pages bob (whom its ladder named), a new incident's pages cat."""
    with freeze_time("2026-11-23T03:00:00Z") as frozen:
        apply_test_config(runtime, LEVELS_CONFIG.format(second="bob"))
        driver = Driver(runtime, frozen)
        declare(driver)
        apply_test_config(runtime, LEVELS_CONFIG.format(second="cat"))
        driver.advance(5 * M)
        assert driver.pages() == [(1, "ann", "slack"), (2, "bob", "slack")]
        second = declare(driver)
        driver.advance(5 * M)
        assert driver.pages(second) == [(1, "ann", "slack"), (2, "cat", "slack")]
