"""REST API for schedules (CONTRACT section 6): who is on call, shifts and gaps, overrides, iCal feeds.

Calendar feeds (`.ics`) take either `Authorization: Bearer <API token>` or `?token=<feed token>`: calendar
apps cannot send headers, and a feed token (see `app.web.feed_tokens`) can read feeds and nothing else.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import wraps
from typing import Any, Callable, TypeVar
from urllib.parse import quote

from flask import Blueprint, Response, jsonify, request

from app.escalation import schedule_service as service
from app.escalation.oncall import load_schedule
from app.platform.clock import utc_now
from app.platform.errors import BadRequest, Unauthorized
from app.web.api_docs import documented
from app.web.api_models import (
    AtQuery,
    FeedQuery,
    FeedsOut,
    NewOverride,
    OnCallOut,
    OverrideOut,
    OverridePage,
    Paging,
    SchedulePage,
    ShiftsOut,
    WindowQuery,
)
from app.web.context import caller, db, json_body, requires, runtime
from app.web.feed_tokens import authenticate_feed, feed_token_for
from app.web.ical import feed_window, shifts_calendar
from app.web.paging import page_of_list
from schedules import shifts_between

bp = Blueprint("schedules", __name__, url_prefix="/api/v1")

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_SHIFTS_SPAN = timedelta(days=7)
OVERRIDE_FIELDS = ("user", "start", "end")


def feed_reader(view: F) -> F:
    """Let a bearer API token (any role) or a `?token=` feed token read a calendar feed."""
    with_bearer = requires("responder")(view)

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if request.headers.get("Authorization"):
            return with_bearer(*args, **kwargs)
        token = request.args.get("token")
        if not token:
            raise Unauthorized("calendar feeds need ?token=<feed token> (the URLs are listed by GET /api/v1/feeds) "
                               "or Authorization: Bearer <token>")
        authenticate_feed(db(), feed_token=token, secret_key=runtime().settings.secret_key)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@bp.get("/schedules")
@documented(answer=SchedulePage, query=Paging, tag="schedules")
@requires("responder")
def list_schedules() -> Any:
    """Every schedule, with who is on call now, a page at a time (by id)."""
    session, now = db(), _now()
    return jsonify(page_of_list("schedules", service.schedule_ids(session), lambda sid: sid,
                                lambda sid: service.schedule_summary(session, sid, now=now)))


@bp.get("/schedules/<schedule_id>/oncall")
@documented(answer=OnCallOut, query=AtQuery, tag="schedules")
@requires("responder")
def oncall(schedule_id: str) -> Any:
    """Who is on call at `?at=` (default now): `{"schedule", "at", "oncall"}`."""
    at = _query_instant("at") or _now()
    return jsonify(service.oncall_answer(db(), schedule_id=schedule_id, at=at))


@bp.get("/schedules/<schedule_id>/shifts")
@documented(answer=ShiftsOut, query=WindowQuery, tag="schedules")
@requires("responder")
def shifts(schedule_id: str) -> Any:
    """The final shifts and the gaps in [start, end); start defaults to now and end to start + 7 days."""
    start_at = _query_instant("start") or _now()
    end_at = _query_instant("end") or start_at + DEFAULT_SHIFTS_SPAN
    return jsonify(service.shifts_answer(db(), schedule_id=schedule_id, start_at=start_at, end_at=end_at))


@bp.get("/schedules/<schedule_id>/overrides")
@documented(answer=OverridePage, query=Paging, tag="schedules")
@requires("responder")
def list_overrides(schedule_id: str) -> Any:
    """The overrides that have not ended yet, by start, a page at a time."""
    rows = service.list_overrides(db(), schedule_id=schedule_id, now=utc_now())
    return jsonify(page_of_list("overrides", rows, lambda row: [row.start_at.isoformat(), row.id],
                                service.override_json, schedule=schedule_id))


@bp.post("/schedules/<schedule_id>/overrides")
@documented(ok=201, answer=OverrideOut, json=NewOverride, tag="schedules")
@requires("commander")
def create_override(schedule_id: str) -> Any:
    """Add an override: `{"user", "start", "end"}` (instants with an offset or Z); 201 with it."""
    body = json_body()
    unknown = sorted(set(body) - set(OVERRIDE_FIELDS))
    if unknown:
        raise BadRequest(f"{unknown[0]}: unknown field; an override has user, start and end",
                         detail={"field": unknown[0]})
    user = body.get("user")
    if not isinstance(user, str) or not user:
        raise BadRequest("user: is required and must be a user id", detail={"field": "user"})
    start_at = service.instant_field(body.get("start"), field="start", require_offset=True)
    end_at = service.instant_field(body.get("end"), field="end", require_offset=True)
    session = db()
    row = service.create_override(session, schedule_id=schedule_id, user_id=user, start_at=start_at,
                                  end_at=end_at, now=utc_now())
    session.commit()
    return jsonify(service.override_json(row)), 201


@bp.delete("/schedules/<schedule_id>/overrides/<int:override_id>")
@documented(ok=204, tag="schedules")
@requires("commander")
def delete_override(schedule_id: str, override_id: int) -> Any:
    """Remove an override added through the API; 204."""
    session = db()
    service.delete_override(session, schedule_id=schedule_id, override_id=override_id)
    session.commit()
    return "", 204


@bp.get("/schedules/<schedule_id>.ics")
@documented(query=FeedQuery, errors=(400, 401, 404), tag="schedules")
@feed_reader
def schedule_feed(schedule_id: str) -> Any:
    """iCalendar feed of a schedule's shifts, 30 days back to 180 days ahead."""
    schedule = load_schedule(db(), schedule_id)
    now = utc_now()
    start_at, end_at = feed_window(now)
    shifts = [(schedule_id, shift) for shift in shifts_between(schedule, start_at, end_at)]
    body = shifts_calendar(name=f"On call: {schedule_id}", feed=f"schedule:{schedule_id}", origin=_origin(),
                           shifts=shifts, now=now, time_zone=schedule.time_zone)
    return _calendar_response(body, schedule_id)


