"""The one place errors become HTTP answers: JSON `{"error", "detail"}` with the right status."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from app.platform.errors import KlaxonError, RateLimited

log = logging.getLogger(__name__)


def register_error_handlers(app: Flask) -> None:
    """Map KlaxonError, HTTP errors and anything unexpected to JSON."""

    @app.errorhandler(KlaxonError)
    def klaxon_error(error: KlaxonError) -> Any:
        response = jsonify({"error": error.message, "detail": error.detail})
        response.status_code = error.status
        if isinstance(error, RateLimited):
            response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        message = error.description or error.name
        if error.code == 413:
            message = "the body is over the 512 KB limit"
        response = jsonify({"error": message, "detail": None})
        response.status_code = error.code or 500
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Any:
        log.exception("unhandled error")
        response = jsonify({"error": "internal error", "detail": None})
        response.status_code = 500
        return response
