"""The post-incident review read from a real database (SQLite and PostgreSQL): `load_review` turns the
incident's rows into plain data in a handful of statements, and `render_review` writes it up."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import Session

from app.incidents.review import render_review
from app.incidents.review_data import load_review
from app.models import Alert, EscalationPolicy, Incident, Notification, Service, TimelineEntry, User
from app.platform.database import make_engine, new_session

T0 = datetime(2026, 12, 3, 14, 5, 9, 250_000, tzinfo=timezone.utc)  # a fraction of a second, as stored live
LEVELS = [{"targets": ["user:alice"], "escalate_after_seconds": 300},
          {"targets": ["user:dave"], "escalate_after_seconds": 600, "name": "Tier 2 database"}]


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    """A session on the test's clean, migrated database (SQLite or PostgreSQL)."""
    engine = make_engine(db_url)
    with new_session(engine) as opened:
        yield opened
    engine.dispose()


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _configure(session: Session) -> None:
    session.add(EscalationPolicy(id="db-ladder", levels=LEVELS))
    session.add(Service(id="orders", name="Orders API", escalation_policy_id="db-ladder"))
    session.add_all([User(id=name, name=name.title()) for name in ("alice", "dave")])
    session.flush()


def _incident(session: Session) -> int:
    incident = Incident(service_id="orders", title="Orders DB | replication lag", severity="SEV1",
                        severity_rule="db-lag", severity_reason="rule db-lag: lag above 30s", status="resolved",
                        dedup_key="orders-lag", created_at=T0, acknowledged_at=at(245.6), acknowledged_by="dave",
                        resolved_at=at(3720), resolved_by="dave", commander="carol", escalation_policy_id="db-ladder",
                        ladder={"levels": LEVELS, "repeat": 0, "escalate_severities": ["SEV1"]})
    session.add(incident)
    session.flush()
    assert incident.id is not None
    return incident.id


def _history(session: Session, incident_id: int) -> None:
    session.add_all([
        Alert(incident_id=incident_id, service_id="orders", received_at=at(60), integration="grafana", action="trigger",
              dedup_key="orders-lag", summary="lag", source=None),
        Alert(incident_id=incident_id, service_id="orders", received_at=at(0), integration="alertmanager",
              action="trigger", dedup_key="orders-lag", summary="lag", source="prometheus-eu"),
        Alert(incident_id=incident_id, service_id="orders", received_at=at(30), integration="alertmanager",
              action="trigger", dedup_key="orders-lag", summary="lag", source="prometheus-eu"),
    ])
    # Written out of order, and two at the same instant: the review orders by time, then by id.
    for seconds, kind, actor, detail in [
        (3720, "resolved", "dave", ""),
        (0, "triggered", "alertmanager", "SEV3 (rule db-lag: lag above 30s)"),
        (0, "paged", "klaxon", "escalation level 1: paged alice (slack)"),
        (1, "notified", "klaxon", "slack page to alice sent via slack"),
        (150, "severity", "carol", "SEV3 -> SEV1"),
        (152, "escalated", "carol", "escalated by hand"),
        (152, "paged", "carol", "escalation level 2: paged dave (sms)"),
        (245.6, "acknowledged", "dave", ""),
        (600, "status_update", "carol", "Failing over to the replica."),
        (900, "note", "dave", "Lag came from a vacuum | fixed\nby hand"),
    ]:
        session.add(TimelineEntry(incident_id=incident_id, at=at(seconds), kind=kind, actor=actor, detail=detail))
        session.flush()
    session.add_all([
        Notification(incident_id=incident_id, step_key="esc:1", level=2, recipient="user:dave", user_id="dave",
                     channel="sms", status="delivered", created_at=at(152), due_at=at(152), sent_at=at(153),
                     delivered_at=at(155)),
        Notification(incident_id=incident_id, step_key="esc:0", level=1, recipient="user:alice", user_id="alice",
                     channel="slack", status="sent", created_at=at(0), due_at=at(0), sent_at=at(1)),
        Notification(incident_id=incident_id, step_key="trigger:0", level=0, recipient="slack:#ops", user_id=None,
                     channel="slack", status="failed", created_at=at(1800), due_at=at(1800),
                     error="channel_not_found"),
        Notification(incident_id=incident_id, step_key="handover:1", level=0, recipient="user:alice", user_id="alice",
                     channel="slack", status="sent", created_at=at(1900), due_at=at(1900), sent_at=at(1901),
                     notice="handed over"),
    ])
    session.commit()


