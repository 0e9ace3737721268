"""The batch intake (CONTRACT section 8): up to 1,000 generic events, all or nothing, on both databases."""

from __future__ import annotations

from typing import Any

from rq import Queue
from sqlmodel import col, func, select

from app.models import Alert, Incident, Notification, TimelineEntry
from tests.support.config import CHECKOUT_KEY, apply_test_config, pd_trigger, run_first_steps

BATCH = f"/integrations/generic/{CHECKOUT_KEY}/batch"


def count(runtime: Any, model: Any) -> int:
    with runtime.session() as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def events(n: int, keys: int) -> list[dict[str, Any]]:
    return [{"summary": f"disk {i}", "severity": "critical", "dedup_key": f"disk-{i % keys}"} for i in range(n)]


def test_a_batch_opens_one_incident_per_key_and_keeps_every_event(runtime: Any, client: Any) -> None:
    apply_test_config(runtime)
    response = client.post(BATCH, json={"events": events(500, 250)})
    assert response.status_code == 202
    assert response.json["accepted"] == 500
    assert response.json["dedup_keys"] == [f"disk-{i % 250}" for i in range(500)]
    assert (count(runtime, Incident), count(runtime, Alert)) == (250, 500)
    with runtime.session() as session:
        per_incident = session.exec(select(Alert.incident_id, func.count()).group_by(col(Alert.incident_id))).all()
        kinds = sorted(set(session.exec(select(TimelineEntry.kind)).all()))
    assert {n for _, n in per_incident} == {2}
    assert kinds == ["alert", "triggered"]


def test_a_batch_joins_incidents_already_open(runtime: Any, client: Any) -> None:
    apply_test_config(runtime)
    assert client.post("/v2/enqueue", json=pd_trigger(dedup_key="disk-0")).status_code == 202
    assert client.post(BATCH, json={"events": events(4, 2)}).status_code == 202
    assert (count(runtime, Incident), count(runtime, Alert)) == (2, 5)


def test_one_wakeup_runs_step_zero_of_every_new_incident(runtime: Any, client: Any) -> None:
    apply_test_config(runtime)
    assert client.post(BATCH, json={"events": events(30, 10)}).status_code == 202
    assert count(runtime, Notification) == 0
    assert len(Queue("klaxon-escalation", connection=runtime.redis)) == 1
    run_first_steps(runtime)
    with runtime.session() as session:
        paged = session.exec(select(Notification.incident_id).where(col(Notification.level) == 1)).all()
    assert len(set(paged)) == 10


def test_a_bad_event_refuses_the_whole_batch_naming_its_index(runtime: Any, client: Any) -> None:
    apply_test_config(runtime)
    batch = events(5, 5)
    batch[3] = {"severity": "critical"}
    batch[4]["labels"] = {"env": 1}
    response = client.post(BATCH, json={"events": batch})
    assert response.status_code == 400
    errors = response.json["detail"]["errors"]
    assert errors[0].startswith("events[3].summary: is missing")
    assert errors[1].startswith("events[4].labels.env: must be a string")
    assert (count(runtime, Incident), count(runtime, Alert)) == (0, 0)


def test_batch_shape_and_size_are_checked(runtime: Any, client: Any) -> None:
    apply_test_config(runtime)
    too_many = client.post(BATCH, json={"events": events(1001, 10)})
    assert too_many.status_code == 400 and "1 to 1000 events, got 1001" in too_many.json["error"]
    assert client.post(BATCH, json={"events": []}).status_code == 400
    assert client.post(BATCH, json={"events": ["x"]}).json["detail"]["errors"] == [
        "events[0]: must be a JSON object, got string"]
    assert client.post(BATCH, json=[{"summary": "x"}]).status_code == 400
    assert client.post(f"/integrations/generic/{'9' * 32}/batch", json={"events": events(1, 1)}).status_code == 404
    assert count(runtime, Alert) == 0


def test_acknowledge_and_resolve_in_a_batch_apply_in_order(runtime: Any, client: Any) -> None:
    apply_test_config(runtime)
    batch = [{"summary": "db down", "dedup_key": "db"}, {"action": "resolve", "dedup_key": "db"},
             {"summary": "db down again", "dedup_key": "db"}]
    assert client.post(BATCH, json={"events": batch}).status_code == 202
    with runtime.session() as session:
        statuses = [i.status for i in session.exec(select(Incident).order_by(col(Incident.id))).all()]
    assert statuses == ["resolved", "triggered"]
    assert count(runtime, Alert) == 3


def test_a_batch_stores_the_same_rows_as_one_event_at_a_time(runtime: Any, client: Any) -> None:
    """The batch's bulk insert (PostgreSQL: one array per column) keeps every column as the single
    intake does: text, JSON (labels, details, links, the policy's ladder) and aware timestamps."""
    apply_test_config(runtime)
    event = {"summary": "disk full on db-1", "severity": "critical", "source": "db-1",
             "labels": {"env": "prod", "team": "storage"}, "details": {"used": 99.5, "mounts": ["/", "/var"]},
             "links": [{"href": "https://grafana.example/d/1", "text": "dashboard"}]}
    assert client.post(f"/integrations/generic/{CHECKOUT_KEY}", json=event | {"dedup_key": "one"}).status_code == 202
    assert client.post(BATCH, json={"events": [event | {"dedup_key": "many"}]}).status_code == 202

    def stored(model: Any, key_column: Any, key: str, skip: set[str]) -> dict[str, Any]:
        with runtime.session() as session:
            row = session.exec(select(model).where(key_column == key)).one()
            return {name: value for name, value in row.model_dump().items() if name not in skip}

    one_incident = stored(Incident, Incident.dedup_key, "one", {"id", "dedup_key", "open_dedup_key", "escalation_token",
                                                                "created_at", "next_escalation_at"})
    many_incident = stored(Incident, Incident.dedup_key, "many", {"id", "dedup_key", "open_dedup_key",
                                                                  "escalation_token", "created_at", "next_escalation_at"})
    assert one_incident == many_incident
    assert one_incident["ladder"] is not None and one_incident["details"]["labels"] == event["labels"]
    one_alert = stored(Alert, Alert.dedup_key, "one", {"id", "incident_id", "dedup_key", "received_at"})
    assert one_alert == stored(Alert, Alert.dedup_key, "many", {"id", "incident_id", "dedup_key", "received_at"})
    assert one_alert["details"] == event["details"] and one_alert["links"] == event["links"]
    with runtime.session() as session:
        for incident in session.exec(select(Incident)).all():
            assert incident.created_at.tzinfo is not None and incident.next_escalation_at == incident.created_at
        lines = session.exec(select(TimelineEntry.kind, TimelineEntry.actor, TimelineEntry.detail)
                             .order_by(col(TimelineEntry.id))).all()
    assert lines[0] == lines[1]
