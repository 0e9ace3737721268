"""POST/DELETE /schedules/<id>/overrides: validation naming the field, roles, and the effect on paging."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from app.models import Incident, Notification, ScheduleOverride
from app.platform.clock import utc_now
from schedules import oncall_at, shifts_between
from tests.integration.schedules_app.support import iso, stored_schedule, utc
from tests.support.config import pd_trigger, run_first_steps

OVERRIDES = "/api/v1/schedules/checkout-primary/overrides"


def hours_from_now(hours: float) -> str:
    return iso((utc_now() + timedelta(hours=hours)).replace(microsecond=0))


def test_override_round_trip(api: Any, commander: dict[str, str], runtime: Any) -> None:
    start, end = hours_from_now(24), hours_from_now(30)
    created = api.post(OVERRIDES, json={"user": "carol", "start": start, "end": end}, headers=commander)
    assert created.status_code == 201
    override_id = created.json["id"]
    assert created.json == {"id": override_id, "schedule": "checkout-primary", "user": "carol", "start": start,
                            "end": end, "source": "api"}
    middle = iso(utc(start) + timedelta(hours=3))
    assert api.get(f"/api/v1/schedules/checkout-primary/oncall?at={middle}", headers=commander).json["oncall"] == ["carol"]
    listed = api.get(OVERRIDES, headers=commander).json
    assert listed == {"schedule": "checkout-primary", "overrides": [created.json], "next": None}
    shifts = api.get(f"/api/v1/schedules/checkout-primary/shifts?start={start}&end={end}", headers=commander).json
    assert shifts["shifts"] == [{"start": start, "end": end, "users": ["carol"]}]

    deleted = api.delete(f"{OVERRIDES}/{override_id}", headers=commander)
    assert deleted.status_code == 204 and deleted.get_data() == b""
    expected = list(oncall_at(stored_schedule(runtime, "checkout-primary"), utc(middle)))
    assert "carol" not in expected
    assert api.get(f"/api/v1/schedules/checkout-primary/oncall?at={middle}", headers=commander).json["oncall"] == expected
    assert api.get(OVERRIDES, headers=commander).json["overrides"] == []
    again = api.delete(f"{OVERRIDES}/{override_id}", headers=commander)
    assert again.status_code == 404
    assert again.json["error"] == f"schedule 'checkout-primary' has no override {override_id}"


def test_newest_override_wins_where_overrides_stack(api: Any, commander: dict[str, str], runtime: Any) -> None:
    wide = {"user": "carol", "start": hours_from_now(10), "end": hours_from_now(20)}
    narrow = {"user": "gina", "start": hours_from_now(12), "end": hours_from_now(14)}
    assert api.post(OVERRIDES, json=wide, headers=commander).status_code == 201
    assert api.post(OVERRIDES, json=narrow, headers=commander).status_code == 201
    body = api.get(f"/api/v1/schedules/checkout-primary/shifts?start={wide['start']}&end={wide['end']}",
                   headers=commander).json
    assert [(s["start"], s["end"], s["users"]) for s in body["shifts"]] == [
        (wide["start"], narrow["start"], ["carol"]), (narrow["start"], narrow["end"], ["gina"]),
        (narrow["end"], wide["end"], ["carol"])]
    schedule = stored_schedule(runtime, "checkout-primary")
    pure = shifts_between(schedule, utc(wide["start"]), utc(wide["end"]))
    assert [(iso(s.start_at), iso(s.end_at), list(s.users)) for s in pure] == [
        (s["start"], s["end"], s["users"]) for s in body["shifts"]]


def test_an_admin_may_add_overrides_too(api: Any, admin: dict[str, str]) -> None:
    response = api.post(OVERRIDES, json={"user": "gina", "start": hours_from_now(1), "end": hours_from_now(2)},
                        headers=admin)
    assert response.status_code == 201


def test_offsets_other_than_utc_are_stored_as_the_same_instant(api: Any, commander: dict[str, str]) -> None:
    start = (utc_now() + timedelta(days=2)).replace(microsecond=0)
    local_start = start.astimezone(ZoneInfo("Australia/Sydney")).isoformat()
    response = api.post(OVERRIDES, json={"user": "gina", "start": local_start, "end": iso(start + timedelta(hours=1))},
                        headers=commander)
    assert response.status_code == 201
    assert response.json["start"] == iso(start)


def bad_bodies() -> list[tuple[Any, str, str]]:
    soon, later = hours_from_now(1), hours_from_now(2)
    return [
        ({"start": soon, "end": later}, "user", "user: is required"),
        ({"user": 7, "start": soon, "end": later}, "user", "user: is required and must be a user id"),
        ({"user": "zed", "start": soon, "end": later}, "user", "user: unknown user 'zed'"),
        ({"user": "carol", "end": later}, "start", "start: must be an ISO 8601 instant string"),
        ({"user": "carol", "start": "tomorrow", "end": later}, "start", "start: 'tomorrow' is not an ISO 8601 instant"),
        ({"user": "carol", "start": "2030-01-01T09:00:00", "end": later}, "start",
         "start: '2030-01-01T09:00:00' needs a UTC offset or Z"),
        ({"user": "carol", "start": soon}, "end", "end: must be an ISO 8601 instant string"),
        ({"user": "carol", "start": later, "end": soon}, "end", "end: must be after start"),
        ({"user": "carol", "start": soon, "end": soon}, "end", "end: must be after start"),
        ({"user": "carol", "start": soon, "end": hours_from_now(24 * 91)}, "end",
         "end: the span from start to end may be at most 90 days"),
        ({"user": "carol", "start": hours_from_now(-5), "end": hours_from_now(-1)}, "end", "end: "),
        ({"user": "carol", "start": soon, "end": later, "reason": "pto"}, "reason", "reason: unknown field"),
    ]


@pytest.mark.parametrize("case", range(len(bad_bodies())))
def test_invalid_overrides_are_400_naming_the_field_and_change_nothing(api: Any, commander: dict[str, str],
                                                                      runtime: Any, case: int) -> None:
    body, field, message = bad_bodies()[case]
    response = api.post(OVERRIDES, json=body, headers=commander)
    assert response.status_code == 400
    assert response.json["error"].startswith(message)
    assert response.json["detail"] == {"field": field}
    with runtime.session() as session:
        assert session.exec(select(ScheduleOverride).where(col(ScheduleOverride.source) == "api")).all() == []


def test_an_override_that_already_ended_is_refused_as_in_the_past(api: Any, commander: dict[str, str]) -> None:
    body = {"user": "carol", "start": hours_from_now(-5), "end": hours_from_now(-1)}
    response = api.post(OVERRIDES, json=body, headers=commander)
    assert response.status_code == 400
    assert response.json["error"] == f"end: {body['end']} is in the past; an override must end in the future"


@pytest.mark.parametrize("data, message", [
    ("not json", "the body must be a JSON object (Content-Type: application/json)"),
    ("[1, 2]", "the body must be a JSON object, not list"),
])
def test_a_body_that_is_not_an_object_is_400(api: Any, commander: dict[str, str], data: str, message: str) -> None:
    response = api.post(OVERRIDES, data=data, content_type="application/json", headers=commander)
    assert response.status_code == 400
    assert response.json["error"] == message


def test_overrides_of_an_unknown_schedule_are_404(api: Any, commander: dict[str, str]) -> None:
    body = {"user": "carol", "start": hours_from_now(1), "end": hours_from_now(2)}
    created = api.post("/api/v1/schedules/nope/overrides", json=body, headers=commander)
    assert created.status_code == 404 and created.json["error"] == "unknown schedule 'nope'"
    deleted = api.delete("/api/v1/schedules/nope/overrides/1", headers=commander)
    assert deleted.status_code == 404 and deleted.json["error"] == "schedule 'nope' has no override 1"


def test_deleting_through_the_wrong_schedule_is_404_and_keeps_the_override(api: Any, commander: dict[str, str]) -> None:
    body = {"user": "carol", "start": hours_from_now(1), "end": hours_from_now(2)}
    override_id = api.post(OVERRIDES, json=body, headers=commander).json["id"]
    response = api.delete(f"/api/v1/schedules/support-hours/overrides/{override_id}", headers=commander)
    assert response.status_code == 404
    assert response.json["error"] == f"schedule 'support-hours' has no override {override_id}"
    assert [o["id"] for o in api.get(OVERRIDES, headers=commander).json["overrides"]] == [override_id]


def test_a_configuration_override_cannot_be_deleted_through_the_api(api: Any, commander: dict[str, str],
                                                                    runtime: Any) -> None:
    listed = api.get("/api/v1/schedules/support-hours/overrides", headers=commander).json["overrides"]
    assert [(o["user"], o["source"], o["start"]) for o in listed] == [("gina", "config", "2027-01-04T09:00:00Z")]
    response = api.delete(f"/api/v1/schedules/support-hours/overrides/{listed[0]['id']}", headers=commander)
    assert response.status_code == 409
    assert "configuration file" in response.json["error"] and "klaxon apply" in response.json["error"]
    with runtime.session() as session:
        assert session.get(ScheduleOverride, listed[0]["id"]) is not None


def test_responders_may_read_but_not_change_overrides(api: Any, responder: dict[str, str], commander: dict[str, str]) -> None:
    body = {"user": "carol", "start": hours_from_now(1), "end": hours_from_now(2)}
    refused = api.post(OVERRIDES, json=body, headers=responder)
    assert refused.status_code == 403
    assert refused.json["error"] == "this needs the commander role; your token is responder"
    override_id = api.post(OVERRIDES, json=body, headers=commander).json["id"]
    assert api.delete(f"{OVERRIDES}/{override_id}", headers=responder).status_code == 403
    assert api.get(OVERRIDES, headers=responder).status_code == 200
    assert api.post(OVERRIDES, json=body).status_code == 401
    assert api.delete(f"{OVERRIDES}/{override_id}").status_code == 401


def test_an_override_changes_who_gets_paged(api: Any, commander: dict[str, str], runtime: Any) -> None:
    scheduled = oncall_at(stored_schedule(runtime, "checkout-primary"), utc_now())
    assert scheduled in (("alice",), ("bob",))
    body = {"user": "gina", "start": hours_from_now(-0.5), "end": hours_from_now(1)}
    override_id = api.post(OVERRIDES, json=body, headers=commander).json["id"]
    assert api.post("/v2/enqueue", json=pd_trigger(dedup_key="covered")).status_code == 202
    run_first_steps(runtime)
    assert level_one_users(runtime) == {"gina"}

    assert api.delete(f"{OVERRIDES}/{override_id}", headers=commander).status_code == 204
    assert api.post("/v2/enqueue", json=pd_trigger(dedup_key="after-delete")).status_code == 202
    run_first_steps(runtime)
    assert level_one_users(runtime, dedup_key="after-delete") == set(scheduled)


def level_one_users(runtime: Any, dedup_key: str = "covered") -> set[str | None]:
    with runtime.session() as session:
        incident = session.exec(select(Incident).where(col(Incident.dedup_key) == dedup_key)).one()
        rows = session.exec(select(Notification).where(col(Notification.incident_id) == incident.id,
                                                       col(Notification.level) == 1)).all()
    assert rows, "level 1 must have paged someone"
    return {row.user_id for row in rows}


def test_overrides_list_a_page_at_a_time(api: Any, commander: dict[str, str]) -> None:
    created = [api.post(OVERRIDES, json={"user": "carol", "start": hours_from_now(24 + n), "end": hours_from_now(25 + n)},
                        headers=commander).json for n in range(3)]
    first = api.get(f"{OVERRIDES}?limit=2", headers=commander).json
    assert first["overrides"] == created[:2] and first["next"]
    second = api.get(first["next"], headers=commander).json
    assert second["overrides"] == created[2:] and second["next"] is None
