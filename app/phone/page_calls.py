"""Page calls: what to read out when a call connects, and what a key press does (4 ack, 6 resolve, 5 escalate).

The person is the user the call was placed to (found by the call's SID on the outbox row), or, for
a call Twilio did not place for us, the owner of the number at the other end. An answering machine
is never an acknowledgement: it gets a short message and the call counts as not answered, so the
page falls through to the person's next channel and the escalation goes on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Mapping

from sqlmodel import Session, col, select

from app.incidents.responders import act
from app.models import REACHED, Incident, Notification, NotificationStatus
from app.outbox.fall_through import fail_and_fall_through
from app.outbox.pages import build_page
from app.phone.contacts import latest_page, users_with_phone
from integrations.notifier import Page
from integrations.twilio import answered_by_machine, digit_action

log = logging.getLogger(__name__)

NOT_REGISTERED = "Klaxon has no page for this phone number. Nothing was changed."


@dataclass(frozen=True)
class CallOpening:
    """What a connecting call hears: the page (None when there is nothing to read), for a person or a machine."""

    page: Page | None
    machine: bool = False


@dataclass(frozen=True)
class KeyResult:
    """What a key press did: `valid` False for a key that is not an option; `message` is read out."""

    valid: bool
    message: str = ""


def far_end_number(form: Mapping[str, str]) -> str:
    """The person's number on a Twilio voice request: `To` on calls we placed, `From` on calls to us."""
    outbound = (form.get("Direction") or "outbound-api").startswith("outbound")
    return (form.get("To") if outbound else form.get("From")) or ""


def open_call(session: Session, *, incident_id: int | None, call_sid: str, phone: str, answered_by: str | None,
              public_url: str, now: datetime) -> CallOpening:
    """The page a connecting call reads out; a machine answering marks the call as not answered."""
    if incident_id is None:
        # Someone called our number back: read them their latest page, if they are one of ours.
        users = users_with_phone(session, phone=phone)
        latest = latest_page(session, user_ids=[u.id for u in users], channels=("voice", "sms"))
        incident_id = latest.incident_id if latest else None
    incident = session.get(Incident, incident_id) if incident_id is not None else None
    if incident is None:
        return CallOpening(None)
    page = build_page(session, incident, public_url=public_url)
    if not answered_by_machine(answered_by):
        return CallOpening(page)
    row = _call_row(session, call_sid)
    if row is not None and row.status in (NotificationStatus.SENDING, *REACHED):
        fail_and_fall_through(session, row, now, f"the call reached a machine (AnsweredBy={answered_by}): "
                                                 f"a recording is not an acknowledgement", None)
    return CallOpening(page, machine=True)


def press_key(session: Session, *, incident_id: int, digits: str, call_sid: str, phone: str,
              now: datetime) -> KeyResult:
    """Act on the key pressed during a page call, as the user the call is for."""
    action = digit_action(digits)
    if action is None:
        return KeyResult(valid=False)
    user_id = _caller_user_id(session, call_sid=call_sid, phone=phone)
    if user_id is None:
        log.warning("key press on call %s from unknown number %s ignored", call_sid, phone)
        return KeyResult(valid=True, message=NOT_REGISTERED)
    outcome = act(session, incident_id=incident_id, user_id=user_id, action=action, now=now)
    return KeyResult(valid=True, message=outcome.message)


def _call_row(session: Session, call_sid: str) -> Notification | None:
    if not call_sid:
        return None
    return session.exec(select(Notification).where(col(Notification.provider_id) == call_sid)).first()


def _caller_user_id(session: Session, *, call_sid: str, phone: str) -> str | None:
    """The user a page call was placed to; else the one owner of the number at the other end."""
    row = _call_row(session, call_sid)
    if row is not None and row.user_id:
        return row.user_id
    users = users_with_phone(session, phone=phone)
    return users[0].id if users else None
