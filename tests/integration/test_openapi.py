"""The OpenAPI document is generated from the routes and their models: every route is in it, and the
models say what the API really answers (each checked against a real answer here)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from app.web import api_models as m
from tests.support.config import CHECKOUT_KEY, apply_test_config, make_token, pd_trigger, run_jobs


@pytest.fixture
def api(runtime: Any, client: Any) -> Any:
    apply_test_config(runtime)
    return client


def holds(model: type[BaseModel], body: Any) -> None:
    """The answer is exactly what the model says (Strict models refuse an extra field)."""
    model.model_validate(body)


def test_every_route_and_method_is_in_the_document(api: Any) -> None:
    document = api.get("/api/v1/openapi.json").json
    app = api.application
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "openapi.openapi_json"):
            continue
        path = rule.rule.replace("<int:", "<").replace("<", "{").replace(">", "}")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if method.lower() not in document["paths"].get(path, {}):
                missing.append(f"{method} {path}")
    assert missing == []
    assert len(document["paths"]) >= 30


def test_the_document_shows_paging_the_batch_intake_and_the_intake_refusals(api: Any) -> None:
    paths = api.get("/api/v1/openapi.json").json["paths"]
    listed = {p["name"] for p in paths["/api/v1/incidents"]["get"]["parameters"]}
    assert {"limit", "cursor", "status", "service", "severity", "since", "until"} <= listed
    assert {"413", "429", "202", "400"} <= set(paths["/v2/enqueue"]["post"]["responses"])
    assert "/integrations/generic/{key}/batch" in paths
    assert paths["/api/v1/incidents/{incident_id}"]["get"]["security"] == [{"bearer": []}]
    assert "security" not in paths["/healthz"]["get"] or paths["/healthz"]["get"]["security"] in ([], [{}])


def test_the_models_match_what_the_incident_api_answers(api: Any, runtime: Any) -> None:
    admin = make_token(runtime, "alice", "admin")
    accepted = api.post("/v2/enqueue", json=pd_trigger(dedup_key="k1", custom_details={"db": "orders"}))
    holds(m.PagerDutyAccepted, accepted.json)
    refused = api.post("/v2/enqueue", json={"routing_key": CHECKOUT_KEY, "event_action": "trigger"})
    assert refused.status_code == 400
    holds(m.PagerDutyRefused, refused.json)
    generic = api.post(f"/integrations/generic/{CHECKOUT_KEY}", json={"summary": "disk full", "severity": "error"})
    assert generic.status_code == 202, generic.json
    holds(m.EventAccepted, generic.json)
    batch = api.post(f"/integrations/generic/{CHECKOUT_KEY}/batch", json={"events": [{"summary": "one"}]})
    holds(m.BatchAccepted, batch.json)
    run_jobs(runtime)  # pages go out: notifications with sent_at
    api.post("/api/v1/incidents/1/notes", json={"text": "looking"}, headers=admin)
    holds(m.IncidentOut, api.get("/api/v1/incidents/1", headers=admin).json)
    holds(m.IncidentOut, api.post("/api/v1/incidents/1/acknowledge", json={}, headers=admin).json)
    holds(m.IncidentPage, api.get("/api/v1/incidents?limit=1", headers=admin).json)
    declared = api.post("/api/v1/incidents", json={"service": "checkout", "title": "x", "severity": "SEV2"}, headers=admin)
    assert declared.status_code == 201
    holds(m.IncidentOut, declared.json)
    holds(m.ErrorBody, api.get("/api/v1/incidents/999", headers=admin).json)
    holds(m.ErrorBody, api.get("/api/v1/incidents").json)
    holds(m.Alive, api.get("/healthz").json)
    holds(m.Readiness, api.get("/readyz").json)


def test_the_models_match_what_the_schedule_api_answers(api: Any, runtime: Any) -> None:
    admin = make_token(runtime, "alice", "admin")
    holds(m.SchedulePage, api.get("/api/v1/schedules", headers=admin).json)
    holds(m.OnCallOut, api.get("/api/v1/schedules/checkout-primary/oncall", headers=admin).json)
    holds(m.ShiftsOut, api.get("/api/v1/schedules/checkout-primary/shifts", headers=admin).json)
    created = api.post("/api/v1/schedules/checkout-primary/overrides", headers=admin, json={
        "user": "carol", "start": "2099-01-01T00:00:00Z", "end": "2099-01-02T00:00:00Z"})
    assert created.status_code == 201, created.json
    holds(m.OverrideOut, created.json)
    holds(m.OverridePage, api.get("/api/v1/schedules/checkout-primary/overrides", headers=admin).json)
    holds(m.FeedsOut, api.get("/api/v1/feeds", headers=admin).json)
