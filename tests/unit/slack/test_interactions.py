"""Button presses: Slack's block_actions payload (form field `payload` holding JSON)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote_plus, urlencode

import pytest

from integrations.slack.interactions import SlackAction, SlackPayloadError, parse_interaction

# As Slack sends it for a button in a DM from the bot (trimmed of nothing we rely on).
PAYLOAD: dict[str, Any] = {
    "type": "block_actions",
    "user": {"id": "U0ALICE", "username": "alice", "name": "alice", "team_id": "T0KLAXON"},
    "api_app_id": "A0KLAXON",
    "token": "Shh_its_a_seekrit",
    "container": {"type": "message", "message_ts": "1700000000.000002", "channel_id": "D00000001",
                  "is_ephemeral": False},
    "trigger_id": "12466734323.1395872398.0102d8a9b7bf8e1b3cbcba8d4a9cd0c8",
    "team": {"id": "T0KLAXON", "domain": "klaxon-test"},
    "enterprise": None,
    "is_enterprise_install": False,
    "channel": {"id": "D00000001", "name": "directmessage"},
    "message": {"type": "message", "user": "U0KLAXONBOT", "ts": "1700000000.000002", "bot_id": "B0KLAXONBOT",
                "text": "[SEV1] #42 Checkout API 5xx (Checkout API): Triggered", "blocks": []},
    "state": {"values": {}},
    "response_url": "https://hooks.slack.com/actions/T0KLAXON/1234567890/abcdefABCDEF0123456789",
    "actions": [
        {"action_id": "ack", "block_id": "Bq9dD", "text": {"type": "plain_text", "text": "Acknowledge", "emoji": True},
         "value": "42", "style": "primary", "type": "button", "action_ts": "1700000031.123456"}
    ],
}


def body(payload: object) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def with_action(**changes: object) -> dict[str, object]:
    action = {**PAYLOAD["actions"][0], **changes}
    return {**PAYLOAD, "actions": [action]}


def test_acknowledge_press_in_a_dm_is_parsed() -> None:
    assert parse_interaction(body(PAYLOAD)) == SlackAction(
        action_id="ack",
        incident_id=42,
        slack_user_id="U0ALICE",
        channel_id="D00000001",
        message_ts="1700000000.000002",
        response_url="https://hooks.slack.com/actions/T0KLAXON/1234567890/abcdefABCDEF0123456789",
    )


def test_body_encoded_the_way_slack_does_with_plus_for_spaces_parses() -> None:
    raw = ("payload=" + quote_plus(json.dumps(PAYLOAD))).encode()
    assert parse_interaction(raw).action_id == "ack"


@pytest.mark.parametrize("action_id", ["resolve", "escalate"])
def test_resolve_and_escalate_presses_are_parsed(action_id: str) -> None:
    assert parse_interaction(body(with_action(action_id=action_id, value="7"))).incident_id == 7


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "missing 'payload'"),
        (b"token=abc", "missing 'payload'"),
        (b"payload=%7Bnot+json", "not JSON"),
        (b"payload=%5B%5D", "JSON object"),
        (body({**PAYLOAD, "type": "view_submission"}), "unsupported interaction type 'view_submission'"),
        (body({**PAYLOAD, "actions": []}), "non-empty list"),
        (body(with_action(action_id="delete_everything")), "unknown action_id 'delete_everything'"),
        (body(with_action(value="forty-two")), "numeric incident id"),
        (body(with_action(value="")), "numeric incident id"),
        (body(with_action(value="٤٢")), "numeric incident id"),  # Arabic-Indic digits are digits to Python
        (body({k: v for k, v in PAYLOAD.items() if k != "user"}), "missing 'user'"),
        (body({k: v for k, v in PAYLOAD.items() if k != "response_url"}), "missing 'response_url'"),
        (body({k: v for k, v in PAYLOAD.items() if k not in ("container", "channel")}), "channel_id"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_malformed_payloads_are_refused_with_a_clear_message(raw: bytes, message: str) -> None:
    with pytest.raises(SlackPayloadError, match=message.replace("(", r"\(")):
        parse_interaction(raw)
