"""Delivering one outbox row: claim it, hand it to the channel's Notifier, record what happened.

pending -> sending is a compare-and-set, so two workers never send the same row. The provider is
called outside any transaction. Transient errors put the row back to pending with a backoff;
permanent ones fail it and page the same person on their next channel (DESIGN rule 6). Both go on
the timeline. A row left in `sending` by a killed worker is returned to pending by the sweeper:
pages are at-least-once at that one point, because a lost page is worse than a repeated one.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import Table, bindparam, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from app.models import ConsoleMessage, Incident, IncidentStatus, Notification, NotificationStatus, User
from app.outbox import recipients
from app.outbox.fall_through import describe_failure, fail_and_fall_through
from app.outbox.pages import build_page, build_recipient, for_row
from app.outbox.step_keys import kind_of
from app.platform.metrics import FIRST_PAGE_SECONDS, PAGES
from app.platform.queueing import DELIVER_JOB, PendingJob, defer_job, delivery_queue
from app.timeline.entries import SYSTEM, Line, record, record_many
from integrations.notifier import (
    DeliveryError,
    DeliveryReceipt,
    Notifier,
    Page,
    PermanentDeliveryError,
    Recipient,
    TransientDeliveryError,
    missing_address,
)

log = logging.getLogger(__name__)

NOTIFICATION: Table = Notification.__table__  # type: ignore[attr-defined]
CONSOLE: Table = ConsoleMessage.__table__  # type: ignore[attr-defined]

MAX_ATTEMPTS = 6
# A send is bounded by the provider clients' 10 s timeouts; a claim older than this lease belongs
# to a worker that died (or lost the database) between claiming and recording the send.
SENDING_LEASE = timedelta(seconds=30)
# After a send succeeded, recording it is retried this long through a database outage.
RECORD_RETRY_FOR = 120.0
# A live worker's claim outlasts its send (provider timeouts of 10 s, twice) and the recording retries.
LIVE_CLAIM_LIMIT = timedelta(seconds=RECORD_RETRY_FOR + 60)


@dataclass(frozen=True)
class Claimed:
    """A notification this worker owns, with what to send."""

    notification_id: int
    channel: str
    page: Page
    recipient: Recipient
    incident_id: int = 0
    target: str = ""  # who the timeline names: "alice", "#ops"
    level: int = 0  # the escalation level it pages (0: not a ladder page)


@dataclass(frozen=True)
class Sent:
    """A page the provider took, to record."""

    claimed: Claimed
    receipt: DeliveryReceipt
    provider: str


def retry_delay(attempt: int, retry_after: float | None) -> timedelta:
    """Backoff after the n-th failed attempt: the provider's Retry-After, else 2, 4, 8 … s (max 60)."""
    if retry_after is not None:
        return timedelta(seconds=max(1.0, min(retry_after, 300.0)))
    return timedelta(seconds=min(60, 2 ** max(1, attempt)))


# What a channel does with a claimed page before it goes out (the SMS policy: bundling and per-phone
# limits): (the notifier to send with, None), or (notifier, outcome) when it holds the page back.
# Registered by app.wiring, so the outbox knows no channel.
SendHook = Callable[[Callable[[], Session], Notifier, "Claimed", datetime], tuple[Notifier, str | None]]
_SEND_HOOKS: dict[str, SendHook] = {}


def register_send_hook(channel: str, hook: SendHook) -> None:
    """Run `hook` on every claimed page of `channel` before it is sent (one hook per channel)."""
    _SEND_HOOKS[channel] = hook


def deliver(session_factory: Callable[[], Session], notifiers: dict[str, Notifier], notification_id: int,
            now: Callable[[], datetime], public_url: str = "") -> str:
    """Deliver one notification; returns the outcome (sent, retry, failed, skipped; deferred or throttled
    for SMS held by app.phone.sms_policy)."""
    with session_factory() as session:
        claimed = _claim(session, notification_id, now(), public_url)
        session.commit()
    if claimed is None:
        return "skipped"
    return send_claimed(session_factory, notifiers, claimed, now)


