"""Texts to one phone: pages close together are bundled into one SMS, and each phone has a rate limit.

Bundling: the first page to a phone goes at once. A page due within BUNDLE_WINDOW of the last text
to that phone waits for the window to end, then goes as one SMS together with every other page
waiting for that phone (`bundle_sms_body`). The row that is sent keeps the Twilio SID in
`provider_id` (unique); each page bundled into it gets `provider_status = "bundled:<SID>"` and
follows that row's status callbacks (app.phone.provider_status).

Throttling: GoAlert's per-contact-method limits for alert texts (5 per 15 minutes, 11 per hour, 21
per 3 hours; target/goalert engine/message/ratelimit.go), counted from the outbox in the database, so
every worker sees the same count. Workers take turns per phone (`app.platform.database.take_turns`): each
decides, and holds back or claims, after the one before it has committed, so two workers with texts
to one phone never both send (one over a limit) nor both wait for each other. GoAlert holds a
throttled message back; a pager must not, so a page over the limit falls through to the person's
next channel now (`fail_and_fall_through` brings a call scheduled for later
forward) and the timeline says so. A SEV1 with no other channel left is texted anyway.

Only real SMS is shaped (a notifier that can `send_bundle`); the console outbox on a laptop is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.models import Incident, IncidentStatus, Notification, NotificationStatus, User
from app.outbox import recipients
from app.outbox.delivery import Claimed, register_send_hook, retry_delay, unexpected, worker_id
from app.outbox.fall_through import describe_failure, fail_and_fall_through, next_channel
from app.outbox.pages import build_page
from app.phone.contacts import BUNDLED_PREFIX
from app.platform.database import take_turns
from app.platform.queueing import DELIVER_JOB, PendingJob, defer_job, delivery_queue
from app.timeline.entries import SYSTEM, record
from integrations.notifier import (
    DeliveryReceipt,
    Notifier,
    Page,
    PermanentDeliveryError,
    Recipient,
    TransientDeliveryError,
)

BUNDLE_WINDOW = timedelta(seconds=20)
# RQ's scheduler may run a job up to a second early; delivery's claim allows the same.
CLOCK_TOLERANCE = timedelta(seconds=1)


@dataclass(frozen=True)
class ThrottleRule:
    """At most `count` texts to one phone in any `per`."""

    count: int
    per: timedelta


THROTTLE_RULES = (
    ThrottleRule(5, timedelta(minutes=15)),
    ThrottleRule(11, timedelta(hours=1)),
    ThrottleRule(21, timedelta(hours=3)),
)


@dataclass(frozen=True)
class Companion:
    """A page claimed to go inside another page's text."""

    notification_id: int
    incident_id: int
    page: Page


def register() -> None:
    """Put every claimed SMS through this policy before it is sent (app.wiring calls it)."""
    register_send_hook("sms", apply_sms_policy)


def apply_sms_policy(session_factory: Callable[[], Session], notifier: Notifier, claimed: Claimed,
                     now: datetime) -> tuple[Notifier, str | None]:
    """Delivery's hook for a claimed SMS: (notifier to send with, None), or (notifier, outcome) when held."""
    phone = claimed.recipient.phone
    if not phone or not callable(getattr(notifier, "send_bundle", None)):
        return notifier, None
    with session_factory() as session:
        take_turns(session, f"sms to {phone}")
        row = session.get(Notification, claimed.notification_id)
        if row is None or row.status != NotificationStatus.SENDING:
            return notifier, None
        held = _hold(session, row, phone, now)
        # A notice goes alone: a bundle is a list of pages to act on.
        companions = [] if held or row.notice else _claim_companions(session, row, phone, now,
                                                                      claimed.page.public_url)
        attempts = row.attempts
        session.commit()
    if held or not companions:
        return notifier, held
    return BundleSender(notifier, session_factory, companions, attempts=attempts, now=now), None


def _hold(session: Session, row: Notification, phone: str, now: datetime) -> str | None:
    """Wait for the bundling window, or fall through when over a limit; None when the text may go now."""
    last = last_text_at(session, phone=phone, exclude_id=row.id or 0, now=now)
    if last is not None and now + CLOCK_TOLERANCE < last + BUNDLE_WINDOW:
        _wait_for_bundle(session, row, phone, last + BUNDLE_WINDOW, now)
        return "deferred"
    rule = throttle_breach(session, phone=phone, now=now)
    if rule is None:
        return None
    return _throttle(session, row, phone, rule, now)


