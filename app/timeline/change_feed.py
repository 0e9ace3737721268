"""Announcing incident changes to the channels that show incidents (Slack messages, threads).

The incident service calls `incident_changed` inside the transaction that made the change; the
listeners registered here defer their jobs (after commit, like every job). Each channel registers
its listener when a process builds its Runtime (app/platform/runtime.py), so this module stays free of Slack
or Twilio knowledge.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from sqlmodel import Session

from app.models import Incident

Listener = Callable[[Session, Incident, str, str, str, datetime], None]
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> None:
    """Call `listener(session, incident, kind, actor, detail, now)` on every incident change."""
    if listener not in _listeners:
        _listeners.append(listener)


def incident_changed(session: Session, incident: Incident, *, kind: str, actor: str, detail: str,
                     now: datetime) -> None:
    """Tell every listener about a change (inside the caller's transaction)."""
    for listener in list(_listeners):
        listener(session, incident, kind, actor, detail, now)
