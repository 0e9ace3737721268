"""Due steps and due pages run in batches (app.escalation.due_steps, app.outbox.delivery_batch): two workers
split a wave without running a step twice, a bad row cannot hold back the rest, and nothing goes out
before its time."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from app.escalation.engine import FAILED_STEP_RETRY
from app.models import Incident, Notification, TimelineEntry
from app.platform.clock import utc_now
from tests.support.config import apply_test_config, pd_trigger, run_jobs
from workers import jobs
from workers.context import use_runtime

WAVE = 60
# A stored ladder whose level's targets are not a list: planning a step of it raises.
BROKEN_LADDER = {"levels": [{"targets": 5}], "repeat": 0, "escalate_severities": ["SEV1"]}


@pytest.fixture
def worker_runtime(runtime: Any) -> Any:
    """Jobs called in this process use the test's runtime, as a worker's would use its own."""
    apply_test_config(runtime)
    use_runtime(runtime)
    yield runtime
    use_runtime(None)


def open_incidents(client: Any, count: int) -> None:
    for n in range(count):
        assert client.post("/v2/enqueue", json=pd_trigger(dedup_key=f"wave-{n}")).status_code == 202


def test_two_workers_draining_one_wave_run_each_step_once(worker_runtime: Any, client: Any) -> None:
    open_incidents(client, WAVE)
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def drain() -> None:
        try:
            start.wait()
            jobs.run_due_steps()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=drain) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with worker_runtime.session() as session:
        paged = Counter(session.exec(select(TimelineEntry.incident_id).where(col(TimelineEntry.kind) == "paged")))
        steps = {i.id: i.escalation_step for i in session.exec(select(Incident))}
        rows = Counter(session.exec(select(Notification.incident_id).where(col(Notification.level) == 1)))
    assert len(steps) == WAVE
    assert set(steps.values()) == {1}, "every incident's step 0 ran, and only once"
    assert set(paged.values()) == {1} and len(paged) == WAVE, "one 'paged' line per incident"
    assert len(rows) == WAVE and len(set(rows.values())) == 1, "the same outbox rows for every incident"


def test_a_bad_row_falls_back_to_single_steps_and_the_rest_still_page(worker_runtime: Any, client: Any,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    open_incidents(client, 5)
    with worker_runtime.session() as session:
        poisoned = session.exec(select(Incident).order_by(col(Incident.id))).first()
        assert poisoned is not None
        poisoned.ladder = BROKEN_LADDER
        session.add(poisoned)
        session.commit()
        poisoned_id = poisoned.id
    with caplog.at_level(logging.ERROR):
        outcomes = jobs.run_due_steps()
    assert outcomes == {"ran": 4, "failed": 1}
    assert "a batch of due steps failed" in caplog.text
    with worker_runtime.session() as session:
        steps = {i.id: i.escalation_step for i in session.exec(select(Incident))}
        postponed = session.get(Incident, poisoned_id)
        errors = session.exec(select(TimelineEntry.detail).where(col(TimelineEntry.kind) == "escalation_error")).all()
    assert steps.pop(poisoned_id) == 0, "the bad row keeps its step"
    assert set(steps.values()) == {1}
    assert postponed is not None and postponed.next_escalation_at is not None
    assert postponed.next_escalation_at - utc_now() > FAILED_STEP_RETRY - timedelta(seconds=10)
    assert errors == ["escalation step 0 failed (TypeError: 'int' object is not iterable); trying again in 60s"]
    caplog.clear()
    assert jobs.run_due_steps() == {}, "postponed: the next wake-up neither runs it nor falls back"
    assert "failed" not in caplog.text


def test_a_bad_row_does_not_stop_a_sweep(worker_runtime: Any, client: Any) -> None:
    from workers.sweeper import sweep_due_timers

    open_incidents(client, 2)
    with worker_runtime.session() as session:
        first = session.exec(select(Incident).order_by(col(Incident.id))).first()
        assert first is not None
        first.ladder = BROKEN_LADDER  # sorted first by due time, as a poison row would be
        session.add(first)
        session.commit()
    worker_runtime.redis.delete("rq:queue:klaxon-escalation")  # the wake-up was lost: the sweeper's work
    report = sweep_due_timers(worker_runtime, grace=timedelta(0))
    assert report.steps == 1
    with worker_runtime.session() as session:
        steps = [i.escalation_step for i in session.exec(select(Incident).order_by(col(Incident.id)))]
    assert steps == [0, 1]


def test_a_drain_never_sends_a_page_before_it_is_due(worker_runtime: Any) -> None:
    from app.incidents import lifecycle as incidents

    soon = utc_now() + timedelta(milliseconds=500)
    with worker_runtime.session() as session:
        incidents.declare(session, service_id="checkout", title="due in half a second", severity="SEV1",
                          user_id="alice", now=soon)
        session.commit()
    for channel in ("slack", "sms"):
        jobs.drain_deliveries(channel)
    with worker_runtime.session() as session:
        early = session.exec(select(Notification).where(col(Notification.status) != "pending")).all()
    assert early == []
    run_jobs(worker_runtime)  # the queued wake-ups are not due yet either
    with worker_runtime.session() as session:
        assert session.exec(select(Notification).where(col(Notification.sent_at) < soon)).all() == []


def test_a_sweep_hands_lost_pages_to_each_channels_lane_and_does_not_send_them_itself(
        worker_runtime: Any, client: Any) -> None:
    """Issue 10 item 9: a Slack outage (two 10 s timeouts a message) must not hold back texts found by
    the same sweep, nor the next sweep: the sweeper wakes each channel's lane instead of sending."""
    from rq import Queue

    from workers.sweeper import sweep_due_timers

    open_incidents(client, 2)
    jobs.run_due_steps()
    worker_runtime.redis.delete("rq:queue:klaxon-deliver-sms")  # the drains' wake-ups were lost
    report = sweep_due_timers(worker_runtime, grace=timedelta(0))
    due_now = col(Notification.due_at) <= utc_now()
    with worker_runtime.session() as session:
        statuses = set(session.exec(select(Notification.status).where(due_now)))
    assert statuses == {"pending"}, "nothing sent inline by the sweep"
    assert report.deliveries == 2
    queued = [job.func_name for job in Queue("klaxon-deliver-sms", connection=worker_runtime.redis).get_jobs()]
    assert queued == ["workers.jobs.drain_deliveries"]
    run_jobs(worker_runtime)
    with worker_runtime.session() as session:
        assert set(session.exec(select(Notification.status).where(due_now))) == {"sent"}
