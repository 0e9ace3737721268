"""Slack's requests to Klaxon: button presses (`POST /slack/actions`) and slash commands (`POST /slack/commands`).

Both are signed with SLACK_SIGNING_SECRET; the signature is checked over the raw body, within Slack's
300 s window, before anything is parsed: otherwise 401 and nothing changes (no secret configured is
401 too). Slack wants an answer within 3 seconds, so the database change is made here, inline (it
takes milliseconds and is durable before we answer), and every Slack call that follows (message
updates, thread replies, the presser's ephemeral answer) runs as a job on the deliver-slack queue.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from flask import Blueprint, jsonify, request
from sqlmodel import Session

from app.incidents.responders import act
from app.platform.clock import utc_now
from app.platform.errors import BadRequest, Unauthorized
from app.platform.queueing import SLACK_TELL_JOB, PendingJob, defer_job
from app.slack.commands import ACTIONS, NOT_LINKED, linked_user, run_command
from app.slack.incident_channel import SLACK_QUEUE
from app.web.api_docs import documented
from app.web.api_models import SlackAnswer, SlackCommand, SlackInteraction
from app.web.context import db, runtime
from integrations.slack import (
    SlackAction,
    SlackPayloadError,
    SlackSignatureError,
    ephemeral_reply,
    parse_interaction,
    verify_slack_request,
)

bp = Blueprint("slack", __name__)


@bp.post("/slack/actions")
@documented(form=SlackInteraction, bearer=False, errors=(400, 401), tag="slack")
def actions() -> Any:
    """A press of Acknowledge, Resolve or Escalate on a page message."""
    body = _verified_body()
    try:
        action = parse_interaction(body)
    except SlackPayloadError as error:
        raise BadRequest(f"not a Klaxon button press: {error}") from error
    session = db()
    press(session, action=action)
    session.commit()
    # Slack ignores the body of a block_actions answer; the presser hears back through tell_user.
    return "", 200


def press(session: Session, *, action: SlackAction) -> str:
    """Act on a button press as the presser's Klaxon user and queue their ephemeral answer."""
    user = linked_user(session, action.slack_user_id)
    if user is None:
        text = NOT_LINKED.format(slack_user_id=action.slack_user_id)
    else:
        outcome = act(session, incident_id=action.incident_id, user_id=user.id, action=ACTIONS[action.action_id],
                      now=utc_now())
        if not outcome.changed:
            session.rollback()  # e.g. a claimed manual escalation that found no level to page
        text = outcome.message
    defer_job(session, PendingJob(SLACK_QUEUE, SLACK_TELL_JOB, (action.channel_id, action.slack_user_id, text)))
    return text


@bp.post("/slack/commands")
@documented(answer=SlackAnswer, form=SlackCommand, bearer=False, errors=(400, 401), tag="slack")
def commands() -> Any:
    """`/oncall [schedule]` and `/incident <verb> ...`; the answer is shown to the sender only."""
    body = _verified_body()
    form = {key: values[-1] for key, values in parse_qs(body.decode("utf-8", "replace"),
                                                           keep_blank_values=True).items()}
    session = db()
    try:
        reply = run_command(session, form=form, now=utc_now())
    except SlackPayloadError as error:
        raise BadRequest(f"not a slash command: {error}") from error
    if reply.changed:
        session.commit()
    else:
        session.rollback()
    return jsonify(ephemeral_reply(reply.text))


def _verified_body() -> bytes:
    """The raw request body, once Slack's signature over it checks out; else Unauthorized."""
    body = request.get_data(cache=True)
    secret = runtime().settings.slack_signing_secret or ""
    try:
        verify_slack_request(secret, dict(request.headers), body, utc_now().timestamp())
    except SlackSignatureError as error:
        raise Unauthorized(f"Slack signature check failed: {error}", detail={"reason": error.reason}) from error
    return body
