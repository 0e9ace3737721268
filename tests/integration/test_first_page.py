"""The first page: an incident's level 1 gets outbox rows, delivered by a job to the console outbox."""

from __future__ import annotations

from typing import Any

from rq import Queue
from sqlmodel import select

from app.models import ConsoleMessage, Incident, Notification
from app.platform.queueing import DELIVER_JOB, PendingJob, defer_job
from tests.support.config import apply_test_config, pd_trigger, run_first_steps, run_jobs


def test_incident_pages_level_one_through_the_console_outbox(runtime: Any, client: Any) -> None:
    apply_test_config(runtime)
    assert client.post("/v2/enqueue", json=pd_trigger(dedup_key="k1")).status_code == 202
    run_first_steps(runtime)  # step 0 runs in the worker, right after the intake commits

    def user_pages() -> list[Notification]:
        with runtime.session() as session:
            rows = session.exec(select(Notification).order_by(Notification.id)).all()
        return [r for r in rows if r.recipient.startswith("user:")]

    # the on-call user of checkout-primary, on the default rules for SEV1: slack and sms now, voice in 2m
    assert [(r.channel, r.status, r.level) for r in user_pages()] == [
        ("slack", "pending", 1), ("sms", "pending", 1), ("voice", "pending", 1)]
    run_jobs(runtime)
    rows = user_pages()
    with runtime.session() as session:
        messages = session.exec(select(ConsoleMessage).where(ConsoleMessage.notification_id.in_(  # type: ignore[union-attr]
            [r.id for r in rows]))).all()
    assert [r.status for r in rows] == ["sent", "sent", "pending"]
    assert all(r.provider == "console" and r.provider_id for r in rows[:2])
    assert sorted(m.channel for m in messages) == ["slack", "sms"]
    assert all("Reply ACK 1, RES 1 or ESC 1" in m.text for m in messages)


def test_outbox_shows_on_the_web_page(runtime: Any, client: Any) -> None:
    apply_test_config(runtime)
    client.post("/v2/enqueue", json=pd_trigger(summary="Cart service on fire", dedup_key="k1"))
    run_jobs(runtime)
    page = client.get("/").get_data(as_text=True)
    assert "Cart service on fire" in page
    assert page.count('class="outbox"') == 3  # the on-call user's slack and sms, and #checkout-alerts


def test_jobs_are_enqueued_only_after_commit(runtime: Any) -> None:
    queue = Queue("klaxon-deliver-sms", connection=runtime.redis)
    with runtime.session() as session:
        defer_job(session, PendingJob("deliver-sms", DELIVER_JOB, (12345,)))
        assert len(queue) == 0
        session.rollback()
    assert len(queue) == 0
    with runtime.session() as session:
        defer_job(session, PendingJob("deliver-sms", DELIVER_JOB, (12345,)))
        session.commit()
    assert len(queue) == 1


def test_delivery_of_a_missing_row_is_a_noop(runtime: Any) -> None:
    from workers.jobs import deliver_notification

    assert deliver_notification(99999) == "skipped"


def test_second_delivery_of_the_same_row_sends_nothing(runtime: Any, client: Any) -> None:
    from workers.jobs import deliver_notification

    apply_test_config(runtime)
    client.post("/v2/enqueue", json=pd_trigger(dedup_key="k1"))
    run_first_steps(runtime)
    with runtime.session() as session:
        first = session.exec(select(Notification).where(Notification.recipient.startswith("user:"))  # type: ignore[attr-defined]
                             .order_by(Notification.id)).first()
        assert first is not None and first.id is not None
    assert deliver_notification(first.id) == "sent"
    assert deliver_notification(first.id) == "skipped"
    with runtime.session() as session:
        assert len(session.exec(select(ConsoleMessage)).all()) == 1
        incident = session.exec(select(Incident)).one()
    assert incident.escalation_level == 1


def test_a_savepoint_neither_enqueues_nor_drops_the_transactions_jobs(runtime: Any) -> None:
    """DESIGN rule 2: a SAVEPOINT's release is no commit (the job waits for the real one), and a
    SAVEPOINT rolled back keeps the jobs of the transaction around it."""
    queue = Queue("klaxon-deliver-sms", connection=runtime.redis)
    with runtime.session() as session:
        defer_job(session, PendingJob("deliver-sms", DELIVER_JOB, (12345,)))
        with session.begin_nested():
            pass
        assert len(queue) == 0
        try:
            with session.begin_nested():
                raise ValueError("the savepoint fails")
        except ValueError:
            pass
        session.commit()
    assert len(queue) == 1
