"""Twilio status callbacks applied to the outbox: a notification's provider status only moves forward.

Twilio posts callbacks concurrently and out of order, so each one is a compare-and-set on the
row's `provider_status` (`advances`: a `sent` after `delivered` changes nothing). Delivered texts
and completed calls become `delivered`; undelivered or failed texts and calls that were busy, not
answered or answered by a machine fall through to the person's next channel, with Twilio's error
code on the timeline. Pages bundled into one text follow the row that holds its SID.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.models import Notification, NotificationStatus
from app.outbox.fall_through import fail_and_fall_through
from app.phone.contacts import BUNDLED_PREFIX
from integrations.twilio import StatusUpdate, advances, answered_by_machine, describe_error_code, is_failure

log = logging.getLogger(__name__)

# A concurrent callback that wins the compare-and-set makes us re-read; a few rounds always settle it.
_CAS_ROUNDS = 4
_CALL_FAILURES = {
    "busy": "the line was busy",
    "no-answer": "the call was not answered",
    "failed": "the call could not be placed",
    "canceled": "the call was canceled",
}


def apply_status_callback(session: Session, *, update: StatusUpdate, now: datetime) -> str:
    """Apply one callback; returns `unknown` (no such SID), `stale` (not forward), `updated` or `failed`."""
    row = session.exec(select(Notification).where(col(Notification.provider_id) == update.provider_id)).first()
    if row is None:
        # Answered 200 all the same: Twilio would retry an error, and the SID will not appear later.
        log.warning("status callback for unknown %s %s (%s) ignored", update.kind, update.provider_id,
                    update.raw_status)
        return "unknown"
    if not _advance(session, row, update.status):
        return "stale"
    bundled = session.exec(select(Notification).where(
        col(Notification.provider_status) == BUNDLED_PREFIX + update.provider_id)).all()
    outcomes = [_apply(session, each, update, now) for each in [row, *bundled]]
    return "failed" if "failed" in outcomes else "updated"


def _advance(session: Session, row: Notification, status: str) -> bool:
    """Compare-and-set `provider_status` to `status` if that moves it forward; False when it would not."""
    for _ in range(_CAS_ROUNDS):
        current = row.provider_status
        if not advances(current, status):
            return False
        same = (col(Notification.provider_status).is_(None) if current is None
                else col(Notification.provider_status) == current)
        won = session.execute(update(Notification).where(col(Notification.id) == row.id, same)
                              .values(provider_status=status))
        session.refresh(row)
        if won.rowcount == 1:  # type: ignore[attr-defined]
            return True
    return False


def _apply(session: Session, row: Notification, update: StatusUpdate, now: datetime) -> str:
    """Move one row's delivery status for the callback (a bundled row follows its text's row)."""
    if row.status not in (NotificationStatus.SENT, NotificationStatus.DELIVERED):
        return "ignored"  # already failed (a machine answered) or never sent: nothing to move
    if is_failure(update):
        if row.status == NotificationStatus.SENT:
            fail_and_fall_through(session, row, now, failure_reason(update), update.error_code)
            return "failed"
        return "ignored"
    if update.status == "delivered" or (update.kind == "voice" and update.status == "completed"):
        row.status, row.delivered_at = NotificationStatus.DELIVERED, now
        session.add(row)
    return "updated"


def failure_reason(update: StatusUpdate) -> str:
    """Words for the timeline: what Twilio said, with its error code described."""
    if update.kind == "voice":
        if update.status == "completed" and answered_by_machine(update.answered_by):
            reason = f"the call reached a machine (AnsweredBy={update.answered_by}): not an acknowledgement"
        else:
            reason = _CALL_FAILURES.get(update.status, f"the call ended {update.raw_status}")
    else:
        reason = f"Twilio reports the text {update.raw_status}"
    code = describe_error_code(update.error_code)
    return f"{reason} (Twilio error {code})" if code else reason