def _count_statements(session: Session) -> list[str]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(session.get_bind(), "before_cursor_execute", count)
    return seen


def test_load_review_reads_the_incident_into_plain_ordered_data(session: Session) -> None:
    _configure(session)
    incident_id = _incident(session)
    _history(session, incident_id)
    session.expunge_all()  # read back from the database, not from the identity map
    statements = _count_statements(session)

    data = load_review(session, incident_id)

    assert data is not None
    assert len(statements) <= 5, statements
    assert (data.title, data.service, data.service_name, data.severity) == (
        "Orders DB | replication lag", "orders", "Orders API", "SEV1")
    assert data.alerts.count == 3 and data.alerts.sources == ("grafana", "prometheus-eu")
    assert (data.alerts.first_received_at, data.alerts.last_received_at) == (at(0), at(60))
    assert data.alerts.first_received_at.tzinfo is not None
    assert [(x.kind, x.at) for x in data.timeline][:3] == [("triggered", at(0)), ("paged", at(0)), ("notified", at(1))]
    assert data.timeline[-1].kind == "resolved"
    assert [(p.to, p.user, p.channel, p.level, p.notice) for p in data.pages] == [
        ("alice", "alice", "slack", 1, False), ("dave", "dave", "sms", 2, False), ("#ops", None, "slack", 0, False),
        ("alice", "alice", "slack", 0, True)]
    assert data.pages[2].error == "channel_not_found" and data.pages[1].delivered_at == at(155)
    assert dict(data.level_names) == {2: "Tier 2 database"}
    assert load_review(session, incident_id + 1) is None


def test_review_of_a_stored_incident_shows_its_key_lines(session: Session) -> None:
    _configure(session)
    incident_id = _incident(session)
    _history(session, incident_id)
    data = load_review(session, incident_id)
    assert data is not None

    text = render_review(data, now=at(7200)).splitlines()

    assert text[0] == f"# Incident {incident_id}: Orders DB | replication lag"
    assert "| Service | orders (Orders API) |" in text
    assert "| Created | 2026-12-03 14:05:09 |" in text
    assert "| Alerts | 3 (first 2026-12-03 14:05:09, last 2026-12-03 14:06:09) from grafana, prometheus-eu |" in text
    assert "- Opened as: SEV3 (rule db-lag: lag above 30s)" in text
    assert "  - 2026-12-03 14:07:39  carol: SEV3 -> SEV1" in text
    assert text[text.index("### 2026-12-03 14:05") + 2:][:2] == [
        "- 14:05:09  Triggered  alertmanager: SEV3 (rule db-lag: lag above 30s)",
        "- 14:05:09  Paged  klaxon: escalation level 1: paged alice (slack)"]
    assert not any("sent via slack" in line for line in text)
    assert "| 2026-12-03 14:07:41 | dave | sms | 2 (Tier 2 database) | delivered | 2026-12-03 14:07:42 |" in text
    assert "| 2026-12-03 14:35:09 | #ops | slack | open-time trigger | failed: channel_not_found | - |" in text
    assert "| 2026-12-03 14:36:49 | alice | slack | hand-over notice | sent | 2026-12-03 14:36:50 |" in text
    assert "- Time to acknowledge: 4m 05s" in text and "- Time to resolve: 1h 02m" in text
    assert "- People paged: 2 (alice, dave)" in text and "- Pages: 3 (sent 1, delivered 1, failed 1)" in text
    assert "- 2026-12-03 14:07:41  Paged  carol: escalation level 2 (Tier 2 database): paged dave (sms)" in text
    assert "- 2026-12-03 14:15:09  carol: Failing over to the replica." in text
    assert "- 2026-12-03 14:20:09  dave: Lag came from a vacuum | fixed<br>by hand" in text
    assert text[-3:] == ["## SLA", "", "No SLA policy applies."]
