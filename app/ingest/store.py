"""Storing one accepted trigger with a few Core statements: open or join its incident, keep the alert.

The request does only what must be durable before it answers 202: the alert row, the incident it
opened or joined, one timeline line and the new incident's open-time trigger timers. Step 0 (who is
on call, the outbox rows, the Slack channel post) runs in a worker right after commit, woken by a job
(so storing an alert never depends on paging succeeding); `next_escalation_at = created_at` lets the
sweeper run it if that wake-up is lost (DESIGN rules 1, 2 and 4).

Dedup is the database's: `INSERT ... ON CONFLICT (service_id, open_dedup_key) DO NOTHING` either
opens the incident or finds the open one. Joining reads the open row `FOR SHARE` on PostgreSQL, so a
resolve running at the same moment either finishes first (and the next trigger opens a new incident)
or waits for this alert; SQLite's single writer (BEGIN IMMEDIATE) gives the same order.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from app.ingest.classifier import Classification
from app.ingest.one_statement import store_in_one
from app.models import Alert, Incident, IncidentStatus, IncidentTrigger, TimelineEntry
from app.platform.queueing import (
    ESCALATION_QUEUE,
    FIRST_STEPS_WAKE,
    RUN_FIRST_STEPS_JOB,
    PendingJob,
    due_triggers_wakeup,
)
from integrations.inbound.event import InboundEvent

INCIDENT: Table = Incident.__table__  # type: ignore[attr-defined]
ALERT: Table = Alert.__table__  # type: ignore[attr-defined]
TIMELINE: Table = TimelineEntry.__table__  # type: ignore[attr-defined]
TRIGGER: Table = IncidentTrigger.__table__  # type: ignore[attr-defined]
# The wake-up of step 0: one waiting job runs it for every incident opened until it starts.
FIRST_STEPS = PendingJob(ESCALATION_QUEUE, RUN_FIRST_STEPS_JOB, (), coalesce=FIRST_STEPS_WAKE)


@dataclass(frozen=True)
class StoredTrigger:
    """Where one trigger went, and the jobs to enqueue once it commits."""

    incident_id: int
    created: bool
    jobs: tuple[PendingJob, ...] = ()


@dataclass(frozen=True)
class ServiceRoute:
    """What the store needs of the service an event arrived on (read from the configuration cache)."""

    service_id: str
    escalation_policy_id: str | None
    open_triggers: tuple[dict[str, Any], ...]
    ladder: dict[str, Any] | None = None  # the policy's ladder, kept by each incident it opens


def store_trigger(conn: Connection, *, route: ServiceRoute, event: InboundEvent, dedup_key: str,
                  classification: Classification, now: datetime) -> StoredTrigger:
    """Open the incident for `dedup_key` or join the open one; store the alert and its timeline line."""
    actor = f"integration:{event.integration}"
    if conn.dialect.name == "postgresql":
        values = incident_values(route, event, dedup_key, classification, now)
        stored = store_in_one(conn, values, alert_values(route.service_id, None, event, dedup_key, now), actor=actor,
                              opened_detail=_opened_detail(classification),
                              joined_detail=_joined_detail(event))
        if stored is not None:
            incident_id, created = stored
            if not created:
                return StoredTrigger(incident_id, False)
            return StoredTrigger(incident_id, True,
                                 (FIRST_STEPS, *_arm_triggers(conn, route, incident_id, classification.severity, now)))
    while True:
        opened = _open(conn, route, event, dedup_key, classification, now)
        if opened is not None:
            jobs = _arm_triggers(conn, route, opened[0], classification.severity, now)
            _timeline(conn, opened[0], "triggered", actor, _opened_detail(classification), now)
            _store_alert(conn, route.service_id, opened[0], event, dedup_key, now)
            return StoredTrigger(opened[0], True, (FIRST_STEPS, *jobs))
        joined = open_incident_id(conn, route.service_id, dedup_key, lock=True)  # resolving? wait for it
        if joined is not None:
            _timeline(conn, joined, "alert", actor, _joined_detail(event), now)
            _store_alert(conn, route.service_id, joined, event, dedup_key, now)
            return StoredTrigger(joined, False)
        # The open incident was resolved between the two statements: open a new one.


def _opened_detail(classification: Classification) -> str:
    return f"{classification.severity} ({classification.reason})"


def _joined_detail(event: InboundEvent) -> str:
    return f"alert attached: {event.summary[:200]}"


def open_incident_id(conn: Connection, service_id: str, dedup_key: str, *, lock: bool = False) -> int | None:
    """The id of the open incident for (service, dedup key), locked against a concurrent resolve."""
    query = select(INCIDENT.c.id).where(INCIDENT.c.service_id == service_id, INCIDENT.c.open_dedup_key == dedup_key)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update(read=True)
    found = conn.execute(query).scalar()
    return None if found is None else int(found)


def store_alert_only(conn: Connection, *, service_id: str, incident_id: int | None, event: InboundEvent,
                     dedup_key: str, now: datetime) -> None:
    """Keep an acknowledge or resolve event as received (with its incident, when there is one)."""
    _store_alert(conn, service_id, incident_id, event, dedup_key, now)


def _open(conn: Connection, route: ServiceRoute, event: InboundEvent, dedup_key: str,
          classification: Classification, now: datetime) -> tuple[int, str] | None:
    """Insert the incident unless the unique index already holds an open one: (id, token) or None."""
    values = incident_values(route, event, dedup_key, classification, now)
    found = conn.execute(_OPEN_ONE[conn.dialect.name == "postgresql"], values).scalar()
    return None if found is None else (int(found), values["escalation_token"])


def incident_values(route: ServiceRoute, event: InboundEvent, dedup_key: str, classification: Classification,
                    now: datetime) -> dict[str, Any]:
    """The row of a new incident opened by `event`, its step 0 due at once with a fresh token."""
    return dict(
        service_id=route.service_id, title=event.summary[:1024], severity=classification.severity,
        severity_rule=classification.rule, severity_reason=classification.reason, status=IncidentStatus.TRIGGERED,
        dedup_key=dedup_key, open_dedup_key=dedup_key, created_at=now,
        escalation_policy_id=route.escalation_policy_id, ladder=route.ladder, escalation_level=0, escalation_step=0,
        escalation_round=0, escalation_token=uuid.uuid4().hex, next_escalation_at=now,
        details={"source": event.source, "labels": dict(event.labels)},
    )


DEDUP_INDEX = ("service_id", "open_dedup_key")  # unique: at most one open incident per dedup key
_ARM = TRIGGER.insert().returning(TRIGGER.c.id, TRIGGER.c.due_at, sort_by_parameter_order=True)
# Built once, values bound at execution, so SQLAlchemy compiles each statement once per process.
_OPEN_ONE = {postgres: (postgresql if postgres else sqlite).insert(INCIDENT)
             .on_conflict_do_nothing(index_elements=DEDUP_INDEX).returning(INCIDENT.c.id)
             for postgres in (False, True)}


def _arm_triggers(conn: Connection, route: ServiceRoute, incident_id: int, severity: str,
                  now: datetime) -> list[PendingJob]:
    """The open-time trigger timers of a new incident, counted from its creation (DESIGN rule 7)."""
    return arm_triggers(conn, route, [(incident_id, severity)], now)


def arm_triggers(conn: Connection, route: ServiceRoute, incidents: list[tuple[int, str]],
                 now: datetime) -> list[PendingJob]:
    """Arm the open-time triggers of new (incident id, severity)s in one statement; their wake-ups."""
    rows = [dict(incident_id=incident_id, trigger_index=index, due_at=now + timedelta(seconds=int(rule["after_seconds"])),
                 rule=dict(rule))
            for incident_id, severity in incidents for index, rule in enumerate(route.open_triggers)
            if severity in (rule.get("severities") or [severity])]
    if not rows:
        return []
    armed = conn.execute(_ARM, rows).all()
    return list(dict.fromkeys(due_triggers_wakeup(due_at) for _trigger_id, due_at in armed))


def _timeline(conn: Connection, incident_id: int, kind: str, actor: str, detail: str, now: datetime) -> None:
    conn.execute(TIMELINE.insert(), timeline_values(incident_id, kind, actor, detail, now))


def timeline_values(incident_id: int, kind: str, actor: str, detail: str, now: datetime) -> dict[str, Any]:
    """One timeline row."""
    return dict(incident_id=incident_id, at=now, kind=kind, actor=actor, detail=detail)


def _store_alert(conn: Connection, service_id: str, incident_id: int | None, event: InboundEvent, dedup_key: str,
                 now: datetime) -> None:
    conn.execute(ALERT.insert(), alert_values(service_id, incident_id, event, dedup_key, now))


def alert_values(service_id: str, incident_id: int | None, event: InboundEvent, dedup_key: str,
                 now: datetime) -> dict[str, Any]:
    """The alert row of an accepted event, kept as received."""
    return dict(incident_id=incident_id, service_id=service_id, received_at=now, integration=event.integration,
                action=event.action, dedup_key=dedup_key, summary=event.summary, source=event.source,
                severity=event.severity, labels=dict(event.labels), details=dict(event.details),
                links=list(event.links))