def send_claimed(session_factory: Callable[[], Session], notifiers: dict[str, Notifier], claimed: Claimed,
                 now: Callable[[], datetime], *, console_sent: list[Sent] | None = None) -> str:
    """Send a row this worker claimed and record the outcome. With `console_sent`, a page the console
    outbox took is added there for the caller to record with others (`record_sent_many`): storing it
    is what sends it, so a batch loses nothing by recording it a moment later."""
    notifier = notifiers[claimed.channel]
    hook = _SEND_HOOKS.get(claimed.channel)
    if hook is not None:
        notifier, held = hook(session_factory, notifier, claimed, now())
        if held is not None:
            return held
    try:
        problem = missing_address(claimed.channel, claimed.recipient)
        if problem is not None:
            raise PermanentDeliveryError(problem)
        receipt = notifier.send(claimed.page, claimed.recipient)
    except (TransientDeliveryError, PermanentDeliveryError) as error:
        failure: DeliveryError = error
    except Exception as error:  # noqa: BLE001 - a bug or an unmapped provider error must not lose the page
        failure = unexpected(error, f"notification {claimed.notification_id}")
    else:
        return _record_sent(session_factory, claimed, receipt, notifier, now, console_sent)
    return _with_db_retry(lambda: _record_failure(session_factory, claimed.notification_id, now(), failure,
                                                  transient=isinstance(failure, TransientDeliveryError)))


def unexpected(error: Exception, what: str) -> TransientDeliveryError:
    """An error no notifier maps (a bug, a library's own exception): logged with its traceback and
    retried like a transient one, so it is capped at MAX_ATTEMPTS and then falls through to the
    person's next channel instead of retrying for ever."""
    log.error("unexpected error sending %s", what, exc_info=error)
    return TransientDeliveryError(f"unexpected error: {type(error).__name__}: {error}")


def _record_sent(session_factory: Callable[[], Session], claimed: Claimed, receipt: DeliveryReceipt, notifier: Notifier,
                 now: Callable[[], datetime], console_sent: list[Sent] | None) -> str:
    provider = notifier.provider
    if console_sent is not None and provider == "console":
        console_sent.append(Sent(claimed, receipt, provider))
        return "sent"

    def record_sent() -> str:
        with session_factory() as session:
            record_sent_many(session, [Sent(claimed, receipt, provider)], now())
            session.commit()
        return "sent"

    return _with_db_retry(record_sent)


