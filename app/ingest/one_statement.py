"""PostgreSQL: a trigger stored in one statement (data-modifying CTEs), not five round trips.

`INSERT ... ON CONFLICT DO NOTHING RETURNING id` opens the incident, or a locking `SELECT ... FOR
SHARE` finds the open one; the timeline line and the alert are inserted from whichever answered.
It is what `store.store_trigger` does statement by statement (and still does on SQLite), at a
fifth of the CPU: measured in bench/ingest.py and bench/RESULTS.md.

All CTEs of a statement share one snapshot, so an incident opened or resolved by a transaction
that commits while this statement runs is seen by neither branch: the statement then stores
nothing and answers no row, and the caller takes the statement-by-statement path, which waits
for that transaction and retries (nothing is lost, nothing half-written).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, case, exists, literal, select, union_all
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from app.models import Alert, Incident, TimelineEntry

INCIDENT = Incident.__table__  # type: ignore[attr-defined]
ALERT = Alert.__table__  # type: ignore[attr-defined]
TIMELINE = TimelineEntry.__table__  # type: ignore[attr-defined]
INCIDENT_COLUMNS = ("service_id", "title", "severity", "severity_rule", "severity_reason", "status", "dedup_key",
                    "open_dedup_key", "created_at", "escalation_policy_id", "ladder", "escalation_level",
                    "escalation_step", "escalation_round", "escalation_token", "next_escalation_at", "details")
ALERT_COLUMNS = ("service_id", "received_at", "integration", "action", "dedup_key", "summary", "source", "severity",
                 "labels", "details", "links")


def _param(table: Any, prefix: str, column: str) -> Any:
    return bindparam(f"{prefix}{column}", type_=table.c[column].type)


def _statement() -> Select[Any]:
    opened = (postgresql.insert(INCIDENT).values({c: _param(INCIDENT, "i_", c) for c in INCIDENT_COLUMNS})
              .on_conflict_do_nothing(index_elements=["service_id", "open_dedup_key"])
              .returning(INCIDENT.c.id).cte("opened"))
    joined = (select(INCIDENT.c.id)
              .where(INCIDENT.c.service_id == bindparam("i_service_id"),
                     INCIDENT.c.open_dedup_key == bindparam("i_open_dedup_key"), ~exists(select(opened.c.id)))
              .with_for_update(read=True, of=INCIDENT).cte("joined"))
    target = union_all(select(opened.c.id, literal(True).label("created")),
                       select(joined.c.id, literal(False).label("created"))).cte("target")
    timeline = TIMELINE.insert().from_select(
        ["incident_id", "at", "kind", "actor", "detail"],
        select(target.c.id, _param(TIMELINE, "t_", "at"),
               case((target.c.created, literal("triggered")), else_=literal("alert")), bindparam("t_actor"),
               case((target.c.created, bindparam("t_opened")), else_=bindparam("t_joined")))).cte("timeline")
    alert = ALERT.insert().from_select(
        ["incident_id", *ALERT_COLUMNS],
        select(target.c.id, *[_param(ALERT, "a_", c) for c in ALERT_COLUMNS])).cte("alert")
    return select(target.c.id, target.c.created).add_cte(timeline, alert)


STORE_TRIGGER = _statement()


def store_in_one(conn: Connection, incident: dict[str, Any], alert: dict[str, Any], *, actor: str, opened_detail: str,
                 joined_detail: str) -> tuple[int, bool] | None:
    """(incident id, opened it) with its timeline line and alert stored; None when a concurrent open
    or resolve hid the incident from this statement's snapshot (nothing was stored)."""
    params = {f"i_{c}": incident[c] for c in INCIDENT_COLUMNS}
    params.update({f"a_{c}": alert[c] for c in ALERT_COLUMNS})
    params.update(t_at=alert["received_at"], t_actor=actor, t_opened=opened_detail, t_joined=joined_detail)
    row = conn.execute(STORE_TRIGGER, params).first()
    return None if row is None else (int(row[0]), bool(row[1]))