@bp.get("/users/<user_id>/shifts.ics")
@documented(query=FeedQuery, errors=(400, 401, 404), tag="schedules")
@feed_reader
def user_feed(user_id: str) -> Any:
    """iCalendar feed of one user's shifts across every schedule, 30 days back to 180 days ahead."""
    now = utc_now()
    start_at, end_at = feed_window(now)
    shifts = service.user_shifts(db(), user_id=user_id, start_at=start_at, end_at=end_at)
    body = shifts_calendar(name=f"On call: {user_id}'s shifts", feed=f"user:{user_id}", origin=_origin(),
                           shifts=shifts, now=now)
    return _calendar_response(body, f"{user_id}-shifts")


@bp.get("/feeds")
@documented(answer=FeedsOut, tag="schedules")
@requires("responder")
def feeds() -> Any:
    """The caller's read-only feed token and the calendar URLs to subscribe to."""
    session = db()
    api_token = (request.headers.get("Authorization") or "")[7:].strip()
    token = feed_token_for(session, api_token=api_token, secret_key=runtime().settings.secret_key)
    base = f"{_origin()}/api/v1"
    return jsonify({
        "token": token,
        "mine": f"{base}/users/{quote(caller().user_id, safe='')}/shifts.ics?token={token}",
        "schedules": [{"schedule": sid, "url": f"{base}/schedules/{quote(sid, safe='')}.ics?token={token}"}
                      for sid in service.schedule_ids(session)],
    })


def _now() -> datetime:
    # Whole seconds: the answer echoes the instant, and `...:00.123456Z` helps nobody.
    return utc_now().replace(microsecond=0)


def _query_instant(name: str) -> datetime | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    return service.instant_field(raw, field=name)


def _origin() -> str:
    return runtime().settings.public_url.rstrip("/")


def _calendar_response(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'inline; filename="{quote(filename, safe="")}.ics"'
    return response