def worker_id() -> str:
    """host:pid of this process (computed per call: workers fork)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _with_db_retry(record: Callable[[], str]) -> str:
    """Record what the provider already did, retrying through a short database outage: the page
    went out, so forgetting it would send it again once the lease runs out."""
    deadline = time.monotonic() + RECORD_RETRY_FOR
    delay = 0.2
    while True:
        try:
            return record()
        except OperationalError:
            if time.monotonic() > deadline:
                raise
            log.warning("database unavailable while recording a delivery; retrying in %.1fs", delay)
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def _claim(session: Session, notification_id: int, now: datetime, public_url: str) -> Claimed | None:
    row = session.get(Notification, notification_id)
    if row is None or row.status != NotificationStatus.PENDING:
        return None
    incident = session.get(Incident, row.incident_id)
    if incident is None:
        return None
    if row.due_at > now + timedelta(seconds=1):
        # Woken before its time (a retry re-armed, a clock step): come back when it is due.
        defer_job(session, PendingJob(delivery_queue(row.channel), DELIVER_JOB, (row.id,), row.due_at))
        return None
    if no_longer_wanted(row, incident):
        session.execute(update(Notification)
                        .where(col(Notification.id) == notification_id,
                               col(Notification.status) == NotificationStatus.PENDING)
                        .values(status=NotificationStatus.CANCELLED))
        return None
    if row.id in texts_turned_off(session, [row]):
        fail_and_fall_through(session, row, now, "the phone replied STOP; texts and calls are off", None)
        return None
    won = session.execute(
        update(Notification)
        .where(col(Notification.id) == notification_id, col(Notification.status) == NotificationStatus.PENDING)
        .where(col(Notification.due_at) <= now + timedelta(seconds=1))
        .values(status=NotificationStatus.SENDING, claimed_at=now, claimed_by=worker_id(),
                attempts=Notification.attempts + 1)  # type: ignore[operator]
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        return None
    page = for_row(build_page(session, incident, public_url=public_url, step_key=row.step_key), row, incident)
    return Claimed(notification_id, row.channel, page, build_recipient(session, row), row.incident_id,
                   recipients.target(row.recipient), row.level)


def texts_turned_off(session: Session, rows: list[Notification]) -> set[int]:
    """Ids of the texts and calls among `rows` to people whose phone replied STOP (read now, not from
    a cache: the reply may have come a moment ago); they fall through to another channel."""
    phoned = {row.user_id for row in rows if row.channel in ("sms", "voice") and row.user_id}
    if not phoned:
        return set()
    stopped = set(session.exec(select(User.id).where(col(User.id).in_(phoned), col(User.sms_enabled).is_(False))))
    return {row.id or 0 for row in rows if row.user_id in stopped and row.channel in ("sms", "voice")}


def no_longer_wanted(row: Notification, incident: Incident) -> bool:
    """A ladder page waits only while unacknowledged; any page stops once the incident is resolved."""
    if incident.status == IncidentStatus.RESOLVED:
        return True
    return kind_of(row.step_key).stops_at_acknowledgement and incident.status != IncidentStatus.TRIGGERED


# Marking sent: `sending` -> `sent`, sent together for a batch of rows.
_MARK_SENT = (
    update(NOTIFICATION).where(NOTIFICATION.c.id == bindparam("sent_id"))
    .values(status=NotificationStatus.SENT, sent_at=bindparam("sent_at"), provider=bindparam("sent_provider"),
            provider_id=bindparam("sent_provider_id"), provider_status=bindparam("sent_status"), error=None)
)


def record_sent_many(session: Session, sent: list[Sent], now: datetime) -> None:
    """Mark rows sent, keep console pages in the console outbox, one timeline line each (one statement
    per table whatever the number of rows)."""
    if not sent:
        return
    from app.outbox.console_outbox import recipient_address

    session.execute(_MARK_SENT, [dict(sent_id=s.claimed.notification_id, sent_at=now, sent_provider=s.provider,
                                      sent_provider_id=s.receipt.provider_id, sent_status=s.receipt.status)
                                 for s in sent])
    console = [s for s in sent if s.provider == "console"]
    if console:
        session.execute(CONSOLE.insert(), [dict(notification_id=s.claimed.notification_id, channel=s.claimed.channel,
                                                to=recipient_address(s.claimed.recipient, s.claimed.channel),
                                                text=s.receipt.detail, created_at=now) for s in console])
    incidents = {row.id: row for row in session.exec(select(Incident).where(
        col(Incident.id).in_({s.claimed.incident_id for s in sent}))).all()}
    record_many(session, [Line(incidents[s.claimed.incident_id], "notified", SYSTEM,
                               f"{s.claimed.channel} page to {s.claimed.target} sent via {s.provider}", now)
                          for s in sent if s.claimed.incident_id in incidents])
    for s in sent:
        PAGES.labels(s.claimed.channel, "sent").inc()
        if s.claimed.level == 1 and s.claimed.incident_id in incidents:
            FIRST_PAGE_SECONDS.observe((now - incidents[s.claimed.incident_id].created_at).total_seconds())


def _record_failure(session_factory: Callable[[], Session], notification_id: int, now: datetime,
                    error: Exception, *, transient: bool) -> str:
    code = getattr(error, "code", None)
    with session_factory() as session:
        row = session.get(Notification, notification_id)
        if row is None:
            return "skipped"
        if transient and row.attempts < MAX_ATTEMPTS:
            delay = retry_delay(row.attempts, getattr(error, "retry_after", None))
            row.status, row.due_at, row.error = NotificationStatus.PENDING, now + delay, describe_failure(error, code)
            session.add(row)
            record(session, incident_id=row.incident_id, kind="delivery_retry", actor=SYSTEM, at=now,
                   detail=f"{row.channel} page to {recipients.target(row.recipient)} failed ({describe_failure(error, code)}); "
                          f"retry {row.attempts + 1} in {int(delay.total_seconds())}s")
            defer_job(session, PendingJob(delivery_queue(row.channel), DELIVER_JOB, (row.id,), row.due_at))
            session.commit()
            PAGES.labels(row.channel, "retry").inc()
            return "retry"
        fail_and_fall_through(session, row, now, describe_failure(error, code), code)
        session.commit()
        return "failed"

