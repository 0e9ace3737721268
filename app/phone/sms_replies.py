"""Texts people send back to a page (CONTRACT section 5): ACK / RES / ESC, 4 / 6 / 5, STOP and START.

Every action goes through `app.incidents.responders.act`, like a Slack button or a key press, so all channels
follow the same rules and answer in the same words. A number that belongs to nobody gets no answer
and changes nothing: a stranger must not learn that the number pages people.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session, col, select

from app.incidents.responders import act
from app.models import Notification, User
from app.phone.contacts import incidents_in_text, latest_page, set_texts_enabled, users_with_phone
from integrations.twilio import SmsReplyError, parse_sms_reply

log = logging.getLogger(__name__)

STOP_REPLY = ("Klaxon will no longer text or call this phone. Your pages go to your other channels. "
              "Reply START to turn texts and calls back on.")
START_REPLY = "Klaxon texts and calls to this phone are back on."
NO_PAGE_REPLY = "There is no page to this phone to reply to. Reply with the incident number: ACK 12, RES 12 or ESC 12."


def reply_to_sms(session: Session, *, phone: str, body: str, now: datetime) -> str | None:
    """Act on a text from `phone`; the reply to send back, or None (send nothing) for an unknown number."""
    users = users_with_phone(session, phone=phone)
    if not users:
        log.info("text from unknown number %s ignored", phone)
        return None
    try:
        reply = parse_sms_reply(body)
    except SmsReplyError as error:
        return str(error)
    if reply.action in ("stop", "start"):
        set_texts_enabled(session, phone=phone, enabled=reply.action == "start", now=now)
        return START_REPLY if reply.action == "start" else STOP_REPLY
    assert reply.action is not None
    if reply.incident_id is not None:
        user = _acting_user(session, users, reply.incident_id)
        return act(session, incident_id=reply.incident_id, user_id=user.id, action=reply.action, now=now).message
    return _act_on_latest(session, users, reply.action, now)


def _act_on_latest(session: Session, users: list[User], action: str, now: datetime) -> str:
    """No number in the reply: the action is for the latest page texted to this phone."""
    latest = latest_page(session, user_ids=[u.id for u in users], channels=("sms",))
    if latest is None:
        return NO_PAGE_REPLY
    incident_ids = incidents_in_text(session, latest)
    if len(incident_ids) > 1:
        # One text listed several incidents: guessing could acknowledge the wrong one at 3 a.m.
        listed = ", ".join(str(i) for i in incident_ids)
        return (f"Your last text listed incidents {listed}. Reply with the number, "
                f"for example ACK {incident_ids[0]}.")
    user_id = latest.user_id or users[0].id
    return act(session, incident_id=incident_ids[0], user_id=user_id, action=action, now=now).message


def _acting_user(session: Session, users: list[User], incident_id: int) -> User:
    """Who acts for a shared phone: the user it paged about `incident_id`, else its first user."""
    if len(users) == 1:
        return users[0]
    paged = session.exec(
        select(Notification.user_id)
        .where(col(Notification.user_id).in_([u.id for u in users]), col(Notification.incident_id) == incident_id)
        .order_by(col(Notification.id).desc()).limit(1)
    ).first()
    return next((u for u in users if u.id == paged), users[0])
