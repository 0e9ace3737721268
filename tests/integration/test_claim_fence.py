"""The claim fence (issue 10 item 7): a row a live worker is sending is never handed to another
worker while that worker may still be recording its send, so a database blip cannot page twice; a
dead worker's rows go back to pending after the short lease."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from app import worker_heartbeats
from app.clock import utc_now
from app.delivery import LIVE_CLAIM_LIMIT, RECORD_RETRY_FOR, SENDING_LEASE
from app.models import Notification
from tests.support.config import apply_test_config, pd_trigger, run_first_steps
from workers.sweeper import sweep_due_timers

CLAIMER = {"name": "klaxon-elsewhere-4242-abc", "host": "elsewhere", "pid": 4242}


def claimed_row(runtime: Any, client: Any, claimed_ago: timedelta) -> int:
    """A page claimed by a worker on another host `claimed_ago`."""
    apply_test_config(runtime)
    assert client.post("/v2/enqueue", json=pd_trigger(dedup_key="fence")).status_code == 202
    run_first_steps(runtime)
    with runtime.session() as session:
        row = session.exec(select(Notification).order_by(col(Notification.id))).first()
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
