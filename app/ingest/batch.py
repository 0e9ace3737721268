"""Storing a batch of triggers (`POST /integrations/generic/<key>/batch`) in a fixed number of statements.

However many events a batch holds: one multi-row INSERT opens the incidents of the dedup keys that
have none open (ON CONFLICT DO NOTHING: the unique index still decides every race), one SELECT finds
the open ones for the rest, then one INSERT each for the alerts, the timeline lines and the new
incidents' open-time triggers. Keys are inserted in sorted order so that two batches sharing keys
on PostgreSQL lock them in the same order and never deadlock. Step 0 of every new incident runs in
the worker from one coalesced wake-up (the sweeper runs it if that wake-up is lost).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection

from app.ingest.classifier import Classification
from app.ingest.many_rows import insert_many
from app.ingest.store import (
    ALERT,
    DEDUP_INDEX,
    FIRST_STEPS,
    INCIDENT,
    TIMELINE,
    ServiceRoute,
    alert_values,
    arm_triggers,
    incident_values,
    timeline_values,
)
from app.platform.queueing import PendingJob
from integrations.inbound.event import InboundEvent


@dataclass(frozen=True)
class StoredBatch:
    """Where a batch went, and the jobs to enqueue once it commits."""

    created: int
    jobs: tuple[PendingJob, ...]


def store_trigger_batch(conn: Connection, *, route: ServiceRoute, events: list[InboundEvent], dedup_keys: list[str],
                        classifications: list[Classification], now: datetime) -> StoredBatch:
    """Open or join one incident per dedup key and store every event as an alert on it."""
    first: dict[str, int] = {}
    for index, key in enumerate(dedup_keys):
        first.setdefault(key, index)
    opened: dict[str, tuple[int, str]] = {}
    incident_of: dict[str, int] = {}
    waiting = sorted(first)
    while waiting:
        rows = [incident_values(route, events[first[k]], k, classifications[first[k]], now) for k in waiting]
        inserted = insert_many(conn, INCIDENT, rows, skip_conflicts_on=DEDUP_INDEX,
                               returning=("id", "open_dedup_key", "escalation_token"))
        opened.update({key: (int(i), token) for i, key, token in inserted})
        rest = [k for k in waiting if k not in opened]
        incident_of.update(_open_ids(conn, route.service_id, rest))
        waiting = [k for k in rest if k not in incident_of]  # resolved meanwhile: open anew
    incident_of.update({key: found[0] for key, found in opened.items()})
    _store_rows(conn, route, events, dedup_keys, incident_of, set(opened), first, classifications, now)
    jobs = arm_triggers(conn, route, [(i, classifications[first[k]].severity) for k, (i, _) in opened.items()], now)
    if opened:
        jobs.append(FIRST_STEPS)
    return StoredBatch(len(opened), tuple(jobs))


def _open_ids(conn: Connection, service_id: str, keys: list[str]) -> dict[str, int]:
    """The open incidents of `keys`, share-locked on PostgreSQL against a concurrent resolve."""
    if not keys:
        return {}
    query = select(INCIDENT.c.open_dedup_key, INCIDENT.c.id).where(
        INCIDENT.c.service_id == service_id, INCIDENT.c.open_dedup_key.in_(keys)).order_by(INCIDENT.c.id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(read=True)
    return {str(key): int(i) for key, i in conn.execute(query).all()}


def _store_rows(conn: Connection, route: ServiceRoute, events: list[InboundEvent], dedup_keys: list[str],
                incident_of: dict[str, int], new_keys: set[str], first: dict[str, int],
                classifications: list[Classification], now: datetime) -> None:
    """The alerts, and the timeline: "triggered" for each new incident, "alert attached" for the rest."""
    insert_many(conn, ALERT, [alert_values(route.service_id, incident_of[key], event, key, now)
                              for event, key in zip(events, dedup_keys)])
    lines = []
    for index, (event, key) in enumerate(zip(events, dedup_keys)):
        actor = f"integration:{event.integration}"
        if key in new_keys and first[key] == index:
            found = classifications[index]
            lines.append(timeline_values(incident_of[key], "triggered", actor, f"{found.severity} ({found.reason})", now))
        else:
            lines.append(timeline_values(incident_of[key], "alert", actor, f"alert attached: {event.summary[:200]}", now))
    insert_many(conn, TIMELINE, lines)
