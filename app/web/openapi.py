"""The OpenAPI 3.1 document of the HTTP surface, at /api/v1/openapi.json (generated: app/web/api_docs.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from app.web.api_docs import document

bp = Blueprint("openapi", __name__)


@bp.get("/api/v1/openapi.json")
def openapi_json() -> Any:
    """Serve the OpenAPI document."""
    return jsonify(document())
