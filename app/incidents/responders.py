"""What a person does from a Slack button, an SMS reply or a keypress: acknowledge, resolve, escalate.

One entry point for every channel, so they all follow the same rules (status only forward; three
people pressing Escalate cause one escalation) and answer in words a person reads at 3 a.m.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from app.incidents import lifecycle as incidents
from app.models import IncidentStatus
from app.platform.errors import Conflict, NotFound

ACTIONS = ("acknowledge", "resolve", "escalate")


@dataclass(frozen=True)
class ActionOutcome:
    """Whether the action changed anything, and a sentence to show or say to the person."""

    changed: bool
    message: str
    incident_id: int


def act(session: Session, *, incident_id: int, user_id: str, action: str, now: datetime) -> ActionOutcome:
    """Apply `action` for `user_id`; a no-op (already done, unknown incident) is explained, not raised."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    try:
        if action == "acknowledge":
            incidents.acknowledge(session, incident_id=incident_id, user_id=user_id, now=now)
            return ActionOutcome(True, f"Incident {incident_id} acknowledged. Escalation stopped.", incident_id)
        if action == "resolve":
            incidents.resolve(session, incident_id=incident_id, user_id=user_id, now=now)
            return ActionOutcome(True, f"Incident {incident_id} resolved.", incident_id)
        incident = incidents.escalate(session, incident_id=incident_id, user_id=user_id, now=now)
        return ActionOutcome(True, f"Incident {incident_id} escalated to level {incident.escalation_level}.",
                             incident_id)
    except NotFound:
        return ActionOutcome(False, f"There is no incident {incident_id}.", incident_id)
    except Conflict as error:
        return ActionOutcome(False, _explain(error, incident_id), incident_id)


def _explain(error: Conflict, incident_id: int) -> str:
    detail = error.detail if isinstance(error.detail, dict) else {}
    if detail.get("status") == IncidentStatus.ACKNOWLEDGED and detail.get("acknowledged_by"):
        return f"Incident {incident_id} was already acknowledged by {detail['acknowledged_by']}."
    if detail.get("status") == IncidentStatus.RESOLVED and detail.get("resolved_by"):
        return f"Incident {incident_id} was already resolved by {detail['resolved_by']}."
    return f"Nothing changed: {error.message}."
