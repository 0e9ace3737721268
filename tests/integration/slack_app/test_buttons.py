"""`POST /slack/actions`: signed button presses act as the presser's Klaxon user; anything else changes nothing."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Any

from rq import Queue
from sqlmodel import col, select

from app.models import Notification
from tests.fakes.slack_api import SlackAPIStandIn
from tests.integration.slack_app.pages import buttons
from tests.integration.slack_app.support import (
    button_body,
    incident,
    messages,
    press,
    sign,
    timeline,
    trigger,
)
from tests.support.config import run_jobs


def slack_queue_length(runtime: Any) -> int:
    return len(Queue("klaxon-deliver-slack", connection=runtime.redis))


def test_signed_press_acknowledges_as_the_linked_user_stops_escalation_and_answers_her_alone(
    runtime: Any, client: Any, slack_api: SlackAPIStandIn
) -> None:
    incident_id = trigger(client)
    run_jobs(runtime)
    alice_dm = messages(runtime, incident_id)["user:alice"]

    response = press(client, "ack", incident_id, user="UALICE", provider_id=alice_dm)

    assert response.status_code == 200 and response.get_data() == b""
    stored = incident(runtime, incident_id)
    assert (stored.status, stored.acknowledged_by, stored.next_escalation_at) == ("acknowledged", "alice", None)
    run_jobs(runtime)
    (told,) = slack_api.calls("chat.postEphemeral")
    assert told.params == {"channel": alice_dm.split(":")[0], "user": "UALICE",
                           "text": f"Incident {incident_id} acknowledged. Escalation stopped."}
    assert len(slack_api.calls("chat.update")) == 3
    shown = slack_api.messages[tuple(alice_dm.split(":"))]  # type: ignore[index]
    assert shown["blocks"][-1] == buttons(incident_id, "resolve", "escalate")


def test_wrong_signature_is_401_and_changes_nothing(runtime: Any, client: Any) -> None:
    incident_id = trigger(client)
    run_jobs(runtime)
    body = button_body("ack", incident_id, user="UALICE", provider_id=messages(runtime, incident_id)["user:alice"])

    forged = client.post("/slack/actions", data=body, headers=sign(body, secret="not-the-signing-secret"))
    tampered = client.post("/slack/actions", data=body.replace(b"ack", b"resolve", 1), headers=sign(body))

    for response in (forged, tampered):
        assert response.status_code == 401
        assert response.get_json()["detail"] == {"reason": "bad_signature"}
    assert incident(runtime, incident_id).status == "triggered"
    assert slack_queue_length(runtime) == 0


def test_request_older_than_five_minutes_is_401_and_changes_nothing(runtime: Any, client: Any) -> None:
    incident_id = trigger(client)
    run_jobs(runtime)
    body = button_body("ack", incident_id, user="UALICE", provider_id=messages(runtime, incident_id)["user:alice"])

    response = client.post("/slack/actions", data=body, headers=sign(body, at=time.time() - 301))

    assert response.status_code == 401
    assert response.get_json()["detail"] == {"reason": "stale_timestamp"}
    assert incident(runtime, incident_id).status == "triggered"
    assert slack_queue_length(runtime) == 0


def test_without_a_signing_secret_every_request_is_refused(runtime: Any, client: Any) -> None:
    incident_id = trigger(client)
    run_jobs(runtime)
    runtime.settings = replace(runtime.settings, slack_signing_secret=None)

    response = press(client, "ack", incident_id, user="UALICE",
                     provider_id=messages(runtime, incident_id)["user:alice"])

    assert response.status_code == 401
    assert response.get_json()["detail"] == {"reason": "not_configured"}
    assert incident(runtime, incident_id).status == "triggered"


def test_unknown_slack_user_gets_an_ephemeral_explanation_and_nothing_changes(
    runtime: Any, client: Any, slack_api: SlackAPIStandIn, alerts_channel: str
) -> None:
    slack_api.add_user("UNOBODY")
    slack_api.workspace.channels[alerts_channel]["members"].add("UNOBODY")
    incident_id = trigger(client)
    run_jobs(runtime)
    entries = timeline(runtime, incident_id)

    response = press(client, "resolve", incident_id, user="UNOBODY",
                     provider_id=messages(runtime, incident_id)["slack:#checkout-alerts"])

    assert response.status_code == 200
    assert incident(runtime, incident_id).status == "triggered"
    run_jobs(runtime)
    (told,) = slack_api.calls("chat.postEphemeral")
    assert told.params["channel"] == alerts_channel and told.params["user"] == "UNOBODY"
    assert told.params["text"].startswith("Your Slack account is not linked to a Klaxon user")
    assert "`slack_user_id: UNOBODY`" in told.params["text"]
    assert timeline(runtime, incident_id) == entries
    assert slack_api.calls("chat.update") == []


def test_two_people_pressing_acknowledge_at_once_acknowledge_once_and_both_messages_update(
    runtime: Any, flask_app: Any, client: Any, slack_api: SlackAPIStandIn
) -> None:
    incident_id = trigger(client)
    run_jobs(runtime)
    sent = messages(runtime, incident_id)
    start = threading.Barrier(2)
    answers: dict[str, int] = {}

    def click(user: str, recipient: str) -> None:
        own_client = flask_app.test_client()
        start.wait()
        answers[user] = press(own_client, "ack", incident_id, user=user, provider_id=sent[recipient]).status_code

    pressers = [threading.Thread(target=click, args=("UALICE", "user:alice")),
                threading.Thread(target=click, args=("UBOB", "user:bob"))]
    for presser in pressers:
        presser.start()
    for presser in pressers:
        presser.join(timeout=30)

    assert answers == {"UALICE": 200, "UBOB": 200}
    acks = [e for e in timeline(runtime, incident_id) if e[0] == "acknowledged"]
    assert len(acks) == 1
    winner = acks[0][1]
    loser = "bob" if winner == "alice" else "alice"
    run_jobs(runtime)
    updated = {f"{u.params['channel']}:{u.params['ts']}" for u in slack_api.calls("chat.update")}
    assert {sent["user:alice"], sent["user:bob"]} <= updated
    told = {r.params["user"]: r.params["text"] for r in slack_api.calls("chat.postEphemeral")}
    assert told == {f"U{winner.upper()}": f"Incident {incident_id} acknowledged. Escalation stopped.",
                    f"U{loser.upper()}": f"Incident {incident_id} was already acknowledged by {winner}."}


def test_escalate_pages_the_next_level_and_resolve_ends_it(
    runtime: Any, client: Any, slack_api: SlackAPIStandIn
) -> None:
    incident_id = trigger(client)
    run_jobs(runtime)
    bob_dm = messages(runtime, incident_id)["user:bob"]

    assert press(client, "escalate", incident_id, user="UBOB", provider_id=bob_dm).status_code == 200
    with runtime.session() as session:
        carol = session.exec(select(Notification.channel).where(
            col(Notification.incident_id) == incident_id, col(Notification.user_id) == "carol")).all()
    assert sorted(carol) == ["slack", "sms"]
    assert press(client, "resolve", incident_id, user="UBOB", provider_id=bob_dm).status_code == 200
    assert (incident(runtime, incident_id).status, incident(runtime, incident_id).resolved_by) == ("resolved", "bob")
    run_jobs(runtime)

    told = [r.params["text"] for r in slack_api.calls("chat.postEphemeral")]
    assert told == [f"Incident {incident_id} escalated to level 2.", f"Incident {incident_id} resolved."]
    replies = {r.params["text"] for r in slack_api.calls("chat.postMessage") if r.params.get("thread_ts")}
    assert "*Escalated* by bob: escalated by hand" in replies
    assert "*Resolved* by bob" in replies


def test_signed_request_that_is_not_a_button_press_is_400(runtime: Any, client: Any) -> None:
    body = b"payload=%7Bnot+json"
    response = client.post("/slack/actions", data=body, headers=sign(body))
    assert response.status_code == 400
    assert "not a Klaxon button press" in response.get_json()["error"]
