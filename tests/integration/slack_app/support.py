"""Helpers for the Slack app tests: a workspace config, Slack-signed requests, and reading what was sent."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from rq import Queue
from rq.job import Job
from sqlmodel import col, select

from app.models import Incident, Notification, TimelineEntry
from tests.support.config import CHECKOUT_KEY, pd_trigger, run_first_steps

SIGNING_SECRET = "8f742231b10e8888abcd99edcba85a5e"
LEGACY_KEY = "abcdefabcdefabcdefabcdefabcdef12"
PUBLIC_URL = "http://klaxon.test"

SLACK_CONFIG = f"""
users:
  - {{id: alice, name: Alice Ng, phone: "+14155550101", slack_user_id: UALICE}}
  - {{id: bob, name: Bob Li, phone: "+14155550102", slack_user_id: UBOB}}
  - {{id: carol, name: Carol Diaz, phone: "+14155550103", slack_user_id: UCAROL}}
  - {{id: dave, name: Dave Gone, phone: "+14155550104", slack_user_id: UDAVE}}
schedules:
  - id: checkout-primary
    time_zone: UTC
    layers:
      - name: daily
        rotation: {{type: daily, handoff: "00:00"}}
        start: 2026-01-01T00:00
        users: [carol]
escalation_policies:
  - id: checkout
    levels:
      - {{targets: ["user:alice", "user:bob"], escalate_after: 5m}}
      - {{targets: ["schedule:checkout-primary"]}}
  - id: legacy
    levels:
      - {{targets: ["user:dave"]}}
services:
  - id: checkout
    name: Checkout API
    escalation_policy: checkout
    slack_channel: "#checkout-alerts"
    integration_keys:
      - {{name: prometheus, key: "{CHECKOUT_KEY}"}}
  - id: legacy
    name: Legacy Billing
    escalation_policy: legacy
    integration_keys:
      - {{name: generic, key: "{LEGACY_KEY}"}}
"""

DETAILS = {"component": "checkout-api", "custom_details": {"region": "eu-west-1"}}
LINKS = ({"href": "https://grafana.example.com/d/checkout", "text": "Dashboard"},)


def trigger(client: Any, summary: str = "Checkout 5xx above 2%", *, severity: str = "error",
            dedup_key: str = "checkout-5xx", key: str = CHECKOUT_KEY) -> int:
    """Send a PagerDuty v2 trigger through the real endpoint; return the incident id."""
    body = pd_trigger(summary, dedup_key=dedup_key, severity=severity, key=key, component="checkout-api",
                      custom_details={"region": "eu-west-1"})
    body["links"] = list(LINKS)
    response = client.post("/v2/enqueue", json=body)
    assert response.status_code == 202, response.get_json()
    run_first_steps(client.application.extensions["klaxon"])
    return latest_incident_id(client)


def latest_incident_id(client: Any) -> int:
    """The newest incident's id."""
    runtime = client.application.extensions["klaxon"]
    with runtime.session() as session:
        incident = session.exec(select(Incident).order_by(col(Incident.id).desc())).first()
        assert incident is not None
        return int(incident.id or 0)


def sign(body: bytes, *, secret: str = SIGNING_SECRET, at: float | None = None) -> dict[str, str]:
    """Headers as Slack signs a request: v0 HMAC-SHA256 over `v0:<timestamp>:<body>` (computed here, not
    with our own verifier's helper, so the test checks it independently)."""
    timestamp = str(int(time.time() if at is None else at))
    digest = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}",
            "Content-Type": "application/x-www-form-urlencoded"}


def button_body(action_id: str, incident_id: int, *, user: str, provider_id: str) -> bytes:
    """A `block_actions` request body for one press, shaped as Slack sends it."""
    channel, _, ts = provider_id.partition(":")
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": "T0KLAXON"},
        "api_app_id": "A0KLAXON", "team": {"id": "T0KLAXON", "domain": "klaxon"},
        "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": False},
        "trigger_id": "1111.2222.abcd", "channel": {"id": channel}, "message": {"ts": ts, "type": "message"},
        "response_url": "https://hooks.slack.com/actions/T0KLAXON/1/abc",
        "actions": [{"type": "button", "action_id": action_id, "block_id": "actions", "value": str(incident_id),
                     "action_ts": "1700000001.000100"}],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def press(client: Any, action_id: str, incident_id: int, *, user: str, provider_id: str,
          headers: dict[str, str] | None = None) -> Any:
    """POST a signed button press to /slack/actions."""
    body = button_body(action_id, incident_id, user=user, provider_id=provider_id)
    return client.post("/slack/actions", data=body, headers=headers or sign(body))


def command_body(command: str, text: str, *, user: str = "UALICE", channel_id: str = "C0OTHER",
                 channel_name: str = "random") -> bytes:
    """A slash command request body, with the fields Slack sends."""
    return urlencode({
        "token": "deprecated-verification-token", "team_id": "T0KLAXON", "team_domain": "klaxon",
        "channel_id": channel_id, "channel_name": channel_name, "user_id": user, "user_name": user.lower(),
        "command": command, "text": text, "api_app_id": "A0KLAXON",
        "response_url": "https://hooks.slack.com/commands/T0KLAXON/1/abc", "trigger_id": "1111.2222.abcd",
    }).encode()


def slash(client: Any, command: str, text: str, **fields: str) -> Any:
    """POST a signed slash command to /slack/commands."""
    body = command_body(command, text, **fields)
    return client.post("/slack/commands", data=body, headers=sign(body))


def messages(runtime: Any, incident_id: int) -> dict[str, str]:
    """recipient -> provider id (`channel:ts`) of every Slack message sent for the incident."""
    with runtime.session() as session:
        rows = session.exec(select(Notification).where(
            col(Notification.incident_id) == incident_id, col(Notification.channel) == "slack",
            col(Notification.provider_id).is_not(None)).order_by(col(Notification.id))).all()
    return {row.recipient: row.provider_id or "" for row in rows}


def incident(runtime: Any, incident_id: int) -> Incident:
    """The incident as stored now."""
    with runtime.session() as session:
        found = session.get(Incident, incident_id)
        assert found is not None
        return found


def timeline(runtime: Any, incident_id: int) -> list[tuple[str, str, str]]:
    """(kind, actor, detail) of every timeline entry, in order."""
    with runtime.session() as session:
        rows = session.exec(select(TimelineEntry).where(col(TimelineEntry.incident_id) == incident_id)
                            .order_by(col(TimelineEntry.at), col(TimelineEntry.id))).all()
    return [(row.kind, row.actor, row.detail) for row in rows]


def scheduled_slack_jobs(runtime: Any) -> list[tuple[str, tuple[Any, ...], float]]:
    """(function, args, seconds from now) of every job waiting in the Slack queue's schedule."""
    registry = Queue("klaxon-deliver-slack", connection=runtime.redis).scheduled_job_registry
    now = datetime.now(timezone.utc)
    found = []
    for job_id in registry.get_job_ids():
        job = Job.fetch(job_id, connection=runtime.redis)
        at = registry.get_scheduled_time(job).replace(tzinfo=timezone.utc)
        found.append((str(job.func_name), tuple(job.args), (at - now).total_seconds()))
    return found
