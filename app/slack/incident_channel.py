"""Major incidents (SEV1, or declared) get their own Slack channel `inc-<id>-<slug>`, opened once.

The wish is a row (`slack_incident.channel_status = pending`) written with the change that made the
incident major; the job claims it with a compare-and-set, so two jobs (or a retried one) open one
channel. Responders (everyone paged for the incident who has a Slack id) and the commander are
invited; the adapter posts and pins the summary. The channel then gets a live page message like any
other Slack page, whose thread carries the whole timeline (app.slack.sync).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.models import Incident, Notification, SlackIncident, User
from app.outbox import recipients, rows
from app.outbox.pages import build_page
from app.outbox.step_keys import StepKind
from app.platform.queueing import SLACK_OPEN_CHANNEL_JOB, PendingJob, defer_job, delivery_queue
from app.timeline.entries import SYSTEM, record
from integrations.notifier import Page, PermanentDeliveryError, TransientDeliveryError
from integrations.slack import SlackNotifier, incident_channel_name

log = logging.getLogger(__name__)

SLACK_QUEUE = delivery_queue("slack")
INCIDENT_CHANNEL_STEP = StepKind.INCIDENT_CHANNEL.value  # the outbox step of the live message in the incident channel
CHANNEL_MAX_ATTEMPTS = 8
STUCK_OPENING_AFTER = timedelta(minutes=2)


def ensure_slack_state(session: Session, incident_id: int) -> None:
    """Create the incident's `slack_incident` row unless it exists (a concurrent creator may win)."""
    if session.get(SlackIncident, incident_id) is not None:
        return
    try:
        with session.begin_nested():
            session.add(SlackIncident(incident_id=incident_id))
    except IntegrityError:
        pass  # created by a concurrent transaction: that row is as good as ours


# Set by Runtime.session on every session it makes: whether Slack credentials are configured.
SLACK_CONFIGURED = "slack_configured"


def request_incident_channel(session: Session, incident: Incident) -> bool:
    """Ask for the incident's channel (inside the caller's transaction); True when this call asked."""
    name = incident_channel_name(incident.id or 0, incident.title)
    if session.info.get(SLACK_CONFIGURED) is False:
        # Console mode: nothing to open, and a job to say so costs more than the page itself.
        return _mark_skipped(session, incident.id or 0, name)
    ensure_slack_state(session, incident.id or 0)
    # Conditional update: of two transactions making the incident major, only one asks.
    asked = session.execute(update(SlackIncident).where(
        col(SlackIncident.incident_id) == incident.id, col(SlackIncident.channel_status).is_(None)).values(
        channel_status="pending", channel_name=name))
    if asked.rowcount != 1:  # type: ignore[attr-defined]
        return False
    defer_job(session, PendingJob(SLACK_QUEUE, SLACK_OPEN_CHANNEL_JOB, (incident.id, 0)))
    return True


def _mark_skipped(session: Session, incident_id: int, name: str) -> bool:
    """Record that no channel is opened without Slack: one statement for a new incident."""
    values = dict(channel_status="skipped", channel_name=name, channel_error="Slack is not configured")
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    # RETURNING, not rowcount: SQLAlchemy 2.1 gives -1 for an INSERT's rowcount on PostgreSQL.
    created = session.execute(dialect.insert(SlackIncident).values(incident_id=incident_id, **values)
                              .on_conflict_do_nothing(index_elements=["incident_id"])
                              .returning(SlackIncident.incident_id)).first()
    if created is not None:
        return True
    asked = session.execute(update(SlackIncident).where(
        col(SlackIncident.incident_id) == incident_id, col(SlackIncident.channel_status).is_(None)).values(**values))
    return asked.rowcount == 1  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ChannelRequest:
    """What opening one incident's channel takes."""

    name: str
    invitees: tuple[str, ...]  # Slack user ids, commander first
    page: Page
    attempts: int


