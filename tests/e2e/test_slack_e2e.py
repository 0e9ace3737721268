"""End to end with Slack: real `klaxon web` and `klaxon worker` processes talking to the Slack Web API
stand-in (served from this test process). An alert comes in, the on-call user's DM arrives with buttons,
a signed click acknowledges the incident and stops the escalation, and the message updates."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from sqlmodel import select

from app.escalation.oncall import oncall_users
from app.models import Incident, User
from app.platform.clock import utc_now
from tests.fakes.slack_api import RecordedRequest, SlackAPIStandIn, slack_api  # noqa: F401  (fixture)
from tests.support.config import apply_test_config, pd_trigger
from tests.support.processes import KlaxonProcesses, wait_for

pytestmark = pytest.mark.e2e

SIGNING_SECRET = "e2e0signing0secret0for0klaxon000"


def signed_press(action_id: str, incident_id: int, *, user: str, channel: str, ts: str) -> tuple[bytes, dict[str, str]]:
    """A block_actions body for one button press and the headers Slack would sign it with."""
    payload = {"type": "block_actions", "user": {"id": user}, "team": {"id": "T0KLAXON"},
               "container": {"type": "message", "channel_id": channel, "message_ts": ts},
               "response_url": "https://hooks.slack.com/actions/T0KLAXON/1/e2e",
               "actions": [{"type": "button", "action_id": action_id, "value": str(incident_id)}]}
    body = urlencode({"payload": json.dumps(payload)}).encode()
    timestamp = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return body, {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}",
                  "Content-Type": "application/x-www-form-urlencoded"}


def test_slack_page_acknowledged_by_a_button_with_real_processes(
    runtime: Any, klaxon: KlaxonProcesses, slack_api: SlackAPIStandIn  # noqa: F811
) -> None:
    for user in ("UALICE", "UBOB", "UGINA"):
        slack_api.add_user(user)
    slack_api.add_channel("checkout-alerts")
    apply_test_config(runtime)
    with runtime.session() as session:
        (oncall,) = oncall_users(session, "checkout-primary", utc_now())
        person = session.get(User, oncall)
        assert person is not None and person.slack_user_id
        slack_id = person.slack_user_id
    klaxon.extra_env.update(SLACK_BOT_TOKEN=slack_api.token, SLACK_API_URL=slack_api.url,
                            SLACK_SIGNING_SECRET=SIGNING_SECRET)
    klaxon.start_web()
    klaxon.start_worker()

    response = requests.post(f"{klaxon.base_url}/v2/enqueue", json=pd_trigger(dedup_key="slack-e2e"), timeout=10)
    assert response.status_code == 202

    def dm() -> RecordedRequest | None:
        for posted in slack_api.calls("chat.postMessage"):
            channel = slack_api.workspace.channels.get(posted.params["channel"], {})
            if channel.get("user") == slack_id and not posted.params.get("thread_ts"):
                return posted
        return None

    wait_for(lambda: dm() is not None, timeout=30, message=f"the DM to {slack_id}")
    page = dm()
    assert page is not None
    with runtime.session() as session:
        incident = session.exec(select(Incident)).one()
        incident_id, wakeup = incident.id or 0, (incident.escalation_token, incident.escalation_step)
    assert incident.next_escalation_at is not None  # level 2 is due in 5 minutes unless someone acknowledges
    assert [(b["action_id"], b["value"]) for b in page.params["blocks"][-1]["elements"]] == [
        ("ack", str(incident_id)), ("resolve", str(incident_id)), ("escalate", str(incident_id))]
    channel, ts = page.params["channel"], page.response["ts"]

    body, headers = signed_press("ack", incident_id, user=slack_id, channel=channel, ts=ts)
    click = requests.post(f"{klaxon.base_url}/slack/actions", data=body, headers=headers, timeout=10)
    assert click.status_code == 200

    with runtime.session() as session:
        acked = session.get(Incident, incident_id)
        assert acked is not None
        assert (acked.status, acked.acknowledged_by, acked.next_escalation_at) == ("acknowledged", oncall, None)

    def updated() -> bool:
        return any(u.params["channel"] == channel and u.params["ts"] == ts
                   and any(f"Acknowledged by {oncall}" in e["text"] for e in u.params["blocks"][-2]["elements"])
                   for u in slack_api.calls("chat.update"))

    wait_for(updated, timeout=30, message="chat.update of the DM")
    shown = slack_api.messages[(channel, ts)]
    assert [b["action_id"] for b in shown["blocks"][-1]["elements"]] == ["resolve", "escalate"]
    wait_for(lambda: any(r.params["user"] == slack_id for r in slack_api.calls("chat.postEphemeral")),
             timeout=30, message="the ephemeral answer to the click")
    # The escalation stopped: level 2's pending wake-up is stale now, and nobody else was paged.
    from workers.jobs import escalate

    assert escalate(incident_id, *wakeup) == "stale"
    with runtime.session() as session:
        final = session.get(Incident, incident_id)
        assert final is not None and final.escalation_level == 1 and final.next_escalation_at is None
