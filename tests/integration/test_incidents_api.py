"""REST API for incidents (CONTRACT section 6): roles, filters, actions and every error answer."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.config import apply_test_config, make_token, pd_trigger, run_first_steps


@pytest.fixture
def api(runtime: Any, client: Any) -> Any:
    apply_test_config(runtime)
    return client


@pytest.fixture
def admin(runtime: Any) -> dict[str, str]:
    return make_token(runtime, "alice", "admin")


@pytest.fixture
def responder(runtime: Any) -> dict[str, str]:
    return make_token(runtime, "bob", "responder")


def open_incident(api: Any, dedup_key: str = "k1", severity: str = "critical") -> int:
    api.post("/v2/enqueue", json=pd_trigger(dedup_key=dedup_key, severity=severity))
    run_first_steps(api.application.extensions["klaxon"])
    return 1 if dedup_key == "k1" else 0


def test_no_token_is_401(api: Any) -> None:
    response = api.get("/api/v1/incidents")
    assert response.status_code == 401
    assert "Bearer" in response.json["error"]


def test_unknown_token_is_401(api: Any) -> None:
    response = api.get("/api/v1/incidents", headers={"Authorization": "Bearer klx_nope"})
    assert response.status_code == 401
    assert response.json["error"] == "unknown or revoked token"


def test_responder_cannot_declare(api: Any, responder: dict[str, str]) -> None:
    response = api.post("/api/v1/incidents", json={"service": "checkout", "title": "x", "severity": "SEV1"},
                        headers=responder)
    assert response.status_code == 403
    assert "commander" in response.json["error"]


def test_list_filters_by_status_service_and_severity(api: Any, admin: dict[str, str]) -> None:
    api.post("/v2/enqueue", json=pd_trigger(dedup_key="a", severity="critical"))
    api.post("/v2/enqueue", json=pd_trigger(dedup_key="b", severity="warning"))
    all_ = api.get("/api/v1/incidents", headers=admin).json["incidents"]
    assert [i["dedup_key"] for i in all_] == ["b", "a"]
    sev1 = api.get("/api/v1/incidents?severity=SEV1", headers=admin).json["incidents"]
    assert [i["dedup_key"] for i in sev1] == ["a"]
    assert api.get("/api/v1/incidents?service=payments", headers=admin).json["incidents"] == []
    assert len(api.get("/api/v1/incidents?status=triggered", headers=admin).json["incidents"]) == 2


@pytest.mark.parametrize("query, needle", [("status=open", "status"), ("severity=SEV9", "severity"),
                                           ("limit=abc", "limit"), ("limit=0", "limit")])
def test_bad_list_filters_are_400(api: Any, admin: dict[str, str], query: str, needle: str) -> None:
    response = api.get(f"/api/v1/incidents?{query}", headers=admin)
    assert response.status_code == 400
    assert needle in response.json["error"]


def test_get_incident_has_contract_fields(api: Any, admin: dict[str, str]) -> None:
    open_incident(api)
    body = api.get("/api/v1/incidents/1", headers=admin).json
    for field in ("id", "service", "title", "severity", "severity_reason", "status", "dedup_key", "created_at",
                  "acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by", "escalation_level",
                  "commander", "alerts", "timeline", "notifications"):
        assert field in body
    assert body["created_at"].endswith("Z")
    assert body["escalation_level"] == 1
    assert {"at", "kind", "actor", "detail"} <= set(body["timeline"][0])
    assert {"user", "channel", "level", "status", "created_at", "sent_at"} <= set(body["notifications"][0])


def test_get_unknown_incident_is_404(api: Any, admin: dict[str, str]) -> None:
    response = api.get("/api/v1/incidents/999", headers=admin)
    assert response.status_code == 404
    assert response.json["error"] == "no incident 999"


def test_declare_creates_and_pages(api: Any, admin: dict[str, str]) -> None:
    response = api.post("/api/v1/incidents", json={"service": "checkout", "title": "Checkout down", "severity": "SEV1"},
                        headers=admin)
    assert response.status_code == 201
    body = response.json
    assert (body["severity"], body["commander"], body["status"]) == ("SEV1", "alice", "triggered")
    assert body["notifications"], "declaring must page level 1"


@pytest.mark.parametrize("body, status, needle", [
    ({"service": "nope", "title": "x", "severity": "SEV1"}, 400, "unknown service"),
    ({"service": "checkout", "title": "x", "severity": "SEV9"}, 400, "severity"),
    ({"service": "checkout", "title": "  ", "severity": "SEV1"}, 400, "title"),
    ({"service": "checkout", "severity": "SEV1"}, 400, "title is required"),
])
def test_bad_declare_is_400(api: Any, admin: dict[str, str], body: dict[str, Any], status: int, needle: str) -> None:
    response = api.post("/api/v1/incidents", json=body, headers=admin)
    assert response.status_code == status
    assert needle in response.json["error"]
    assert api.get("/api/v1/incidents", headers=admin).json["incidents"] == []


def test_declare_with_non_json_body_is_400(api: Any, admin: dict[str, str]) -> None:
    response = api.post("/api/v1/incidents", data="hello", headers=admin)
    assert response.status_code == 400
    assert "JSON object" in response.json["error"]


def test_acknowledge_then_again_is_409(api: Any, responder: dict[str, str]) -> None:
    open_incident(api)
    first = api.post("/api/v1/incidents/1/acknowledge", headers=responder)
    assert first.status_code == 200
    assert (first.json["status"], first.json["acknowledged_by"]) == ("acknowledged", "bob")
    again = api.post("/api/v1/incidents/1/acknowledge", headers=responder)
    assert again.status_code == 409
    assert again.json["detail"]["acknowledged_by"] == "bob"


def test_resolve_then_acknowledge_is_409_status_never_moves_back(api: Any, responder: dict[str, str]) -> None:
    open_incident(api)
    assert api.post("/api/v1/incidents/1/resolve", headers=responder).json["status"] == "resolved"
    response = api.post("/api/v1/incidents/1/acknowledge", headers=responder)
    assert response.status_code == 409
    assert "already resolved" in response.json["error"]
    assert api.post("/api/v1/incidents/1/resolve", headers=responder).status_code == 409


def test_actions_on_unknown_incident_are_404(api: Any, admin: dict[str, str]) -> None:
    for action in ("acknowledge", "resolve", "escalate"):
        response = api.post(f"/api/v1/incidents/77/{action}", json={}, headers=admin)
        assert response.status_code == 404, action
        assert "no incident 77" == response.json["error"]


def test_notes_go_on_the_timeline(api: Any, responder: dict[str, str]) -> None:
    open_incident(api)
    response = api.post("/api/v1/incidents/1/notes", json={"text": "restarted the pods"}, headers=responder)
    assert response.status_code == 201
    notes = [t for t in response.json["timeline"] if t["kind"] == "note"]
    assert notes == [{"at": notes[0]["at"], "kind": "note", "actor": "bob", "detail": "restarted the pods"}]


@pytest.mark.parametrize("body", [{}, {"text": ""}, {"text": 5}])
def test_bad_note_is_400(api: Any, responder: dict[str, str], body: dict[str, Any]) -> None:
    open_incident(api)
    response = api.post("/api/v1/incidents/1/notes", json=body, headers=responder)
    assert response.status_code == 400
    assert "text" in response.json["error"]


def test_severity_change_and_bad_severity(api: Any, admin: dict[str, str], responder: dict[str, str]) -> None:
    open_incident(api)
    assert api.post("/api/v1/incidents/1/severity", json={"severity": "SEV2"}, headers=responder).status_code == 403
    bad = api.post("/api/v1/incidents/1/severity", json={"severity": "SEV0"}, headers=admin)
    assert bad.status_code == 400 and "severity" in bad.json["error"]
    good = api.post("/api/v1/incidents/1/severity", json={"severity": "SEV2"}, headers=admin)
    assert good.json["severity"] == "SEV2"
    assert "alice" in good.json["severity_reason"]


def test_commander_assignment(api: Any, admin: dict[str, str]) -> None:
    open_incident(api)
    bad = api.post("/api/v1/incidents/1/commander", json={"user": "zed"}, headers=admin)
    assert bad.status_code == 400 and "unknown user" in bad.json["error"]
    missing = api.post("/api/v1/incidents/1/commander", json={}, headers=admin)
    assert missing.status_code == 400
    assert api.post("/api/v1/incidents/1/commander", json={"user": "bob"}, headers=admin).json["commander"] == "bob"


@pytest.mark.parametrize("body, needle", [({"to": "sideways"}, "`to`"), ({"to": 3}, "`to`"),
                                          ({"to": "service:nope"}, "unknown service")])
def test_bad_escalate_target_is_400(api: Any, admin: dict[str, str], body: dict[str, Any], needle: str) -> None:
    open_incident(api)
    response = api.post("/api/v1/incidents/1/escalate", json=body, headers=admin)
    assert response.status_code == 400
    assert needle in response.json["error"]


def test_openapi_document_lists_the_incident_paths(api: Any) -> None:
    document = api.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.")
    assert "/api/v1/incidents/{incident_id}/acknowledge" in document["paths"]


def listed_ids(body: dict[str, Any]) -> list[int]:
    return [incident["id"] for incident in body["incidents"]]


def test_incidents_list_a_page_at_a_time_and_new_ones_do_not_shift_the_pages(api: Any, responder: dict[str, str]
                                                                             ) -> None:
    for n in range(5):
        assert api.post("/v2/enqueue", json=pd_trigger(dedup_key=f"page-{n}")).status_code == 202
    first = api.get("/api/v1/incidents?limit=2&status=triggered", headers=responder).json
    assert listed_ids(first) == [5, 4]
    api.post("/v2/enqueue", json=pd_trigger(dedup_key="arrived-meanwhile"))
    second = api.get(first["next"], headers=responder).json
    assert listed_ids(second) == [3, 2], "keyset: a new incident does not push the next page along"
    assert "status=triggered" in first["next"] and "limit=2" in first["next"]
    third = api.get(second["next"], headers=responder).json
    assert listed_ids(third) == [1] and third["next"] is None


def test_incidents_list_since_and_until(api: Any, responder: dict[str, str]) -> None:
    api.post("/v2/enqueue", json=pd_trigger(dedup_key="one"))
    created = api.get("/api/v1/incidents", headers=responder).json["incidents"][0]["created_at"]
    assert listed_ids(api.get(f"/api/v1/incidents?since={created}", headers=responder).json) == [1]
    assert listed_ids(api.get(f"/api/v1/incidents?until={created}", headers=responder).json) == []


@pytest.mark.parametrize("query, message", [
    ("cursor=not-a-cursor", "cursor is not one this server gave: use the `next` URL of the previous page"),
    ("since=yesterday", "since must be an ISO 8601 time, such as 2026-12-01T00:00:00Z"),
    ("until=2026-12-01T00:00:00", "until needs a UTC offset or Z: '2026-12-01T00:00:00'"),
    ("limit=1001", "limit must be between 1 and 1000"),
])
def test_bad_paging_arguments_are_400_saying_what_is_wrong(api: Any, responder: dict[str, str], query: str,
                                                           message: str) -> None:
    response = api.get(f"/api/v1/incidents?{query}", headers=responder)
    assert response.status_code == 400
    assert response.json["error"] == message
