"""A person's phone as a contact method: who owns a number, their latest page, and STOP / START.

Twilio sends the numbers of inbound texts and calls in E.164, the form `klaxon apply` stores, so a
number is matched exactly. A number shared by two users (a team phone) belongs to both: STOP turns
texts and calls off for every user on it, as Twilio's own opt-out is per number, not per person.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from app.models import Incident, IncidentStatus, Notification, User
from app.timeline.entries import record

BUNDLED_PREFIX = "bundled:"  # provider_status of a page sent inside another row's SMS (see sms_policy)


def users_with_phone(session: Session, *, phone: str) -> list[User]:
    """The users whose phone is `phone` (E.164), by id; empty for an unknown or empty number."""
    if not phone:
        return []
    return list(session.exec(select(User).where(col(User.phone) == phone).order_by(col(User.id))).all())


def latest_page(session: Session, *, user_ids: list[str], channels: tuple[str, ...]) -> Notification | None:
    """The most recently sent page on `channels` to any of `user_ids`."""
    if not user_ids:
        return None
    return session.exec(
        select(Notification)
        .where(col(Notification.user_id).in_(user_ids), col(Notification.channel).in_(channels))
        .where(col(Notification.sent_at).is_not(None))
        .order_by(col(Notification.sent_at).desc(), col(Notification.id).desc())
        .limit(1)
    ).first()


def incidents_in_text(session: Session, row: Notification) -> list[int]:
    """Every incident one SMS spoke about: the row's own, plus the pages bundled into the same text."""
    sid = row.provider_id
    if row.provider_status and row.provider_status.startswith(BUNDLED_PREFIX):
        sid = row.provider_status[len(BUNDLED_PREFIX):]
    if not sid:
        return [row.incident_id]
    rows = session.exec(select(Notification.incident_id).where(
        (col(Notification.provider_id) == sid) | (col(Notification.provider_status) == BUNDLED_PREFIX + sid)
    )).all()
    return sorted(set(rows) | {row.incident_id})


def set_texts_enabled(session: Session, *, phone: str, enabled: bool, now: datetime) -> list[User]:
    """STOP (False) or START (True) from `phone`: switch texts and calls for its users; the users changed."""
    changed = []
    for user in users_with_phone(session, phone=phone):
        if user.sms_enabled == enabled:
            continue
        user.sms_enabled = enabled
        session.add(user)
        changed.append(user)
        for incident_id in _incidents_concerned(session, user.id):
            record(session, incident_id=incident_id, kind="contact_enabled" if enabled else "contact_disabled",
                   actor=user.id, at=now, detail=_opt_detail(user.id, phone, enabled))
    return changed


def _opt_detail(user_id: str, phone: str, enabled: bool) -> str:
    if enabled:
        return f"{user_id} texted START from {phone}: texts and calls to this phone are on again"
    return (f"{user_id} texted STOP from {phone}: texts and calls to this phone are off until START; "
            f"their pages fall through to their other channels")


def _incidents_concerned(session: Session, user_id: str) -> list[int]:
    """The user's open incidents with a page to them; else the incident of their latest page (or none)."""
    open_ids = session.exec(
        select(Notification.incident_id).join(Incident, col(Incident.id) == col(Notification.incident_id))
        .where(col(Notification.user_id) == user_id, col(Incident.status) != IncidentStatus.RESOLVED).distinct()
    ).all()
    if open_ids:
        return sorted(open_ids)
    latest = session.exec(
        select(Notification.incident_id).where(col(Notification.user_id) == user_id)
        .order_by(col(Notification.created_at).desc(), col(Notification.id).desc()).limit(1)
    ).first()
    return [latest] if latest is not None else []
