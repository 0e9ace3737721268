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


def document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    query = [{"name": n, "in": "query", "schema": _STR} for n in ("status", "service", "severity")]
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
                           response=_obj(incidents={"type": "array", "items": _INCIDENT})),
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
            "/schedules/{id}/oncall": {"get": _op("Who is on call", "responder", params=[
                {"name": "id", "in": "path", "required": True, "schema": _STR},
                {"name": "at", "in": "query", "schema": _STR}],
                response=_obj(schedule=_STR, at=_STR, oncall={"type": "array", "items": _STR}))},
        },
    }


@bp.get("/api/v1/openapi.json")
def openapi_json() -> Any:
    """Serve the OpenAPI document."""
    return jsonify(document())
