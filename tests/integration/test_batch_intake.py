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
