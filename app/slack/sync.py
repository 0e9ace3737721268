"""Keeping Slack in step with incidents: new incidents posted to their service's channel, every page
message re-rendered (chat.update) when the incident changes, and the timeline posted in its thread.

The change-feed listener (subscribed by `register`, which every Runtime calls) runs inside the
transaction that changed the incident: it only writes rows and defers jobs, so nothing reaches Slack
before the change commits (DESIGN rule 2). The sync job compares what each message shows (a
fingerprint of its blocks) with what it should show, and which timeline entries each thread already
has, so a retried or duplicated job changes nothing twice. One job per incident syncs at a time (a lease in
`slack_incident`): two racing chat.updates could otherwise leave the older state on top.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.models import (
    REACHED,
    Incident,
    IncidentStatus,
    Notification,
    Service,
    SlackMessage,
    SlackTimelinePost,
    TimelineEntry,
)
from app.outbox import recipients, rows
from app.outbox.pages import build_page, for_row
from app.outbox.step_keys import StepKind
from app.platform.config_cache import get_row
from app.platform.queueing import SLACK_SYNC_JOB, PendingJob, defer_job
from app.slack import sync_lease
from app.slack.incident_channel import (
    INCIDENT_CHANNEL_STEP,
    SLACK_CONFIGURED,
    SLACK_QUEUE,
    request_incident_channel,
)
from app.timeline.change_feed import subscribe
from app.timeline.entries import SYSTEM
from integrations.notifier import Page, PermanentDeliveryError
from integrations.slack import SlackNotifier, fallback_text, page_blocks

log = logging.getLogger(__name__)

SERVICE_CHANNEL_STEP = StepKind.SERVICE_CHANNEL.value  # every new incident, posted to its service's slack_channel
MAJOR_SEVERITY = "SEV1"
# Timeline kinds that change what a page message shows (status, severity, commander, service).
DISPLAY_KINDS = frozenset({"acknowledged", "resolved", "severity", "commander", "ack_timeout", "reassigned"})
# Not posted in threads: the message itself says it, or it is noise (one line per alert of a storm).
# A status update reaches the incident's channel as a post of its own (app.incidents.command); what a
# severity change set off is on the timeline, the change itself in the thread.
UNMIRRORED_KINDS = frozenset({"triggered", "declared", "notified", "delivery_retry", "alert", "status_update",
                              "status_notice", "subscribed", "unsubscribed", "severity_ladder", "severity_triggers",
                              "severity_pages"})
# Changes that need no sync at all.
QUIET_KINDS = frozenset({"alert", "delivery_retry"})
# Web and worker clocks differ by milliseconds: re-render a message whose page was built this close
# to a change rather than risk leaving it stale (a needless chat.update is harmless).
CLOCK_MARGIN = timedelta(seconds=5)
MAX_PASSES = 5
_LABELS = {"acknowledged": "Acknowledged", "resolved": "Resolved", "escalated": "Escalated", "note": "Note",
           "severity": "Severity changed", "commander": "Commander changed", "paged": "Paged",
           "delivery_failed": "Delivery failed", "fallback": "Fallback", "escalation_gap": "Nobody on call",
           "ack_timeout": "Acknowledgement timed out", "reassigned": "Handed over",
           "slack_channel": "Incident channel", "slack_channel_failed": "Incident channel failed",
           "responders_added": "Responders requested", "assigned": "Reassigned"}


def on_incident_changed(session: Session, incident: Incident, kind: str, actor: str, detail: str,
                        now: datetime) -> None:
    """The change-feed listener: post new incidents to their service channel, open major-incident
    channels, and sync every Slack message of the incident after the change commits."""
    if kind in ("triggered", "declared", "reassigned"):
        _post_to_service_channel(session, incident, now)
    if kind == "declared" or (kind in ("triggered", "severity") and incident.severity == MAJOR_SEVERITY):
        request_incident_channel(session, incident)
    if kind not in QUIET_KINDS and _shown_in_slack(session, incident.id or 0):
        defer_once(session, PendingJob(SLACK_QUEUE, SLACK_SYNC_JOB, (incident.id, 0)))


def defer_once(session: Session, job: PendingJob) -> None:
    """Defer `job` unless this transaction already deferred the same one (one sync per commit is enough)."""
    # queueing keeps the transaction's jobs in session.info and clears them on commit and rollback.
    if job not in session.info.get("pending_jobs", ()):
        defer_job(session, job)


def _post_to_service_channel(session: Session, incident: Incident, now: datetime) -> None:
    service = get_row(session, Service, incident.service_id)  # configuration: from the cache, no query
    if service is None or not service.slack_channel:
        return
    rows.add_notification(session, incident, step_key=SERVICE_CHANNEL_STEP, level=0,
                            recipient=recipients.slack_channel(service.slack_channel), user_id=None, channel="slack",
                            due_at=now, now=now)


def _shown_in_slack(session: Session, incident_id: int) -> bool:
    if session.info.get(SLACK_CONFIGURED) is False:
        return False  # console mode: no Slack message to keep in sync, so no query on every change
    # Also sees a row marked sent earlier in this transaction: the query autoflushes it.
    return session.exec(select(Notification.id).where(
        col(Notification.incident_id) == incident_id, col(Notification.provider) == "slack",
        col(Notification.provider_id).is_not(None)).limit(1)).first() is not None


def fingerprint(page: Page, changed_at: datetime | None) -> str:
    """SHA-256 of exactly what chat.update would send: equal fingerprints mean nothing to update."""
    rendered = {"text": fallback_text(page), "blocks": page_blocks(page, changed_at=changed_at)}
    return hashlib.sha256(json.dumps(rendered, sort_keys=True, default=str).encode()).hexdigest()


def changed_at(incident: Incident) -> datetime | None:
    """When the incident reached its current status (what the message's "Acknowledged by" line shows)."""
    if incident.status == IncidentStatus.RESOLVED:
        return incident.resolved_at
    return incident.acknowledged_at if incident.status == IncidentStatus.ACKNOWLEDGED else None


def timeline_text(entry: TimelineEntry) -> str:
    """One timeline entry as a thread reply: `*Acknowledged* by alice`, `*Note* by bob: rolled back`."""
    label = _LABELS.get(entry.kind, entry.kind.replace("_", " ").capitalize())
    who = "" if entry.actor == SYSTEM else f" by {entry.actor}"
    return f"*{label}*{who}" + (f": {entry.detail}" if entry.detail else "")


@dataclass(frozen=True)
class MessageUpdate:
    """A page message to re-render with chat.update."""

    notification_id: int
    incident_id: int
    provider_id: str
    page: Page
    changed_at: datetime | None
    fingerprint: str


@dataclass(frozen=True)
class ThreadPost:
    """One timeline entry to post under one page message."""

    incident_id: int
    entry_id: int
    target: str  # the message's provider id, `channel:ts`
    text: str


@dataclass(frozen=True)
class SyncPlan:
    """What Slack lacks for one incident: stale messages and unposted timeline entries."""

    updates: tuple[MessageUpdate, ...] = ()
    posts: tuple[ThreadPost, ...] = ()


@dataclass(frozen=True)
class SyncOutcome:
    """What a sync did; `busy_until` is set when another job held the incident (it syncs our change)."""

    updated: int = 0
    posted: int = 0
    busy_until: datetime | None = None


def plan_sync(session: Session, *, incident_id: int, public_url: str) -> SyncPlan:
    """Compare every live Slack message of the incident with the database: what to update, what to post."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        return SyncPlan()
    rows = session.exec(select(Notification).where(
        col(Notification.incident_id) == incident_id, col(Notification.provider) == "slack",
        col(Notification.provider_id).is_not(None), col(Notification.status).in_(REACHED),
        col(Notification.notice).is_(None))  # a notice is not a page: never re-rendered as one
        .order_by(col(Notification.id))).all()
    renders = {r.notification_id: r for r in session.exec(
        select(SlackMessage).where(col(SlackMessage.incident_id) == incident_id)).all()}
    entries = session.exec(select(TimelineEntry).where(col(TimelineEntry.incident_id) == incident_id)
                           .order_by(col(TimelineEntry.at), col(TimelineEntry.id))).all()
    posted = {(p.target, p.entry_id) for p in session.exec(
        select(SlackTimelinePost).where(col(SlackTimelinePost.incident_id) == incident_id)).all()}
    display_times = [e.at for e in entries if e.kind in DISPLAY_KINDS]
    updates: list[MessageUpdate] = []
    posts: list[ThreadPost] = []
    for row in rows:
        render = renders.get(row.id or 0)
        if render is not None and render.gone:
            continue
        built_at = row.claimed_at or row.created_at
        update_job = _update_if_stale(session, incident, row, render, display_times, built_at, public_url)
        if update_job is not None:
            updates.append(update_job)
        # The incident channel's message gets the whole story; a page's thread what happened after it.
        since = None if row.step_key == INCIDENT_CHANNEL_STEP else built_at
        posts.extend(ThreadPost(incident_id, e.id or 0, row.provider_id or "", timeline_text(e)) for e in entries
                     if e.kind not in UNMIRRORED_KINDS and (since is None or e.at >= since)
                     and (row.provider_id, e.id) not in posted)
    return SyncPlan(tuple(updates), tuple(posts))


def _update_if_stale(session: Session, incident: Incident, row: Notification, render: SlackMessage | None,
                     display_times: list[datetime], built_at: datetime, public_url: str) -> MessageUpdate | None:
    # As the row was sent: a responder request keeps its message, a ladder page its tier.
    page = for_row(build_page(session, incident, public_url=public_url, step_key=row.step_key), row, incident)
    when = changed_at(incident)
    printed = fingerprint(page, when)
    if render is not None:
        stale = render.fingerprint != printed
    else:
        # Never re-rendered by us: delivery built it at `built_at`; stale if the incident changed since.
        stale = any(at >= built_at - CLOCK_MARGIN for at in display_times)
    if not stale:
        return None
    return MessageUpdate(row.id or 0, incident.id or 0, row.provider_id or "", page, when, printed)


def sync_incident(session_factory: Callable[[], Session], notifier: SlackNotifier, *, incident_id: int,
                  public_url: str, now: Callable[[], datetime]) -> SyncOutcome:
    """Bring the incident's Slack messages and threads up to date, unless another job is doing so.

    Transient Slack errors propagate (the caller retries the whole, idempotent sync later).
    """
    taken = sync_lease.take_lease(session_factory, incident_id, now())
    if isinstance(taken, datetime):
        return SyncOutcome(busy_until=taken)
    holding: int | None = taken
    updated = posted = 0
    try:
        for _ in range(MAX_PASSES):
            with session_factory() as session:
                plan = plan_sync(session, incident_id=incident_id, public_url=public_url)
            updated += sum(_apply_update(session_factory, notifier, u, now) for u in plan.updates)
            posted += sum(_apply_post(session_factory, notifier, p, now) for p in plan.posts)
            holding = sync_lease.release_unless_asked_again(session_factory, incident_id, taken, now())
            if holding is None:
                break
            taken = holding
    finally:
        if holding is not None:
            sync_lease.release(session_factory, incident_id)
    return SyncOutcome(updated, posted)


def _apply_update(session_factory: Callable[[], Session], notifier: SlackNotifier, job: MessageUpdate,
                  now: Callable[[], datetime]) -> int:
    gone, error = False, None
    try:
        notifier.update_message(job.provider_id, job.page, changed_at=job.changed_at)
    except PermanentDeliveryError as failure:
        # Deleted message, archived channel, ...: retrying cannot help; stop trying this message.
        log.warning("chat.update of %s failed for good: %s", job.provider_id, failure)
        gone, error = True, f"{failure} (code {failure.code})"
    with session_factory() as session:
        render = session.get(SlackMessage, job.notification_id) or SlackMessage(
            notification_id=job.notification_id, incident_id=job.incident_id, fingerprint="", rendered_at=now())
        render.fingerprint, render.rendered_at, render.gone, render.error = job.fingerprint, now(), gone, error
        session.add(render)
        session.commit()
    return 0 if gone else 1


def _apply_post(session_factory: Callable[[], Session], notifier: SlackNotifier, job: ThreadPost,
                now: Callable[[], datetime]) -> int:
    try:
        notifier.post_thread(job.target, job.text)
    except PermanentDeliveryError as failure:
        # Kept as posted: a thread Slack refuses for good (archived channel) must not be retried forever.
        log.warning("thread reply under %s failed for good: %s", job.target, failure)
    with session_factory() as session:
        session.add(SlackTimelinePost(incident_id=job.incident_id, entry_id=job.entry_id, target=job.target,
                                      posted_at=now()))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()  # a lease that ran out let a second job post it too: once is recorded
    return 1


def register() -> None:
    """Subscribe Slack's listener to incident changes in this process (once, however often called)."""
    subscribe(on_incident_changed)
