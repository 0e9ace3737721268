"""Alerts in (CONTRACT section 4): every endpoint, every 4xx path, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import func, select

from app.models import Alert, Incident
from tests.support.config import CHECKOUT_KEY, PAYMENTS_KEY, apply_test_config, pd_trigger, run_first_steps


@pytest.fixture
def configured(runtime: Any, client: Any) -> Any:
    apply_test_config(runtime)
    return client


def count(runtime: Any, model: Any) -> int:
    with runtime.session() as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def test_pagerduty_trigger_opens_incident_and_answers_like_pagerduty(configured: Any, runtime: Any) -> None:
    response = configured.post("/v2/enqueue", json=pd_trigger(dedup_key="disk-full"))
    assert response.status_code == 202
    assert response.json == {"status": "success", "message": "Event processed", "dedup_key": "disk-full"}
    with runtime.session() as session:
        incident = session.exec(select(Incident)).one()
    assert (incident.status, incident.severity, incident.dedup_key) == ("triggered", "SEV1", "disk-full")
    assert incident.severity_reason


def test_trigger_without_dedup_key_gets_one_back(configured: Any) -> None:
    response = configured.post("/v2/enqueue", json=pd_trigger())
    assert response.status_code == 202
    assert len(response.json["dedup_key"]) >= 16


def test_same_dedup_key_attaches_to_the_open_incident(configured: Any, runtime: Any) -> None:
    for _ in range(3):
        assert configured.post("/v2/enqueue", json=pd_trigger(dedup_key="k1")).status_code == 202
    assert count(runtime, Incident) == 1
    assert count(runtime, Alert) == 3


def test_resolve_then_trigger_opens_a_new_incident(configured: Any, runtime: Any) -> None:
    configured.post("/v2/enqueue", json=pd_trigger(dedup_key="k1"))
    resolve = {"routing_key": CHECKOUT_KEY, "event_action": "resolve", "dedup_key": "k1"}
    assert configured.post("/v2/enqueue", json=resolve).status_code == 202
    configured.post("/v2/enqueue", json=pd_trigger(dedup_key="k1"))
    with runtime.session() as session:
        statuses = [i.status for i in session.exec(select(Incident).order_by(Incident.id)).all()]
    assert statuses == ["resolved", "triggered"]


def test_acknowledge_event_acknowledges(configured: Any, runtime: Any) -> None:
    configured.post("/v2/enqueue", json=pd_trigger(dedup_key="k1"))
    ack = {"routing_key": CHECKOUT_KEY, "event_action": "acknowledge", "dedup_key": "k1"}
    assert configured.post("/v2/enqueue", json=ack).status_code == 202
    with runtime.session() as session:
        incident = session.exec(select(Incident)).one()
    assert incident.status == "acknowledged"
    assert incident.acknowledged_by == "integration:pagerduty"


def test_ack_or_resolve_without_open_incident_is_accepted_stored_and_ignored(configured: Any, runtime: Any) -> None:
    for action in ("acknowledge", "resolve"):
        body = {"routing_key": CHECKOUT_KEY, "event_action": action, "dedup_key": "nothing-open"}
        response = configured.post("/v2/enqueue", json=body)
        assert response.status_code == 202
        assert response.json["dedup_key"] == "nothing-open"
    assert count(runtime, Incident) == 0
    assert count(runtime, Alert) == 2


@pytest.mark.parametrize(
    "body, needle",
    [
        ({"routing_key": CHECKOUT_KEY, "event_action": "explode", "payload": {}}, "event_action"),
        ({"routing_key": CHECKOUT_KEY, "event_action": "trigger"}, "payload"),
        ({"routing_key": CHECKOUT_KEY, "event_action": "trigger",
          "payload": {"summary": "x", "source": "y", "severity": "apocalyptic"}}, "severity"),
        ({"routing_key": CHECKOUT_KEY, "event_action": "trigger",
          "payload": {"source": "y", "severity": "error"}}, "summary"),
        ({"routing_key": CHECKOUT_KEY, "event_action": "resolve"}, "dedup_key"),
        ({"event_action": "trigger", "payload": {"summary": "x", "source": "y", "severity": "error"}}, "routing_key"),
    ],
)
def test_invalid_pagerduty_event_is_400_saying_what_is_wrong(configured: Any, runtime: Any, body: dict[str, Any],
                                                             needle: str) -> None:
    response = configured.post("/v2/enqueue", json=body)
    assert response.status_code == 400
    assert response.json["status"] == "invalid event"
    assert any(needle in error for error in response.json["errors"]), response.json
    assert count(runtime, Alert) == 0


def test_unknown_routing_key_is_400_as_pagerduty_does(configured: Any, runtime: Any) -> None:
    response = configured.post("/v2/enqueue", json=pd_trigger(key="f" * 32))
    assert response.status_code == 400
    assert response.json["status"] == "invalid event"
    assert "Invalid routing key" in response.json["errors"]
    assert count(runtime, Alert) == 0


def test_malformed_json_is_400(configured: Any) -> None:
    response = configured.post("/v2/enqueue", data=b"{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json["status"] == "invalid event"
    assert "not valid JSON" in response.json["message"]


def test_json_that_is_not_an_object_is_400(configured: Any) -> None:
    response = configured.post("/v2/enqueue", json=[1, 2])
    assert response.status_code == 400
    assert "JSON object" in response.json["errors"][0]


@pytest.mark.parametrize("path", ["/v2/enqueue", f"/integrations/generic/{CHECKOUT_KEY}",
                                  f"/integrations/alertmanager/{CHECKOUT_KEY}", f"/integrations/grafana/{CHECKOUT_KEY}"])
def test_body_over_512_kb_is_413_and_stores_nothing(configured: Any, runtime: Any, path: str) -> None:
    body = json.dumps(pd_trigger(summary="x" * (600 * 1024)))
    response = configured.post(path, data=body, content_type="application/json")
    assert response.status_code == 413
    assert "512 KB" in json.dumps(response.json)
    assert count(runtime, Alert) == 0


def test_key_over_its_rate_is_429_with_retry_after(configured: Any, runtime: Any) -> None:
    body = {"summary": "payments slow", "severity": "warning"}
    for _ in range(3):
        assert configured.post(f"/integrations/generic/{PAYMENTS_KEY}", json=body).status_code == 202
    response = configured.post(f"/integrations/generic/{PAYMENTS_KEY}", json=body)
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert "rate limit" in response.json["error"]
    assert count(runtime, Alert) == 3


def test_pagerduty_endpoint_over_rate_is_429(configured: Any) -> None:
    for _ in range(3):
        configured.post("/v2/enqueue", json=pd_trigger(key=PAYMENTS_KEY))
    response = configured.post("/v2/enqueue", json=pd_trigger(key=PAYMENTS_KEY))
    assert response.status_code == 429
    assert response.headers["Retry-After"]
    assert response.json["status"] == "throttle event"


@pytest.mark.parametrize("kind", ["generic", "alertmanager", "grafana"])
def test_unknown_key_on_webhooks_is_404(configured: Any, kind: str) -> None:
    response = configured.post(f"/integrations/{kind}/{'9' * 32}", json={"summary": "x"})
    assert response.status_code == 404
    assert response.json["error"] == "unknown integration key"


def test_generic_event_classified_by_summary_rule(configured: Any, runtime: Any) -> None:
    response = configured.post(f"/integrations/generic/{CHECKOUT_KEY}",
                               json={"summary": "Checkout unavailable in eu-west", "severity": "warning",
                                     "labels": {"env": "staging"}})
    assert response.status_code == 202
    with runtime.session() as session:
        incident = session.get(Incident, response.json["incident_id"])
    assert incident is not None
    assert (incident.severity, incident.severity_rule) == ("SEV2", "outage-words")


@pytest.mark.parametrize("body, needle", [
    ({"severity": "error"}, "summary"),
    ({"summary": "x", "labels": "env=prod"}, "labels"),
    ({"summary": "x", "action": "explode"}, "action"),
])
def test_invalid_generic_event_is_400(configured: Any, runtime: Any, body: dict[str, Any], needle: str) -> None:
    response = configured.post(f"/integrations/generic/{CHECKOUT_KEY}", json=body)
    assert response.status_code == 400
    assert needle in json.dumps(response.json)
    assert count(runtime, Alert) == 0


def test_webhook_malformed_json_is_400(configured: Any) -> None:
    response = configured.post(f"/integrations/generic/{CHECKOUT_KEY}", data=b"nope", content_type="application/json")
    assert response.status_code == 400
    assert "not valid JSON" in response.json["error"]


def alertmanager_body(status: str = "firing") -> dict[str, Any]:
    return {
        "version": "4", "groupKey": '{}:{alertname="HighLatency"}', "truncatedAlerts": 0, "status": status,
        "receiver": "klaxon", "groupLabels": {"alertname": "HighLatency"},
        "commonLabels": {"alertname": "HighLatency", "severity": "critical", "env": "prod"},
        "commonAnnotations": {"summary": "p99 latency above 2s"}, "externalURL": "http://alertmanager:9093",
        "alerts": [{"status": status, "labels": {"alertname": "HighLatency", "severity": "critical", "env": "prod",
                                                 "instance": "web-1"},
                    "annotations": {"summary": "p99 latency above 2s"}, "startsAt": "2026-11-22T10:00:00Z",
                    "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus:9090/graph",
                    "fingerprint": "c2a2d2b6b3a2e1f0"}],
    }


def test_alertmanager_group_opens_one_incident_and_resolves_it(configured: Any, runtime: Any) -> None:
    path = f"/integrations/alertmanager/{CHECKOUT_KEY}"
    assert configured.post(path, json=alertmanager_body()).status_code == 202
    assert configured.post(path, json=alertmanager_body()).status_code == 202
    with runtime.session() as session:
        incident = session.exec(select(Incident)).one()
    assert (incident.severity, incident.severity_rule) == ("SEV1", "prod-critical")
    assert configured.post(path, json=alertmanager_body("resolved")).status_code == 202
    with runtime.session() as session:
        assert session.exec(select(Incident)).one().status == "resolved"
    assert count(runtime, Alert) == 3


def test_alertmanager_wrong_version_is_400(configured: Any) -> None:
    body = alertmanager_body() | {"version": "3"}
    response = configured.post(f"/integrations/alertmanager/{CHECKOUT_KEY}", json=body)
    assert response.status_code == 400
    assert "version" in json.dumps(response.json)


def test_grafana_alert_opens_incident(configured: Any, runtime: Any) -> None:
    body = {
        "receiver": "klaxon", "status": "firing", "orgId": 1, "groupKey": '{}:{alertname="DiskFull"}',
        "groupLabels": {"alertname": "DiskFull"}, "commonLabels": {"alertname": "DiskFull", "severity": "warning"},
        "commonAnnotations": {"summary": "disk 95% full"}, "externalURL": "http://grafana:3000/",
        "version": "1", "title": "[FIRING:1] DiskFull", "state": "alerting", "message": "disk 95% full",
        "truncatedAlerts": 0,
        "alerts": [{"status": "firing", "labels": {"alertname": "DiskFull", "severity": "warning"},
                    "annotations": {"summary": "disk 95% full"}, "startsAt": "2026-11-22T10:00:00Z",
                    "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://grafana:3000/alerting/1/edit",
                    "fingerprint": "abc", "silenceURL": "", "dashboardURL": "", "panelURL": "", "values": {},
                    "valueString": ""}],
    }
    response = configured.post(f"/integrations/grafana/{CHECKOUT_KEY}", json=body)
    assert response.status_code == 202, response.json
    with runtime.session() as session:
        assert session.exec(select(Incident)).one().severity == "SEV3"


def test_grafana_invalid_body_is_400(configured: Any) -> None:
    response = configured.post(f"/integrations/grafana/{CHECKOUT_KEY}", json={"status": "firing"})
    assert response.status_code == 400
    assert response.json["error"]


def test_the_intake_stores_the_alert_and_leaves_paging_to_the_worker(configured: Any, runtime: Any) -> None:
    """Storing an alert never depends on paging: the request commits the incident, its alert and its
    timeline line, and queues the wake-up of step 0; nobody is paged inside the request."""
    from rq import Queue

    from app.models import Notification, TimelineEntry

    assert configured.post("/v2/enqueue", json=pd_trigger(dedup_key="k1")).status_code == 202
    assert (count(runtime, Incident), count(runtime, Alert), count(runtime, Notification)) == (1, 1, 0)
    with runtime.session() as session:
        incident = session.exec(select(Incident)).one()
        kinds = [e.kind for e in session.exec(select(TimelineEntry)).all()]
    assert kinds == ["triggered"]
    assert incident.next_escalation_at == incident.created_at and incident.escalation_step == 0
    assert len(Queue("klaxon-escalation", connection=runtime.redis)) == 1
    run_first_steps(runtime)
    assert count(runtime, Notification) > 0


def test_a_lost_step_zero_wakeup_is_run_by_the_sweeper(configured: Any, runtime: Any) -> None:
    from datetime import timedelta

    from app.models import Notification
    from workers.sweeper import sweep_due_timers

    assert configured.post("/v2/enqueue", json=pd_trigger(dedup_key="k1")).status_code == 202
    runtime.redis.flushall()  # the wake-up is gone
    report = sweep_due_timers(runtime, grace=timedelta(0))
    assert report.steps == 1
    with runtime.session() as session:
        levels = {n.level for n in session.exec(select(Notification)).all()}
    assert 1 in levels
