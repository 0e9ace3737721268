"""The OpenAPI 3.1 document of the REST API, at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

bp = Blueprint("openapi", __name__)

_ERROR = {"$ref": "#/components/schemas/Error"}
_INCIDENT = {"$ref": "#/components/schemas/Incident"}


def _op(summary: str, role: str | None, ok: int = 200, body: dict[str, Any] | None = None,
        response: dict[str, Any] | None = None, params: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "responses": {str(ok): {"description": "OK", "content": {"application/json": {"schema": response or _INCIDENT}}}},
    }
    for code in (400, 401, 403, 404, 409):
        op["responses"][str(code)] = {"description": "Error", "content": {"application/json": {"schema": _ERROR}}}
    if role:
        op["security"] = [{"bearer": []}]
        op["description"] = f"Needs the {role} role or above."
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if params:
        op["parameters"] = params
    return op


def _obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(props)}


_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
_STR = {"type": "string"}


# Every list pages (CONTRACT section 6): `limit` and the opaque `cursor` of the previous page's `next`.
PAGING: list[dict[str, Any]] = [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
          {"name": "cursor", "in": "query", "schema": _STR}]
_NEXT = {"type": ["string", "null"], "description": "URL of the next page, or null on the last one"}


def _schedule_paths() -> dict[str, Any]:
    """Schedules: on call, shifts and gaps, overrides and the iCalendar feeds."""
    sid = {"name": "id", "in": "path", "required": True, "schema": _STR}
    span = {"type": "object", "properties": {"start": _STR, "end": _STR}}
    shift = {"type": "object", "properties": {"start": _STR, "end": _STR, "users": {"type": "array", "items": _STR}}}
    override = _obj(id={"type": "integer"}, schedule=_STR, user=_STR, start=_STR, end=_STR,
                    source={"enum": ["api", "config"]})
    feed_auth = ("Bearer API token (any role), or ?token= with the read-only feed token from GET /feeds "
                 "(calendar apps cannot send headers). Shifts from 30 days back to 180 days ahead.")
    token = {"name": "token", "in": "query", "schema": _STR}
    ics = {"summary": "", "description": feed_auth, "parameters": [sid, token],
           "responses": {"200": {"description": "iCalendar", "content": {"text/calendar": {"schema": _STR}}},
                         "401": {"description": "Error", "content": {"application/json": {"schema": _ERROR}}},
                         "404": {"description": "Error", "content": {"application/json": {"schema": _ERROR}}}}}
    return {
        "/schedules": {"get": _op("List schedules with who is on call now", "responder", params=PAGING, response=_obj(
            schedules={"type": "array", "items": _obj(id=_STR, time_zone=_STR, layers={"type": "array"},
                                                      oncall={"type": "array", "items": _STR})}, next=_NEXT))},
        "/schedules/{id}/oncall": {"get": _op("Who is on call (at defaults to now)", "responder", params=[
            sid, {"name": "at", "in": "query", "schema": _STR}],
            response=_obj(schedule=_STR, at=_STR, oncall={"type": "array", "items": _STR}))},
        "/schedules/{id}/shifts": {"get": _op(
            "Final shifts and gaps in [start, end); start defaults to now, end to start + 7 days, at most 366 days",
            "responder", params=[sid, {"name": "start", "in": "query", "schema": _STR},
                                 {"name": "end", "in": "query", "schema": _STR}],
            response=_obj(schedule=_STR, start=_STR, end=_STR, shifts={"type": "array", "items": shift},
                          gaps={"type": "array", "items": span}))},
        "/schedules/{id}/overrides": {
            "get": _op("Overrides that have not ended", "responder", params=[sid, *PAGING],
                       response=_obj(schedule=_STR, overrides={"type": "array", "items": override}, next=_NEXT)),
            "post": _op("Add an override (instants with an offset or Z; at most 90 days; must end in the future)",
                        "commander", 201, _obj(user=_STR, start=_STR, end=_STR), override, params=[sid]),
        },
        "/schedules/{id}/overrides/{oid}": {"delete": {**_op("Remove an API override", "commander", 204, params=[
            sid, {"name": "oid", "in": "path", "required": True, "schema": {"type": "integer"}}]),
            "responses": {"204": {"description": "Removed"}, "404": {"description": "Error"},
                          "409": {"description": "A configuration-file override"}}}},
        "/schedules/{id}.ics": {"get": {**ics, "summary": "iCalendar feed of a schedule's shifts"}},
        "/users/{id}/shifts.ics": {"get": {**ics, "summary": "iCalendar feed of one user's shifts"}},
        "/feeds": {"get": _op("The caller's read-only feed token and calendar URLs", "responder", response=_obj(
            token=_STR, mine=_STR, schedules={"type": "array", "items": _obj(schedule=_STR, url=_STR)}))},
    }


def document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    query: list[dict[str, Any]] = [{"name": n, "in": "query", "schema": _STR}
                                   for n in ("status", "service", "severity", "since", "until")]
    query += PAGING
    return {
        "openapi": "3.1.0",
        "info": {"title": "Klaxon API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "properties": {"error": _STR, "detail": {}}, "required": ["error"]},
                "Incident": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "service": _STR, "title": _STR, "severity": _STR,
                    "severity_reason": _STR, "status": {"enum": ["triggered", "acknowledged", "resolved"]},
                    "dedup_key": _STR, "created_at": _STR, "acknowledged_at": {"type": ["string", "null"]},
                    "acknowledged_by": {"type": ["string", "null"]}, "resolved_at": {"type": ["string", "null"]},
                    "resolved_by": {"type": ["string", "null"]}, "escalation_level": {"type": "integer"},
                    "commander": {"type": ["string", "null"]}, "alerts": {"type": "array"},
                    "timeline": {"type": "array"}, "notifications": {"type": "array"}}},
            },
        },
        "paths": {
            "/incidents": {
                "get": _op("List incidents", "responder", params=query,
                           response=_obj(incidents={"type": "array", "items": _INCIDENT}, next=_NEXT)),
                "post": _op("Declare an incident", "commander", 201,
                            _obj(service=_STR, title=_STR, severity={"enum": ["SEV1", "SEV2", "SEV3", "SEV4"]})),
            },
            "/incidents/{id}": {"get": _op("Get an incident", "responder", params=[_ID])},
            "/incidents/{id}/acknowledge": {"post": _op("Acknowledge", "responder", params=[_ID])},
            "/incidents/{id}/resolve": {"post": _op("Resolve", "responder", params=[_ID])},
            "/incidents/{id}/escalate": {"post": _op("Escalate to the next level or hand to a service", "commander",
                                                     body=_obj(to=_STR), params=[_ID])},
            "/incidents/{id}/notes": {"post": _op("Add a note", "responder", 201, _obj(text=_STR), params=[_ID])},
            "/incidents/{id}/severity": {"post": _op("Change severity", "commander", body=_obj(severity=_STR),
                                                     params=[_ID])},
            "/incidents/{id}/commander": {"post": _op("Assign the commander", "commander", body=_obj(user=_STR),
                                                      params=[_ID])},
            **_schedule_paths(),
        },
    }


@bp.get("/api/v1/openapi.json")
def openapi_json() -> Any:
    """Serve the OpenAPI document."""
    return jsonify(document())
