"""RQ jobs that keep Slack in step with incidents, on the deliver-slack queue (app.slack.sync has the logic).

A rate limit (429 + Retry-After) or a Slack outage re-enqueues the job for later instead of sleeping
in the worker, so nothing else on the Slack queue waits behind it, and the SMS and voice queues are
separate anyway (DESIGN rule 10). Every job is idempotent: a retry redoes only what is missing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from app.outbox.delivery import retry_delay
from app.platform.clock import utc_now
from app.platform.queueing import SLACK_OPEN_CHANNEL_JOB, SLACK_SYNC_JOB, SLACK_TELL_JOB, PendingJob
from app.platform.runtime import Runtime
from app.slack import incident_channel as slack_incident_channel
from app.slack import sync as slack_sync
from integrations.notifier import DeliveryError, TransientDeliveryError
from integrations.slack import SlackNotifier
from workers.context import get_runtime

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


def sync_incident(incident_id: int, attempt: int = 0) -> str:
    """Re-render the incident's stale Slack messages and post new timeline entries in their threads."""
    runtime = get_runtime()
    notifier = slack_notifier(runtime)
    if notifier is None:
        return "skipped: Slack is not configured"
    try:
        outcome = slack_sync.sync_incident(runtime.session, notifier, incident_id=incident_id,
                                           public_url=runtime.settings.public_url, now=utc_now)
    except TransientDeliveryError as error:
        return _retry(runtime, SLACK_SYNC_JOB, (incident_id,), attempt, error)
    if outcome.busy_until is not None:
        # The holder syncs again for our request; this late check only matters if it died meanwhile.
        if attempt + 1 < MAX_ATTEMPTS:
            _enqueue(runtime, SLACK_SYNC_JOB, (incident_id,), attempt, outcome.busy_until + timedelta(seconds=1))
        return "busy"
    return f"updated {outcome.updated}, posted {outcome.posted}"


def open_incident_channel(incident_id: int, attempt: int = 0) -> str:
    """Open a major incident's Slack channel (once)."""
    runtime = get_runtime()
    try:
        return slack_incident_channel.open_incident_channel(
            runtime.session, slack_notifier(runtime), incident_id=incident_id,
            public_url=runtime.settings.public_url, now=utc_now)
    except TransientDeliveryError as error:
        return _retry(runtime, SLACK_OPEN_CHANNEL_JOB, (incident_id,), attempt, error)


def tell_user(channel_id: str, slack_user_id: str, text: str, attempt: int = 0) -> str:
    """Show `text` to one Slack user only (chat.postEphemeral): the answer to their button press."""
    runtime = get_runtime()
    notifier = slack_notifier(runtime)
    if notifier is None:
        log.info("console: would tell %s in %s: %s", slack_user_id, channel_id, text)
        return "skipped: Slack is not configured"
    try:
        notifier.post_ephemeral(channel_id, slack_user_id, text)
    except TransientDeliveryError as error:
        return _retry(runtime, SLACK_TELL_JOB, (channel_id, slack_user_id, text), attempt, error)
    except DeliveryError as error:
        log.warning("ephemeral reply to %s in %s failed: %s", slack_user_id, channel_id, error)
        return f"failed: {error}"
    return "told"


def slack_notifier(runtime: Runtime) -> SlackNotifier | None:
    """The runtime's Slack notifier, or None when pages go to the console outbox."""
    notifier = runtime.notifiers.get("slack")
    return notifier if isinstance(notifier, SlackNotifier) else None


def _retry(runtime: Runtime, func: str, args: tuple[Any, ...], attempt: int, error: TransientDeliveryError) -> str:
    if attempt + 1 >= MAX_ATTEMPTS:
        log.error("%s%r gave up after %d attempts: %s", func, args, attempt + 1, error)
        return f"gave up: {error}"
    delay = retry_delay(attempt + 1, error.retry_after)
    _enqueue(runtime, func, args, attempt, utc_now() + delay)
    return f"retry in {int(delay.total_seconds())}s: {error}"


def _enqueue(runtime: Runtime, func: str, args: tuple[Any, ...], attempt: int, at: datetime) -> None:
    runtime.dispatcher.enqueue(PendingJob(slack_sync.SLACK_QUEUE, func, (*args, attempt + 1), at))