def _phone_user_ids(session: Session, phone: str) -> list[str]:
    return list(session.exec(select(User.id).where(col(User.phone) == phone)).all())


def last_text_at(session: Session, *, phone: str, exclude_id: int, now: datetime) -> datetime | None:
    """When the last text to `phone` went (or started going) within the bundling window; None if none."""
    rows = session.exec(
        select(Notification.sent_at, Notification.claimed_at, Notification.status).where(
            col(Notification.channel) == "sms", col(Notification.user_id).in_(_phone_user_ids(session, phone)),
            col(Notification.id) != exclude_id,
            (col(Notification.sent_at) >= now - BUNDLE_WINDOW)
            | ((col(Notification.status) == NotificationStatus.SENDING)
               & (col(Notification.claimed_at) >= now - BUNDLE_WINDOW)),
        )
    ).all()
    times = [at for sent_at, claimed_at, _status in rows if (at := sent_at or claimed_at) is not None]
    return max(times) if times else None


def throttle_breach(session: Session, *, phone: str, now: datetime) -> ThrottleRule | None:
    """The first limit that one more text to `phone` would break, or None. A bundle counts once."""
    longest = max(rule.per for rule in THROTTLE_RULES)
    sent = session.exec(select(Notification.sent_at).where(
        col(Notification.channel) == "sms", col(Notification.user_id).in_(_phone_user_ids(session, phone)),
        col(Notification.provider_id).is_not(None), col(Notification.sent_at) >= now - longest,
    )).all()
    for rule in THROTTLE_RULES:
        if sum(1 for at in sent if at is not None and at > now - rule.per) >= rule.count:
            return rule
    return None


def _wait_for_bundle(session: Session, row: Notification, phone: str, until: datetime, now: datetime) -> None:
    """Put the claimed row back to pending until the window ends (the wait is not a delivery attempt)."""
    row.status, row.due_at, row.attempts = NotificationStatus.PENDING, until, max(0, row.attempts - 1)
    row.claimed_at = row.claimed_by = None
    session.add(row)
    defer_job(session, PendingJob(delivery_queue("sms"), DELIVER_JOB, (row.id,), until))
    record(session, incident_id=row.incident_id, kind="sms_bundling", actor=SYSTEM, at=now,
           detail=f"sms page to {_target(row)} waits {int((until - now).total_seconds() + 0.5)}s to go "
                  f"in one text with other pages to {phone}")


def _throttle(session: Session, row: Notification, phone: str, rule: ThrottleRule, now: datetime) -> str | None:
    """Over a limit: page the person's next channel now; a SEV1 with nothing else left is texted anyway."""
    limit = f"{rule.count} texts per {_duration(rule.per)}"
    incident = session.get(Incident, row.incident_id)
    if incident is not None and incident.severity == "SEV1" and not _has_other_channel(session, row):
        record(session, incident_id=row.incident_id, kind="sms_throttled", actor=SYSTEM, at=now,
               detail=f"{phone} is over its limit of {limit}, but this SEV1 has no other channel to "
                      f"{_target(row)}: texting anyway")
        return None
    reason = f"throttled: {phone} is at its limit of {limit}"
    record(session, incident_id=row.incident_id, kind="sms_throttled", actor=SYSTEM, at=now,
           detail=f"sms page to {_target(row)} not sent ({reason}); falling through to the next channel")
    # Fall-through brings a channel scheduled for later (a call in 2 minutes) forward to now.
    fail_and_fall_through(session, row, now, reason, None)
    return "throttled"


def _has_other_channel(session: Session, row: Notification) -> bool:
    """True when fall-through can reach the person another way: the choice fail_and_fall_through makes."""
    user = session.get(User, row.user_id) if row.user_id else None
    return user is not None and next_channel(session, row, user)[0] is not None


