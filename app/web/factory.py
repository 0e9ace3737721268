"""The Flask application factory (`create_app`, as the Flask tutorial's flaskr does)."""

from __future__ import annotations

import logging

from flask import Flask

from app.platform.runtime import Runtime
from app.platform.settings import Settings
from app.web.context import close_session
from app.web.errors import register_error_handlers
from app.web.unread_body import DrainUnreadBody
from app.wiring import build_runtime

MAX_BODY = 512 * 1024


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> Flask:
    """Build the web app for `settings` (default: from the environment)."""
    settings = settings or (runtime.settings if runtime else Settings.from_env())
    app = Flask(__name__)
    app.config.update(SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=MAX_BODY, JSON_SORT_KEYS=False)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["klaxon"] = runtime or build_runtime(settings)
    app.teardown_appcontext(close_session)
    register_error_handlers(app)

    from app.web import health, inbound, incident_command, incidents, openapi, schedules, slack, twilio, web

    for blueprint in (inbound.bp, incidents.bp, incident_command.bp, schedules.bp, slack.bp, twilio.bp, health.bp,
                      openapi.bp, web.bp):
        app.register_blueprint(blueprint)
    app.wsgi_app = DrainUnreadBody(app.wsgi_app, MAX_BODY)  # type: ignore[method-assign]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return app

