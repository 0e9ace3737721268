"""The iCalendar feeds: parsed back, they hold exactly the pure shifts; they never open without a credential."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from icalendar import Calendar
from sqlmodel import col, select

from app.models import ApiToken
from app.platform.clock import utc_now
from app.web.ical import feed_window
from schedules import shifts_between
from tests.integration.schedules_app.support import iso, stored_schedule

Event = tuple[datetime, datetime, str]


def parse(response: Any) -> Calendar:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/calendar"
    return Calendar.from_ical(response.get_data())


def events(calendar: Calendar) -> list[Event]:
    found = []
    for event in calendar.walk("VEVENT"):
        start, end = event.decoded("dtstart"), event.decoded("dtend")
        assert start.utcoffset() == timedelta(0) and end.utcoffset() == timedelta(0)
        found.append((start.astimezone(timezone.utc), end.astimezone(timezone.utc), str(event["summary"])))
    return sorted(found)


def window_of(calendar: Calendar) -> tuple[datetime, datetime]:
    # The window the server used: the one of the moment it wrote the feed (DTSTAMP).
    stamp = calendar.walk("VEVENT")[0].decoded("dtstamp")
    return feed_window(stamp)


def feed_token(api: Any, headers: dict[str, str]) -> str:
    return str(api.get("/api/v1/feeds", headers=headers).json["token"])


@pytest.mark.parametrize("schedule_id", ["checkout-primary", "support-hours"])
def test_schedule_feed_holds_one_event_per_pure_shift(api: Any, responder: dict[str, str], runtime: Any,
                                                      schedule_id: str) -> None:
    calendar = parse(api.get(f"/api/v1/schedules/{schedule_id}.ics", headers=responder))
    start_at, end_at = window_of(calendar)
    assert end_at - start_at == timedelta(days=210) and start_at < utc_now() < end_at
    expected = [(s.start_at, s.end_at, f"On call: {', '.join(s.users)} ({schedule_id})")
                for s in shifts_between(stored_schedule(runtime, schedule_id), start_at, end_at)]
    assert expected and events(calendar) == expected


def test_feed_has_what_google_and_outlook_need(api: Any, responder: dict[str, str]) -> None:
    response = api.get("/api/v1/schedules/checkout-primary.ics", headers=responder)
    calendar = parse(response)
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert str(calendar["version"]) == "2.0"
    assert str(calendar["prodid"]) == "-//Klaxon//On-call schedules//EN"
    assert str(calendar["method"]) == "PUBLISH"
    assert str(calendar["x-wr-calname"]) == "On call: checkout-primary"
    assert str(calendar["x-wr-timezone"]) == "America/New_York"
    raw = response.get_data(as_text=True)
    assert "\r\n" in raw and "DTSTART:" in raw and "Z\r\n" in raw  # UTC form, no TZID needing a VTIMEZONE
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in raw and "X-PUBLISHED-TTL:PT1H\r\n" in raw
    first = calendar.walk("VEVENT")[0]
    for name in ("uid", "dtstamp", "dtstart", "dtend", "summary"):
        assert name in first
    uids = [str(e["uid"]) for e in calendar.walk("VEVENT")]
    assert len(set(uids)) == len(uids)


def test_uids_are_stable_and_an_override_changes_only_the_events_it_touches(api: Any, commander: dict[str, str]) -> None:
    def uids_by_start() -> dict[datetime, tuple[str, str]]:
        calendar = parse(api.get("/api/v1/schedules/checkout-primary.ics", headers=commander))
        return {e.decoded("dtstart"): (str(e["uid"]), str(e["summary"])) for e in calendar.walk("VEVENT")}

    before = uids_by_start()
    assert uids_by_start() == before
    start = (utc_now() + timedelta(days=60)).replace(microsecond=0)
    body = {"user": "gina", "start": iso(start), "end": iso(start + timedelta(hours=4))}
    assert api.post("/api/v1/schedules/checkout-primary/overrides", json=body, headers=commander).status_code == 201
    after = uids_by_start()
    assert after[start][1] == "On call: gina (checkout-primary)"
    untouched = [when for when in before if when < start - timedelta(days=7)]
    assert untouched and all(after[when] == before[when] for when in untouched)


def test_user_feed_holds_that_users_shifts_from_every_schedule(api: Any, responder: dict[str, str],
                                                             runtime: Any) -> None:
    calendar = parse(api.get("/api/v1/users/bob/shifts.ics", headers=responder))
    start_at, end_at = window_of(calendar)
    expected = sorted(
        (s.start_at, s.end_at, f"On call: bob ({schedule_id})")
        for schedule_id in ("checkout-primary", "support-hours")
        for s in shifts_between(stored_schedule(runtime, schedule_id), start_at, end_at) if "bob" in s.users)
    assert {summary for _, _, summary in expected} == {"On call: bob (checkout-primary)", "On call: bob (support-hours)"}
    assert events(calendar) == expected
    assert str(calendar["x-wr-calname"]) == "On call: bob's shifts"


def test_user_feed_of_an_unknown_user_is_404(api: Any, responder: dict[str, str]) -> None:
    response = api.get("/api/v1/users/zed/shifts.ics", headers=responder)
    assert response.status_code == 404 and response.json["error"] == "unknown user 'zed'"


def test_schedule_feed_of_an_unknown_schedule_is_404(api: Any, responder: dict[str, str]) -> None:
    response = api.get("/api/v1/schedules/nope.ics", headers=responder)
    assert response.status_code == 404 and response.json["error"] == "unknown schedule 'nope'"


@pytest.mark.parametrize("path", ["/api/v1/schedules/checkout-primary.ics", "/api/v1/users/bob/shifts.ics"])
def test_feeds_without_a_credential_are_401(api: Any, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 401
    assert "?token=" in response.json["error"] and "GET /api/v1/feeds" in response.json["error"]


def test_feed_urls_carry_a_read_only_token_that_opens_every_feed(api: Any, responder: dict[str, str]) -> None:
    listed = api.get("/api/v1/feeds", headers=responder).json
    token = listed["token"]
    assert token.startswith("klxf_")
    assert listed["mine"] == f"http://klaxon.test/api/v1/users/carol/shifts.ics?token={token}"
    assert listed["schedules"] == [
        {"schedule": "checkout-primary", "url": f"http://klaxon.test/api/v1/schedules/checkout-primary.ics?token={token}"},
        {"schedule": "support-hours", "url": f"http://klaxon.test/api/v1/schedules/support-hours.ics?token={token}"},
    ]
    for url in [listed["mine"], *(entry["url"] for entry in listed["schedules"])]:
        assert parse(api.get(url.removeprefix("http://klaxon.test"))).walk("VEVENT")
    assert parse(api.get(f"/api/v1/users/alice/shifts.ics?token={token}"))
    assert feed_token(api, responder) == token  # derived, not stored: the same URL every time


def test_a_feed_token_opens_nothing_but_feeds(api: Any, responder: dict[str, str]) -> None:
    token = feed_token(api, responder)
    for path in ("/api/v1/schedules/checkout-primary/oncall", "/api/v1/schedules", "/api/v1/incidents"):
        assert api.get(f"{path}?token={token}").status_code == 401
        assert api.get(path, headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_an_api_token_in_the_url_is_refused_with_directions(api: Any, responder: dict[str, str]) -> None:
    api_token = responder["Authorization"].removeprefix("Bearer ")
    response = api.get(f"/api/v1/schedules/checkout-primary.ics?token={api_token}")
    assert response.status_code == 401
    assert response.json["error"] == ("?token= takes a read-only feed token (klxf_...), not an API token; "
                                      "get the feed URLs from GET /api/v1/feeds")


@pytest.mark.parametrize("forge", [
    lambda token: token[:-1] + ("0" if token[-1] != "0" else "1"),   # a wrong MAC
    lambda token: "klxf_999999_" + token.rsplit("_", 1)[1],          # another token's id
    lambda token: "klxf_x_y",
    lambda token: "klxf_" + "9" * 40 + "_abc",
])
def test_a_forged_feed_token_is_401(api: Any, responder: dict[str, str], forge: Any) -> None:
    response = api.get(f"/api/v1/schedules/checkout-primary.ics?token={forge(feed_token(api, responder))}")
    assert response.status_code == 401
    assert response.json["error"] == "unknown or revoked feed token"


def test_revoking_the_api_token_revokes_its_feed_token(api: Any, responder: dict[str, str], runtime: Any) -> None:
    token = feed_token(api, responder)
    assert api.get(f"/api/v1/schedules/checkout-primary.ics?token={token}").status_code == 200
    with runtime.session() as session:
        for row in session.exec(select(ApiToken).where(col(ApiToken.user_id) == "carol")).all():
            row.revoked_at = utc_now()
            session.add(row)
        session.commit()
    response = api.get(f"/api/v1/schedules/checkout-primary.ics?token={token}")
    assert response.status_code == 401 and response.json["error"] == "unknown or revoked feed token"


def test_the_feeds_listing_needs_a_bearer_token(api: Any) -> None:
    response = api.get("/api/v1/feeds")
    assert response.status_code == 401 and "Bearer" in response.json["error"]
