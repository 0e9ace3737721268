"""REST API for incidents (CONTRACT section 6)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlmodel import col, select

from app.incidents import lifecycle as incidents
from app.incidents import severity as severities
from app.models import Incident, IncidentStatus, Service
from app.platform.clock import MissingOffset, parse_instant, utc_now
from app.platform.errors import BadRequest, NotFound
from app.platform.severity import SEVERITIES
from app.web.api_docs import documented
from app.web.api_models import (
    CommanderChange,
    Declare,
    Escalate,
    IncidentFilters,
    IncidentOut,
    IncidentPage,
    Note,
    SeverityChange,
)
from app.web.context import caller, db, json_body, requires
from app.web.incident_json_sql import incident_document
from app.web.paging import cursor_arg, limit_arg, page
from app.web.serialize import incident_full, incident_summary, read_incident

bp = Blueprint("incidents", __name__, url_prefix="/api/v1")



@bp.get("/incidents")
@documented(answer=IncidentPage, query=IncidentFilters)
@requires("responder")
def list_incidents() -> Any:
    """Incidents, newest first, filtered by status, service, severity and creation time, a page at a time."""
    query = select(Incident).order_by(col(Incident.id).desc())
    status = request.args.get("status")
    if status:
        wanted = [s.strip() for s in status.split(",")]
        bad = [s for s in wanted if s not in tuple(IncidentStatus)]
        if bad:
            raise BadRequest(f"unknown status {bad[0]!r}: use triggered, acknowledged or resolved")
        query = query.where(col(Incident.status).in_(wanted))
    if request.args.get("service"):
        query = query.where(col(Incident.service_id) == request.args["service"])
    if request.args.get("account"):
        of_account = select(Service.id).where(col(Service.account_id) == request.args["account"])
        query = query.where(col(Incident.service_id).in_(of_account))
    severity = request.args.get("severity")
    if severity:
        if severity not in SEVERITIES:
            raise BadRequest(f"unknown severity {severity!r}: use SEV1, SEV2, SEV3 or SEV4")
        query = query.where(col(Incident.severity) == severity)
    since, until = _instant_arg("since"), _instant_arg("until")
    if since is not None:
        query = query.where(col(Incident.created_at) >= since)
    if until is not None:
        query = query.where(col(Incident.created_at) < until)
    limit, after = limit_arg(), cursor_arg()
    if after is not None:
        if not isinstance(after, int):
            raise BadRequest("cursor is not one this server gave: use the `next` URL of the previous page")
        query = query.where(col(Incident.id) < after)
    rows = db().exec(query.limit(limit + 1)).all()
    return jsonify(page("incidents", rows, limit, lambda i: i.id, incident_summary))


def _instant_arg(name: str) -> datetime | None:
    """An ISO 8601 instant with an offset (`2026-12-01T00:00:00Z`), or BadRequest."""
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return parse_instant(raw, require_offset=True)
    except MissingOffset:
        raise BadRequest(f"{name} needs a UTC offset or Z: {raw!r}") from None
    except (ValueError, OverflowError):
        raise BadRequest(f"{name} must be an ISO 8601 time, such as 2026-12-01T00:00:00Z") from None


@bp.get("/incidents/<int:incident_id>")
@documented(answer=IncidentOut)
@requires("responder")
def get_incident(incident_id: int) -> Any:
    """One incident with its alerts, timeline and notifications."""
    return _show(incident_id)


@bp.post("/incidents")
@documented(ok=201, answer=IncidentOut, json=Declare)
@requires("commander")
def declare_incident() -> Any:
    """Declare an incident: `{"service", "title", "severity"}`."""
    body = json_body()
    for field in ("service", "title", "severity"):
        if not isinstance(body.get(field), str):
            raise BadRequest(f"{field} is required and must be a string")
    incident = incidents.declare(db(), service_id=body["service"], title=body["title"], severity=body["severity"],
                                 user_id=caller().user_id, now=utc_now())
    return commit_and_show(incident, 201)


@bp.post("/incidents/<int:incident_id>/acknowledge")
@documented(answer=IncidentOut)
@requires("responder")
def acknowledge(incident_id: int) -> Any:
    """Acknowledge: stops the escalation ladder."""
    return commit_and_show(incidents.acknowledge(db(), incident_id=incident_id, user_id=caller().user_id, now=utc_now()))


@bp.post("/incidents/<int:incident_id>/resolve")
@documented(answer=IncidentOut)
@requires("responder")
def resolve(incident_id: int) -> Any:
    """Resolve: stops everything."""
    return commit_and_show(incidents.resolve(db(), incident_id=incident_id, user_id=caller().user_id, now=utc_now()))


@bp.post("/incidents/<int:incident_id>/escalate")
@documented(answer=IncidentOut, json=Escalate)
@requires("commander")
def escalate(incident_id: int) -> Any:
    """`{"to": "next"}` pages the next level now; `{"to": "service:ID"}` hands over to another team;
    `{"to": "user:ID"}` reassigns to one person and ends the ladder."""
    body = request.get_json(silent=True) or {"to": "next"}
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object such as {\"to\": \"next\"}")
    to = body.get("to", "next")
    if to == "next":
        incident = incidents.escalate(db(), incident_id=incident_id, user_id=caller().user_id, now=utc_now())
    elif isinstance(to, str) and to.startswith("service:") and len(to) > 8:
        incident = incidents.reassign(db(), incident_id=incident_id, service_id=to[8:], user_id=caller().user_id,
                                      now=utc_now())
    elif isinstance(to, str) and to.startswith("user:") and len(to) > 5:
        incident = incidents.assign_to_user(db(), incident_id=incident_id, assignee=to[5:], user_id=caller().user_id,
                                            now=utc_now())
    else:
        raise BadRequest(f"`to` must be \"next\", \"service:ID\" or \"user:ID\", not {to!r}")
    return commit_and_show(incident)


@bp.post("/incidents/<int:incident_id>/notes")
@documented(ok=201, answer=IncidentOut, json=Note)
@requires("responder")
def add_note(incident_id: int) -> Any:
    """Add a note to the timeline: `{"text"}`."""
    text = json_body().get("text")
    if not isinstance(text, str):
        raise BadRequest("text is required and must be a string")
    return commit_and_show(incidents.add_note(db(), incident_id=incident_id, user_id=caller().user_id, text=text,
                                               now=utc_now()), 201)


@bp.post("/incidents/<int:incident_id>/severity")
@documented(answer=IncidentOut, json=SeverityChange)
@requires("commander")
def change_severity(incident_id: int) -> Any:
    """Change the severity: `{"severity": "SEV2"}`."""
    severity = json_body().get("severity")
    if not isinstance(severity, str):
        raise BadRequest("severity is required: one of SEV1, SEV2, SEV3, SEV4")
    return commit_and_show(severities.change_severity(db(), incident_id=incident_id, severity=severity,
                                                       user_id=caller().user_id, now=utc_now()))


@bp.post("/incidents/<int:incident_id>/commander")
@documented(answer=IncidentOut, json=CommanderChange)
@requires("commander")
def assign_commander(incident_id: int) -> Any:
    """Assign the incident commander: `{"user": "alice"}`."""
    user = json_body().get("user")
    if not isinstance(user, str):
        raise BadRequest("user is required and must be a user id")
    return commit_and_show(incidents.assign_commander(db(), incident_id=incident_id, commander_id=user,
                                                       user_id=caller().user_id, now=utc_now()))


def commit_and_show(incident: Incident, status: int = 200) -> Any:
    db().commit()
    return _show(incident.id or 0, status)


def _show(incident_id: int, status: int = 200) -> Any:
    """The incident as `GET /incidents/<id>` shows it: on PostgreSQL one statement builds the JSON."""
    session = db()
    if session.get_bind().dialect.name == "postgresql":
        document = incident_document(session, incident_id)
        if document is None:
            raise NotFound(f"no incident {incident_id}")
        return Response(document, status, mimetype="application/json")
    incident = read_incident(session, incident_id)
    if incident is None:
        raise NotFound(f"no incident {incident_id}")
    return jsonify(incident_full(session, incident)), status
