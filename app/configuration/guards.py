"""What `klaxon apply` refuses to delete: objects that incidents, pages, tokens or API overrides still use.

Deleting them would break a foreign key or rewrite history, so the whole apply stops with an error
naming each one; the author keeps it in the file, or removes what uses it first.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func
from sqlmodel import Session, SQLModel, col, select

from app.configuration.changes import Change
from app.models import Alert, ApiToken, Incident, IncidentStatus, Notification, ScheduleOverride

_SECTIONS = {"user": "users", "schedule": "schedules", "escalation policy": "escalation_policies",
             "service": "services"}


def deletion_blockers(session: Session, changes: list[Change]) -> list[str]:
    """One error per planned delete that something stored still depends on."""
    checks: dict[str, Callable[[Session, str], list[str]]] = {
        "user": _user_uses,
        "schedule": _schedule_uses,
        "escalation policy": _policy_uses,
        "service": _service_uses,
    }
    errors = []
    for change in changes:
        if change.action == "delete" and change.kind in checks:
            uses = checks[change.kind](session, change.name)
            if uses:
                errors.append(
                    f"{_SECTIONS[change.kind]}: {change.kind} {change.name!r} is not in the file but cannot be "
                    f"deleted: {' and '.join(uses)}; keep it in the file"
                )
    return errors


def _user_uses(session: Session, user_id: str) -> list[str]:
    return _counted([
        (_count(session, ScheduleOverride, col(ScheduleOverride.user_id) == user_id,
                col(ScheduleOverride.source) != "config"), "API-created override"),
        (_count(session, Notification, col(Notification.user_id) == user_id), "notification"),
        (_count(session, ApiToken, col(ApiToken.user_id) == user_id), "API token"),
    ])


def _schedule_uses(session: Session, schedule_id: str) -> list[str]:
    api_overrides = _count(session, ScheduleOverride, col(ScheduleOverride.schedule_id) == schedule_id,
                           col(ScheduleOverride.source) != "config")
    return _counted([(api_overrides, "API-created override")])


def _policy_uses(session: Session, policy_id: str) -> list[str]:
    # Incidents name their policy without a foreign key; a resolved one no longer needs it, an open
    # one would be left with no ladder to climb.
    open_incidents = _count(session, Incident, col(Incident.escalation_policy_id) == policy_id,
                            col(Incident.status) != IncidentStatus.RESOLVED)
    return _counted([(open_incidents, "open incident")])


def _service_uses(session: Session, service_id: str) -> list[str]:
    return _counted([
        (_count(session, Incident, col(Incident.service_id) == service_id), "incident"),
        (_count(session, Alert, col(Alert.service_id) == service_id), "alert"),
    ])


def _count(session: Session, model: type[SQLModel], *conditions: object) -> int:
    query = select(func.count()).select_from(model).where(*conditions)  # type: ignore[arg-type]
    return int(session.exec(query).one())


def _counted(pairs: list[tuple[int, str]]) -> list[str]:
    return [f"{count} {noun}{'s' if count != 1 else ''} refer{'s' if count == 1 else ''} to it"
            for count, noun in pairs if count]
