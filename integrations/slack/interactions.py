"""Button presses on page messages: Slack's `block_actions` interactivity payload, parsed and checked.

Slack POSTs `application/x-www-form-urlencoded` with one field, `payload`, holding JSON. Verify the
signature over the raw body first (integrations.slack.signature), then parse with this module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from integrations.slack.messages import ACTION_IDS


class SlackPayloadError(ValueError):
    """The interactivity payload is not a button press we understand; the message says what is wrong."""


@dataclass(frozen=True)
class SlackAction:
    """One press of Acknowledge / Resolve / Escalate on a page message."""

    action_id: str  # ack | resolve | escalate
    incident_id: int
    slack_user_id: str  # who pressed it
    channel_id: str  # where the message is (a D... id for DMs)
    message_ts: str  # with channel_id, the message to chat.update
    response_url: str  # where a follow-up reply can be posted for the next 30 minutes


def parse_interaction(form_body: bytes) -> SlackAction:
    """Parse a `block_actions` request body into the button that was pressed, or raise SlackPayloadError."""
    try:
        form = parse_qs(form_body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as exc:
        raise SlackPayloadError("request body is not UTF-8 form data") from exc
    raw = form.get("payload")
    if not raw or not raw[0].strip():
        raise SlackPayloadError("missing 'payload' form field")
    try:
        payload = json.loads(raw[0])
    except json.JSONDecodeError as exc:
        raise SlackPayloadError(f"'payload' is not JSON: {exc.msg}") from exc
    if not isinstance(payload, dict):
        raise SlackPayloadError("'payload' must be a JSON object")
    kind = payload.get("type")
    if kind != "block_actions":
        raise SlackPayloadError(f"unsupported interaction type {kind!r} (only block_actions)")
    return _action_from(payload)


def _action_from(payload: dict[str, Any]) -> SlackAction:
    actions = payload.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        raise SlackPayloadError("'actions' must be a non-empty list")
    # A button press carries exactly one action; Slack only batches for other element types.
    action = actions[0]
    action_id = action.get("action_id")
    if action_id not in ACTION_IDS:
        raise SlackPayloadError(f"unknown action_id {action_id!r} (expected one of {', '.join(ACTION_IDS)})")
    value = action.get("value")
    if not isinstance(value, str) or not value.strip().isdigit() or not value.strip().isascii():
        raise SlackPayloadError(f"action value must be a numeric incident id, got {value!r}")
    user = _obj(payload, "user")
    # container is where Slack says the message is; channel/message are the older places for it.
    container = _optional_obj(payload, "container")
    channel = _optional_obj(payload, "channel")
    message = _optional_obj(payload, "message")
    return SlackAction(
        action_id=action_id,
        incident_id=int(value.strip()),
        slack_user_id=_text(user.get("id"), "user.id"),
        channel_id=_text(container.get("channel_id") or channel.get("id"), "container.channel_id"),
        message_ts=_text(container.get("message_ts") or message.get("ts"), "container.message_ts"),
        response_url=_text(payload.get("response_url"), "response_url"),
    )


def _obj(payload: dict[str, Any], key: str) -> dict[str, Any]:
    value = payload.get(key)
    if not isinstance(value, dict):
        raise SlackPayloadError(f"missing '{key}' object")
    return value


def _optional_obj(payload: dict[str, Any], key: str) -> dict[str, Any]:
    value = payload.get(key)
    return value if isinstance(value, dict) else {}


def _text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise SlackPayloadError(f"missing '{name}'")
    return value
