"""GET /schedules, /schedules/<id>/oncall and /shifts give the pure functions' answers, and clear 4xx."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest

from app.platform.clock import utc_now
from schedules import gaps_between, oncall_at, shifts_between
from tests.integration.schedules_app.support import iso, stored_schedule, utc

# Handoffs (one second before, at, after), a DST change in each zone, a weekend and a night.
SAMPLES = [
    "2026-01-12T13:59:59Z", "2026-01-12T14:00:00Z", "2026-01-12T14:00:01Z",   # NY Monday 09:00 handoff (EST)
    "2026-03-09T12:59:59Z", "2026-03-09T13:00:00Z",                           # first handoff after US DST
    "2026-03-30T07:59:59Z", "2026-03-30T08:00:00Z", "2026-03-30T16:00:00Z",   # London after BST starts
    "2026-11-07T12:00:00Z", "2026-11-08T03:00:00Z",                           # weekend, night
]


@pytest.mark.parametrize("schedule_id", ["checkout-primary", "support-hours"])
def test_oncall_matches_the_pure_function_at_handoffs_and_dst(api: Any, responder: dict[str, str],
                                                             runtime: Any, schedule_id: str) -> None:
    schedule = stored_schedule(runtime, schedule_id)
    for at in SAMPLES:
        response = api.get(f"/api/v1/schedules/{schedule_id}/oncall?at={at}", headers=responder)
        assert response.status_code == 200, response.json
        assert response.json == {"schedule": schedule_id, "at": at, "oncall": list(oncall_at(schedule, utc(at)))}


def test_oncall_samples_see_both_people_and_nobody(runtime: Any, api: Any) -> None:
    # Guards the table above: it must exercise a handoff and a gap, or the comparison proves little.
    checkout, support = stored_schedule(runtime, "checkout-primary"), stored_schedule(runtime, "support-hours")
    assert {oncall_at(checkout, utc(at)) for at in SAMPLES} == {("alice",), ("bob",)}
    assert {oncall_at(support, utc(at)) for at in SAMPLES} == {(), ("bob",), ("carol",)}


def test_oncall_defaults_to_now(api: Any, responder: dict[str, str], runtime: Any) -> None:
    before = utc_now().replace(microsecond=0)
    body = api.get("/api/v1/schedules/checkout-primary/oncall", headers=responder).json
    assert before <= utc(body["at"]) <= utc_now()
    assert body["oncall"] == list(oncall_at(stored_schedule(runtime, "checkout-primary"), utc(body["at"])))


def test_oncall_reads_offsets_even_when_the_plus_is_not_escaped(api: Any, responder: dict[str, str]) -> None:
    escaped = api.get("/api/v1/schedules/checkout-primary/oncall?at=" + quote("2026-01-12T09:00:00+00:00"),
                      headers=responder).json
    unescaped = api.get("/api/v1/schedules/checkout-primary/oncall?at=2026-01-12T09:00:00+00:00",
                        headers=responder).json
    eastern = api.get("/api/v1/schedules/checkout-primary/oncall?at=2026-01-12T04:00:00-05:00",
                      headers=responder).json
    assert escaped == unescaped == eastern
    assert escaped["at"] == "2026-01-12T09:00:00Z"


@pytest.mark.parametrize("at, message", [
    ("yesterday", "at: 'yesterday' is not an ISO 8601 instant"),
    ("2026-13-01T00:00:00Z", "at: '2026-13-01T00:00:00Z' is not an ISO 8601 instant"),
    ("9999-12-31T23:00:00Z", "at: '9999-12-31T23:00:00Z' is out of range"),
])
def test_bad_at_is_400_saying_so(api: Any, responder: dict[str, str], at: str, message: str) -> None:
    response = api.get(f"/api/v1/schedules/checkout-primary/oncall?at={at}", headers=responder)
    assert response.status_code == 400
    assert response.json["error"].startswith(message)
    assert response.json["detail"] == {"field": "at"}


@pytest.mark.parametrize("path", ["/oncall", "/shifts", "/overrides"])
def test_unknown_schedule_is_404(api: Any, responder: dict[str, str], path: str) -> None:
    response = api.get(f"/api/v1/schedules/nope{path}", headers=responder)
    assert response.status_code == 404
    assert response.json["error"] == "unknown schedule 'nope'"


def test_reading_schedules_needs_a_token(api: Any) -> None:
    for path in ("/api/v1/schedules", "/api/v1/schedules/checkout-primary/oncall",
                 "/api/v1/schedules/checkout-primary/shifts"):
        response = api.get(path)
        assert response.status_code == 401
        assert "Bearer" in response.json["error"]


@pytest.mark.parametrize("schedule_id", ["checkout-primary", "support-hours"])
def test_shifts_and_gaps_match_the_pure_functions_across_dst(api: Any, responder: dict[str, str], runtime: Any,
                                                            schedule_id: str) -> None:
    start, end = "2026-03-01T00:00:00Z", "2026-04-15T00:00:00Z"
    body = api.get(f"/api/v1/schedules/{schedule_id}/shifts?start={start}&end={end}", headers=responder).json
    schedule = stored_schedule(runtime, schedule_id)
    assert body["schedule"] == schedule_id and (body["start"], body["end"]) == (start, end)
    assert body["shifts"] == [{"start": iso(s.start_at), "end": iso(s.end_at), "users": list(s.users)}
                              for s in shifts_between(schedule, utc(start), utc(end))]
    assert body["gaps"] == [{"start": iso(b), "end": iso(e)} for b, e in gaps_between(schedule, utc(start), utc(end))]
    assert body["shifts"], "the window must hold shifts for the comparison to mean anything"


def test_support_hours_has_gaps_and_checkout_has_none(api: Any, responder: dict[str, str]) -> None:
    window = "start=2026-03-02T00:00:00Z&end=2026-03-09T00:00:00Z"
    checkout = api.get(f"/api/v1/schedules/checkout-primary/shifts?{window}", headers=responder).json
    support = api.get(f"/api/v1/schedules/support-hours/shifts?{window}", headers=responder).json
    assert checkout["gaps"] == []
    # Monday 2 March: nobody until 09:00 London (GMT = UTC), then bob until 17:00.
    assert support["gaps"][0] == {"start": "2026-03-02T00:00:00Z", "end": "2026-03-02T09:00:00Z"}
    assert support["shifts"][0]["start"] == "2026-03-02T09:00:00Z"
    assert support["shifts"][0]["end"] == "2026-03-02T17:00:00Z"


def test_shifts_default_to_the_next_seven_days(api: Any, responder: dict[str, str]) -> None:
    before = utc_now().replace(microsecond=0)
    body = api.get("/api/v1/schedules/checkout-primary/shifts", headers=responder).json
    assert before <= utc(body["start"]) <= utc_now()
    assert utc(body["end"]) - utc(body["start"]) == timedelta(days=7)
    only_start = api.get("/api/v1/schedules/checkout-primary/shifts?start=2026-05-01T00:00:00Z",
                         headers=responder).json
    assert only_start["end"] == "2026-05-08T00:00:00Z"


@pytest.mark.parametrize("query, field, message", [
    ("start=2026-05-02T00:00:00Z&end=2026-05-01T00:00:00Z", "end", "end: must be after start"),
    ("start=2026-05-01T00:00:00Z&end=2026-05-01T00:00:00Z", "end", "end: must be after start"),
    ("start=2026-01-01T00:00:00Z&end=2027-01-03T00:00:00Z", "end", "end: the span from start to end may be at most 366"),
    ("start=soon", "start", "start: 'soon' is not an ISO 8601 instant"),
    ("start=2026-05-01T00:00:00Z&end=later", "end", "end: 'later' is not an ISO 8601 instant"),
    ("start=1969-12-31T00:00:00Z", "start", "start: '1969-12-31T00:00:00Z' is out of range"),
])
def test_bad_shift_windows_are_400_naming_the_field(api: Any, responder: dict[str, str], query: str, field: str,
                                                     message: str) -> None:
    response = api.get(f"/api/v1/schedules/checkout-primary/shifts?{query}", headers=responder)
    assert response.status_code == 400
    assert response.json["error"].startswith(message)
    assert response.json["detail"] == {"field": field}


def test_a_year_of_shifts_is_allowed(api: Any, responder: dict[str, str]) -> None:
    response = api.get("/api/v1/schedules/support-hours/shifts?start=2026-01-01T00:00:00Z&end=2027-01-02T00:00:00Z",
                       headers=responder)
    assert response.status_code == 200
    assert len(response.json["shifts"]) > 250


def test_schedules_are_listed_with_who_is_on_call_now(api: Any, responder: dict[str, str], runtime: Any) -> None:
    body = api.get("/api/v1/schedules", headers=responder).json
    now = utc_now()
    assert [s["id"] for s in body["schedules"]] == ["checkout-primary", "support-hours"]
    checkout = body["schedules"][0]
    assert checkout["time_zone"] == "America/New_York" and checkout["layers"] == ["weekly"]
    # Weekly handoffs: the answer can only differ if the request straddled Monday 09:00 New York.
    assert checkout["oncall"] == list(oncall_at(stored_schedule(runtime, "checkout-primary"), now))


def test_openapi_documents_the_schedule_paths(api: Any) -> None:
    paths = api.get("/api/v1/openapi.json").json["paths"]
    for path in ("/schedules", "/schedules/{schedule_id}/oncall", "/schedules/{schedule_id}/shifts",
                 "/schedules/{schedule_id}/overrides", "/schedules/{schedule_id}/overrides/{override_id}",
                 "/schedules/{schedule_id}.ics", "/users/{user_id}/shifts.ics", "/feeds"):
        assert "/api/v1" + path in paths