def open_incident_channel(session_factory: Callable[[], Session], notifier: SlackNotifier | None, *,
                          incident_id: int, public_url: str, now: Callable[[], datetime]) -> str:
    """Open the incident's channel if it is still wanted: opened, skipped, console or failed.

    A transient Slack error puts the wish back to pending and propagates, for the caller to retry.
    """
    with session_factory() as session:
        claimed = _claim(session, incident_id, now(), public_url)
        if claimed is None or notifier is None:
            if claimed is not None:  # console: there is no Slack to open a channel in
                _finish(session, incident_id, "skipped", error="Slack is not configured")
            session.commit()
            return "skipped" if claimed is None else "console"
        session.commit()
    try:
        channel_id = notifier.open_incident_channel(claimed.name, list(claimed.invitees), claimed.page)
    except TransientDeliveryError as error:
        with session_factory() as session:
            if claimed.attempts < CHANNEL_MAX_ATTEMPTS:
                _finish(session, incident_id, "pending", error=str(error))
                session.commit()
                raise
            _fail(session, incident_id, claimed.name, error, now())
            session.commit()
        return "failed"
    except PermanentDeliveryError as error:
        with session_factory() as session:
            _fail(session, incident_id, claimed.name, error, now())
            session.commit()
        return "failed"
    with session_factory() as session:
        _opened(session, incident_id, claimed.name, channel_id, now())
        session.commit()
    return "opened"


def invitees(session: Session, incident: Incident) -> tuple[str, ...]:
    """Slack ids of the commander and everyone paged for the incident, in that order, once each."""
    paged = session.exec(select(Notification.user_id).where(
        col(Notification.incident_id) == incident.id, col(Notification.user_id).is_not(None))
        .order_by(col(Notification.id))).all()
    slack_ids = []
    for user_id in dict.fromkeys([incident.commander, *paged]):
        user = session.get(User, user_id) if user_id else None
        if user is not None and user.slack_user_id:
            slack_ids.append(user.slack_user_id)
    return tuple(dict.fromkeys(slack_ids))


def _claim(session: Session, incident_id: int, now: datetime, public_url: str) -> ChannelRequest | None:
    # A wish left `opening` by a killed worker is taken over once it is clearly abandoned.
    won = session.execute(update(SlackIncident).where(
        col(SlackIncident.incident_id) == incident_id,
        (col(SlackIncident.channel_status) == "pending") | ((col(SlackIncident.channel_status) == "opening")
                                                             & (col(SlackIncident.channel_claimed_at)
                                                                < now - STUCK_OPENING_AFTER)))
        .values(channel_status="opening", channel_claimed_at=now,
                channel_attempts=SlackIncident.channel_attempts + 1))  # type: ignore[operator]
    state = session.get(SlackIncident, incident_id, populate_existing=True)
    incident = session.get(Incident, incident_id)
    if won.rowcount != 1 or state is None or incident is None:  # type: ignore[attr-defined]
        return None
    name = state.channel_name or incident_channel_name(incident_id, incident.title)
    return ChannelRequest(name, invitees(session, incident), build_page(session, incident, public_url=public_url),
                          state.channel_attempts)


def _finish(session: Session, incident_id: int, status: str, *, error: str | None = None,
            channel_id: str | None = None, opened_at: datetime | None = None) -> None:
    session.execute(update(SlackIncident).where(col(SlackIncident.incident_id) == incident_id).values(
        channel_status=status, channel_error=error, channel_id=channel_id, channel_opened_at=opened_at))


def _fail(session: Session, incident_id: int, name: str, error: Exception, now: datetime) -> None:
    code = getattr(error, "code", None)
    reason = f"{error} (code {code})" if code else str(error)
    log.warning("Slack channel #%s for incident %s not opened: %s", name, incident_id, reason)
    _finish(session, incident_id, "failed", error=reason)
    record(session, incident_id=incident_id, kind="slack_channel_failed", actor=SYSTEM, at=now,
           detail=f"could not open Slack channel #{name}: {reason}")


def _opened(session: Session, incident_id: int, name: str, channel_id: str, now: datetime) -> None:
    _finish(session, incident_id, "open", channel_id=channel_id, opened_at=now)
    incident = session.get(Incident, incident_id)
    if incident is None:
        return
    record(session, incident_id=incident_id, kind="slack_channel", actor=SYSTEM, at=now,
           detail=f"opened Slack channel #{name} ({channel_id})")
    # The pinned summary is a snapshot; this page message is kept current and carries the timeline.
    rows.add_notification(session, incident, step_key=INCIDENT_CHANNEL_STEP, level=0,
                            recipient=recipients.slack_channel(channel_id), user_id=None, channel="slack", due_at=now, now=now)