def _claim_companions(session: Session, row: Notification, phone: str, now: datetime,
                      public_url: str) -> list[Companion]:
    """Claim every other text due to this phone now, for incidents still waiting for someone."""
    waiting = session.exec(
        select(Notification).join(Incident, col(Incident.id) == col(Notification.incident_id))
        .join(User, col(User.id) == col(Notification.user_id))
        .where(col(Notification.channel) == "sms", col(User.phone) == phone, col(User.sms_enabled).is_(True))
        .where(col(Notification.id) != row.id, col(Notification.status) == NotificationStatus.PENDING,
               col(Notification.notice).is_(None))
        .where(col(Notification.due_at) <= now + CLOCK_TOLERANCE, col(Incident.status) == IncidentStatus.TRIGGERED)
        .order_by(col(Notification.id))
    ).all()
    companions = []
    for each in waiting:
        won = session.execute(
            update(Notification)
            .where(col(Notification.id) == each.id, col(Notification.status) == NotificationStatus.PENDING)
            .values(status=NotificationStatus.SENDING, claimed_at=now, claimed_by=worker_id(),
                    attempts=Notification.attempts + 1)  # type: ignore[operator]
        )
        if won.rowcount == 1:  # type: ignore[attr-defined]
            incident = session.get(Incident, each.incident_id)
            assert incident is not None
            page = build_page(session, incident, public_url=public_url, step_key=each.step_key)
            companions.append(Companion(each.id or 0, each.incident_id, page))
    return companions


class BundleSender:
    """A Notifier for one claimed text that sends it with its companions as one SMS, and settles them."""

    channel = "sms"

    def __init__(self, inner: Any, session_factory: Callable[[], Session], companions: list[Companion], *,
                 attempts: int, now: datetime) -> None:
        """`inner` is the TwilioSmsNotifier; `attempts` the claimed row's, for the shared retry delay."""
        self.provider: str = inner.provider
        self._inner = inner
        self._session_factory = session_factory
        self._companions = companions
        self._attempts = attempts
        self._now = now

    def send(self, page: Page, recipient: Recipient) -> DeliveryReceipt:
        """Send the pages as one text; the companions share the outcome (sent, retry or fall-through)."""
        try:
            receipt = self._inner.send_bundle([page, *[c.page for c in self._companions]], recipient)
        except TransientDeliveryError as error:
            self._settle(self._retry_later, error)
            raise
        except PermanentDeliveryError as error:
            self._settle(self._fall_through, error)
            raise
        except Exception as error:  # noqa: BLE001 - retried and capped like a transient error (app.outbox.delivery)
            failure = unexpected(error, f"the text bundled with incident {page.incident_id}")
            self._settle(self._retry_later, failure)
            raise failure from error
        self._settle(self._mark_bundled, receipt, page.incident_id)
        return receipt

    def _settle(self, action: Callable[..., None], *args: Any) -> None:
        """`action(session, row, *args)` for every companion this worker still holds."""
        with self._session_factory() as session:
            for companion in self._companions:
                row = session.get(Notification, companion.notification_id)
                if row is not None and row.status == NotificationStatus.SENDING:
                    action(session, row, *args)
            session.commit()

    def _fall_through(self, session: Session, row: Notification, error: PermanentDeliveryError) -> None:
        fail_and_fall_through(session, row, self._now, describe_failure(error, error.code), error.code)

    def _mark_bundled(self, session: Session, row: Notification, receipt: DeliveryReceipt, carrier: int) -> None:
        row.status, row.sent_at, row.provider, row.error = NotificationStatus.SENT, self._now, self.provider, None
        row.provider_status = f"{BUNDLED_PREFIX}{receipt.provider_id}"
        session.add(row)
        record(session, incident_id=row.incident_id, kind="notified", actor=SYSTEM, at=self._now,
               detail=f"sms page to {_target(row)} sent via {self.provider} in one text with incident {carrier}")

    def _retry_later(self, session: Session, row: Notification, error: TransientDeliveryError) -> None:
        # The bundle is retried as one: the companions wait as long as the claimed row does.
        delay = retry_delay(self._attempts, error.retry_after)
        row.status, row.due_at = NotificationStatus.PENDING, self._now + delay
        row.error = describe_failure(error, error.code)
        row.attempts = max(0, row.attempts - 1)
        session.add(row)
        defer_job(session, PendingJob(delivery_queue("sms"), DELIVER_JOB, (row.id,), row.due_at))
        record(session, incident_id=row.incident_id, kind="delivery_retry", actor=SYSTEM, at=self._now,
               detail=f"sms page to {_target(row)} failed ({describe_failure(error, error.code)}); retry in "
                      f"{int(delay.total_seconds())}s with the text it is bundled in")


def _target(row: Notification) -> str:
    return recipients.target(row.recipient)


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} min"
