"""The claim fence (issue 10 item 7): a row a live worker is sending is never handed to another
worker while that worker may still be recording its send, so a database blip cannot page twice; a
dead worker's rows go back to pending after the short lease."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from app.models import Notification, TimelineEntry
from app.outbox.delivery import LIVE_CLAIM_LIMIT, MAX_ATTEMPTS, RECORD_RETRY_FOR, SENDING_LEASE
from app.platform import worker_heartbeats
from app.platform.clock import utc_now
from tests.support.config import apply_test_config, pd_trigger, run_first_steps
from workers.sweeper import sweep_due_timers

CLAIMER = {"name": "klaxon-elsewhere-4242-abc", "host": "elsewhere", "pid": 4242}


def claimed_row(runtime: Any, client: Any, claimed_ago: timedelta) -> int:
    """A page to a person claimed by a worker on another host `claimed_ago`."""
    apply_test_config(runtime)
    assert client.post("/v2/enqueue", json=pd_trigger(dedup_key="fence")).status_code == 202
    run_first_steps(runtime)
    with runtime.session() as session:
        row = session.exec(select(Notification).where(col(Notification.user_id).is_not(None))
                           .order_by(col(Notification.id))).first()
        assert row is not None and row.id is not None
        session.execute(update(Notification).where(col(Notification.id) == row.id).values(
            status="sending", claimed_by="elsewhere:4242", claimed_at=utc_now() - claimed_ago))
        session.commit()
        return row.id


def status_of(runtime: Any, row_id: int) -> str:
    with runtime.session() as session:
        row = session.get(Notification, row_id)
        assert row is not None
        return row.status


def test_a_live_workers_claim_outlasts_its_recording_retries() -> None:
    assert LIVE_CLAIM_LIMIT.total_seconds() > RECORD_RETRY_FOR + 2 * 10  # two provider timeouts of 10 s
    assert SENDING_LEASE < LIVE_CLAIM_LIMIT


def test_a_claim_by_a_worker_with_a_live_heartbeat_is_not_freed_after_the_lease(runtime: Any, client: Any) -> None:
    row_id = claimed_row(runtime, client, SENDING_LEASE + timedelta(seconds=30))
    worker_heartbeats.beat(runtime.redis, runtime.settings.queue_prefix, CLAIMER["name"], CLAIMER)
    assert sweep_due_timers(runtime).unstuck == 0
    assert status_of(runtime, row_id) == "sending"
    worker_heartbeats.forget(runtime.redis, runtime.settings.queue_prefix, CLAIMER["name"])
    assert sweep_due_timers(runtime).unstuck == 1, "its heartbeat is gone: the worker died"
    assert status_of(runtime, row_id) == "pending"


def test_a_live_workers_claim_is_freed_past_the_limit(runtime: Any, client: Any) -> None:
    row_id = claimed_row(runtime, client, LIVE_CLAIM_LIMIT + timedelta(seconds=1))
    worker_heartbeats.beat(runtime.redis, runtime.settings.queue_prefix, CLAIMER["name"], CLAIMER)
    assert sweep_due_timers(runtime).unstuck == 1, "a send that hung past every timeout is not lost"
    assert status_of(runtime, row_id) == "pending"


def test_a_page_whose_every_attempt_died_with_its_worker_gives_up_and_falls_through(runtime: Any,
                                                                                     client: Any) -> None:
    """Issue 10 item 10: a page that kills every worker that sends it (or any claim that never finishes)
    is not retried for ever: past MAX_ATTEMPTS the sweeper fails it and pages the person's next channel."""
    row_id = claimed_row(runtime, client, SENDING_LEASE + timedelta(seconds=1))
    with runtime.session() as session:
        session.execute(update(Notification).where(col(Notification.id) == row_id).values(attempts=MAX_ATTEMPTS))
        session.commit()

    assert sweep_due_timers(runtime).unstuck == 1
    with runtime.session() as session:
        row = session.get(Notification, row_id)
        assert row is not None and row.status == "failed"
        assert row.error == f"gave up after {MAX_ATTEMPTS} attempts that never finished"
        fallback = session.exec(select(Notification).where(
            col(Notification.user_id) == row.user_id, col(Notification.step_key) == row.step_key,
            col(Notification.channel) != row.channel, col(Notification.status) == "pending")).all()
        lines = [f"{e.kind}: {e.detail}" for e in session.exec(select(TimelineEntry).where(
            col(TimelineEntry.incident_id) == row.incident_id).order_by(col(TimelineEntry.id)))]
    assert f"delivery_failed: {row.channel} page to {row.user_id} failed permanently: gave up after " \
           f"{MAX_ATTEMPTS} attempts that never finished" in lines
    [fell_to] = [line.split()[4] for line in lines if line.startswith("fallback: falling back to ")]
    assert any(page.channel == fell_to and page.due_at <= utc_now() for page in fallback), "paged on it now"
