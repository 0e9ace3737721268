"""REST API for incident command (CONTRACT section 6): responders, subscribers, status updates, the review."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from app.incidents import command
from app.incidents.review import render_review
from app.incidents.review_data import load_review
from app.platform.clock import utc_now
from app.platform.errors import BadRequest, NotFound
from app.web.api_docs import documented
from app.web.api_models import IncidentOut, Responders, StatusUpdate, Subscriber
from app.web.context import caller, db, json_body, requires
from app.web.incidents import commit_and_show

bp = Blueprint("incident_command", __name__, url_prefix="/api/v1")


@bp.post("/incidents/<int:incident_id>/responders")
@documented(answer=IncidentOut, json=Responders)
@requires("commander")
def add_responders(incident_id: int) -> Any:
    """Page more people without escalating: `{"targets": ["user:..", "schedule:.."], "message"}`."""
    body = json_body()
    message = body.get("message")
    if message is not None and not isinstance(message, str):
        raise BadRequest("message must be a string")
    return commit_and_show(command.add_responders(db(), incident_id=incident_id, targets=body.get("targets"),
                                                  message=message, user_id=caller().user_id, now=utc_now()))


@bp.post("/incidents/<int:incident_id>/status-updates")
@documented(ok=201, answer=IncidentOut, json=StatusUpdate)
@requires("commander")
def post_status_update(incident_id: int) -> Any:
    """Tell the subscribers and the incident's Slack channel how it stands: `{"text"}`."""
    text = json_body().get("text")
    if not isinstance(text, str):
        raise BadRequest("text is required and must be a string")
    return commit_and_show(command.post_status_update(db(), incident_id=incident_id, text=text,
                                                      user_id=caller().user_id, now=utc_now()), 201)


@bp.post("/incidents/<int:incident_id>/subscribers")
@documented(answer=IncidentOut, json=Subscriber)
@requires("responder")
def subscribe(incident_id: int) -> Any:
    """Add a user to the incident's status updates: `{"user"}`."""
    return commit_and_show(command.subscribe(db(), incident_id=incident_id, subscriber=_user(),
                                             user_id=caller().user_id, now=utc_now()))


@bp.delete("/incidents/<int:incident_id>/subscribers")
@documented(answer=IncidentOut, json=Subscriber)
@requires("responder")
def unsubscribe(incident_id: int) -> Any:
    """Remove a user from the incident's status updates: `{"user"}`."""
    return commit_and_show(command.unsubscribe(db(), incident_id=incident_id, subscriber=_user(),
                                               user_id=caller().user_id, now=utc_now()))


@bp.get("/incidents/<int:incident_id>/review.md")
@documented()
@requires("responder")
def review(incident_id: int) -> Any:
    """The post-incident review as Markdown."""
    data = load_review(db(), incident_id)
    if data is None:
        raise NotFound(f"no incident {incident_id}")
    return Response(render_review(data, now=utc_now()), mimetype="text/markdown")


def _user() -> str:
    user = json_body().get("user")
    if not isinstance(user, str):
        raise BadRequest("user is required and must be a user id")
    return user
