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
from sqlmodel import Session, col, func, select

from app.models import ConsoleMessage, Incident, Notification, User
from app.outbox import recipients, rows
from app.outbox.notify_rules import fallback_channel, rules_from_stored
from app.outbox.pages import build_page, build_recipient, for_row
from app.outbox.step_keys import kind_of
from app.platform.database import aware_utc
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
    if row is None or row.status != "pending":
        return None
    incident = session.get(Incident, row.incident_id)
    if incident is None:
        return None
    if row.due_at > now + timedelta(seconds=1):
        # Woken before its time (a retry re-armed, a clock step): come back when it is due.
        defer_job(session, PendingJob(delivery_queue(row.channel), DELIVER_JOB, (row.id,), row.due_at))
        return None
    if no_longer_wanted(row, incident):
        session.execute(update(Notification).where(col(Notification.id) == notification_id,
                                                   col(Notification.status) == "pending").values(status="cancelled"))
        return None
    if row.id in texts_turned_off(session, [row]):
        fail_and_fall_through(session, row, now, "the phone replied STOP; texts and calls are off", None)
        return None
    won = session.execute(
        update(Notification)
        .where(col(Notification.id) == notification_id, col(Notification.status) == "pending")
        .where(col(Notification.due_at) <= now + timedelta(seconds=1))
        .values(status="sending", claimed_at=now, claimed_by=worker_id(),
                attempts=Notification.attempts + 1)  # type: ignore[operator]
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        return None
    page = for_row(build_page(session, incident, public_url=public_url, step_key=row.step_key), row)
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
    if incident.status == "resolved":
        return True
    return kind_of(row.step_key).stops_at_acknowledgement and incident.status != "triggered"


# Marking sent: `sending` -> `sent`, sent together for a batch of rows.
_MARK_SENT = (
    update(NOTIFICATION).where(NOTIFICATION.c.id == bindparam("sent_id"))
    .values(status="sent", sent_at=bindparam("sent_at"), provider=bindparam("sent_provider"),
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
            row.status, row.due_at, row.error = "pending", now + delay, describe_failure(error, code)
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


def fail_and_fall_through(session: Session, row: Notification, now: datetime, reason: str, code: str | None) -> None:
    """Fail the row and page the same person on their next untried channel, now."""
    PAGES.labels(row.channel, "failed").inc()
    row.status, row.error = "failed", reason
    session.add(row)
    target = recipients.target(row.recipient)
    record(session, incident_id=row.incident_id, kind="delivery_failed", actor=SYSTEM, at=now,
           detail=f"{row.channel} {'notice' if row.notice else 'page'} to {target} failed permanently: {reason}")
    if not row.user_id or row.notice:  # a notice is told once, on one channel: it is not a page to chase
        return
    user = session.get(User, row.user_id)
    incident = session.get(Incident, row.incident_id)
    if user is None or incident is None:
        return
    channel, waiting = next_channel(session, row, user)
    if channel is None:
        record(session, incident_id=row.incident_id, kind="delivery_failed", actor=SYSTEM, at=now,
               detail=f"no channel left to reach {target}")
        return
    if channel in waiting:
        # Already scheduled by a delayed rule: bring it forward rather than add yet another channel.
        expedited = waiting[channel]
        if expedited.due_at > now:
            expedited.due_at = now
            session.add(expedited)
            defer_job(session, PendingJob(delivery_queue(channel), DELIVER_JOB, (expedited.id,)))
    else:
        rows.add_notification(session, incident, step_key=row.step_key, level=row.level, recipient=row.recipient,
                                user_id=row.user_id, channel=channel, due_at=now, now=now)
    record(session, incident_id=row.incident_id, kind="fallback", actor=SYSTEM, at=now,
           detail=f"falling back to {channel} for {target}")


def next_channel(session: Session, row: Notification, user: User) -> tuple[str | None, dict[str, Notification]]:
    """The channel fall-through would use for `row`'s person, and the rows of this step still pending
    by channel (a pending one is brought forward rather than added again)."""
    siblings = session.exec(select(Notification).where(
        col(Notification.incident_id) == row.incident_id, col(Notification.step_key) == row.step_key,
        col(Notification.recipient) == row.recipient)).all()
    waiting = {n.channel: n for n in siblings if n.status == "pending" and n.id != row.id}
    done = {n.channel for n in siblings if n.channel not in waiting}
    skip = done | ({"sms", "voice"} if not user.sms_enabled else set())
    return fallback_channel(rules_from_stored(user.notify), skip), waiting


def describe_failure(error: Exception, code: str | None) -> str:
    """A provider's error as the timeline and the outbox row show it."""
    return f"{error} (code {code})" if code else str(error)


def reset_stuck(session: Session, now: datetime, live_claimers: set[str] | None = None) -> list[int]:
    """Return rows left in `sending` by a dead worker to pending (the fence of DESIGN rule 6): at once
    when the claimer was a process on this host that no longer exists; after SENDING_LEASE when its
    heartbeat is gone; a worker whose heartbeat is live (or when Redis cannot say: None) keeps its
    claim for LIVE_CLAIM_LIMIT, longer than any send plus the retries of recording it, so a database
    blip while it records never lets a second worker send the page again."""
    rows = session.exec(select(Notification.id, Notification.claimed_at, Notification.claimed_by,
                               Notification.attempts).where(col(Notification.status) == "sending")).all()
    stuck = [(int(i or 0), tries) for i, at, by, tries in rows
             if _dead_here(by) or (at is not None and at < now - _lease(by, live_claimers))]
    retry = [i for i, tries in stuck if tries < MAX_ATTEMPTS]
    if retry:
        session.execute(update(Notification).where(col(Notification.id).in_(retry), col(Notification.status) == "sending")
                        .values(status="pending", due_at=now))
    for i, tries in stuck:
        # A page whose every attempt died with its worker (one that kills the process, say) is not retried for ever.
        row = session.get(Notification, i) if tries >= MAX_ATTEMPTS else None
        if row is not None and row.status == "sending":
            fail_and_fall_through(session, row, now, f"gave up after {tries} attempts that never finished", None)
    return [i for i, _ in stuck]


def _lease(claimer: str | None, live_claimers: set[str] | None) -> timedelta:
    if live_claimers is None or (claimer is not None and claimer in live_claimers):
        return LIVE_CLAIM_LIMIT
    return SENDING_LEASE


def _dead_here(claimer: str | None) -> bool:
    """True when `claimer` names a process on this host that has exited."""
    if not claimer or ":" not in claimer:
        return False
    host, _, pid = claimer.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def due_pending(session: Session, now: datetime, older_than: timedelta, limit: int = 500) -> list[tuple[int, str]]:
    """(id, channel) of pending rows due for longer than `older_than`: wake-ups Redis lost."""
    rows = session.exec(select(Notification.id, Notification.channel).where(
        col(Notification.status) == "pending", col(Notification.due_at) <= now - older_than).limit(limit)).all()
    return [(int(i or 0), c) for i, c in rows]


def next_due_on_channel(session: Session, channel: str, after: datetime, horizon: timedelta) -> datetime | None:
    """When the first pending, never tried row of `channel` due after `after` (and within `horizon`)
    falls due (a retry has its own wake-up)."""
    found = session.exec(select(func.min(Notification.due_at)).where(
        col(Notification.status) == "pending", col(Notification.channel) == channel, col(Notification.attempts) == 0,
        col(Notification.due_at) > after, col(Notification.due_at) <= after + horizon)).first()
    return aware_utc(found)
