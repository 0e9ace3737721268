"""Outbound Slack for an incident: DMs and the service channel post, then chat.update and thread replies
as it changes (real slack_sdk through the app, against the Web API stand-in)."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from app.models import Notification, SlackMessage
from app.platform.clock import isoformat
from integrations.slack import page_blocks
from tests.fakes.slack_api import SlackAPIStandIn
from tests.integration.slack_app.pages import buttons, expected_page, slack_date
from tests.integration.slack_app.support import incident, messages, trigger
from tests.support.config import make_token, run_jobs
from workers.slack_jobs import sync_incident


def test_new_incident_dms_each_paged_user_and_posts_to_the_service_channel(
    runtime: Any, client: Any, slack_api: SlackAPIStandIn, alerts_channel: str
) -> None:
    incident_id = trigger(client)
    run_jobs(runtime)

    assert [(r.method, r.params["users"]) for r in slack_api.calls("conversations.open")] == [
        ("conversations.open", "UALICE"), ("conversations.open", "UBOB")]
    channel_post, alice_dm, bob_dm = slack_api.calls("chat.postMessage")
    assert channel_post.params == {
        "channel": "#checkout-alerts",
        "text": f"[SEV2] #{incident_id} Checkout 5xx above 2% (Checkout API): Triggered",
        "blocks": page_blocks(expected_page(runtime, incident_id)),
        "unfurl_links": False, "unfurl_media": False,
    }
    assert channel_post.params["blocks"][-1] == buttons(incident_id, "ack", "resolve", "escalate")
    assert channel_post.params["blocks"][0]["text"]["text"] == f"SEV2 · #{incident_id} Checkout 5xx above 2%"
    dm_page = expected_page(runtime, incident_id, also_paged=("alice", "bob"))
    for dm, user in ((alice_dm, "UALICE"), (bob_dm, "UBOB")):
        assert slack_api.workspace.channels[dm.params["channel"]]["user"] == user
        assert dm.params["blocks"] == page_blocks(dm_page)
        assert dm.params["blocks"][-1] == buttons(incident_id, "ack", "resolve", "escalate")
    assert messages(runtime, incident_id) == {
        "slack:#checkout-alerts": f"{alerts_channel}:{channel_post.response['ts']}",
        "user:alice": f"{alice_dm.params['channel']}:{alice_dm.response['ts']}",
        "user:bob": f"{bob_dm.params['channel']}:{bob_dm.response['ts']}",
    }
    with runtime.session() as session:
        row = session.exec(select(Notification).where(Notification.recipient == "slack:#checkout-alerts")).one()
    assert (row.step_key, row.level, row.user_id, row.status, row.provider) == (
        "service-channel", 0, None, "sent", "slack")
    # Nothing changed after the pages went out, and a SEV2 is not a major incident.
    assert slack_api.calls("chat.update") == [] and slack_api.calls("conversations.create") == []


def test_acknowledge_updates_every_message_and_posts_in_each_thread(
    runtime: Any, client: Any, slack_api: SlackAPIStandIn
) -> None:
    incident_id = trigger(client)
    run_jobs(runtime)
    before = len(slack_api.attempts)

    response = client.post(f"/api/v1/incidents/{incident_id}/acknowledge",
                           headers=make_token(runtime, "alice", "responder"))
    assert response.status_code == 200
    run_jobs(runtime)

    acked_at = incident(runtime, incident_id).acknowledged_at
    sent = messages(runtime, incident_id)
    updates = slack_api.calls("chat.update")
    assert sorted(f"{u.params['channel']}:{u.params['ts']}" for u in updates) == sorted(sent.values())
    for update in updates:
        also = () if update.params["channel"].startswith("C") else ("alice", "bob")
        page = expected_page(runtime, incident_id, status="acknowledged", acknowledged_by="alice",
                             acknowledged_at=isoformat(acked_at), also_paged=also)
        assert update.params["blocks"] == page_blocks(page, changed_at=acked_at)
        assert update.params["text"] == (
            f"[SEV2] #{incident_id} Checkout 5xx above 2% (Checkout API): Acknowledged by alice")
        assert update.params["blocks"][-1] == buttons(incident_id, "resolve", "escalate")
        assert {"type": "mrkdwn", "text": f":eyes: Acknowledged by alice {slack_date(acked_at)}"} in \
            update.params["blocks"][-2]["elements"]
        shown = slack_api.messages[(update.params["channel"], update.params["ts"])]
        assert shown["blocks"] == update.params["blocks"]
    replies = [r for r in slack_api.attempts[before:] if r.method == "chat.postMessage"]
    assert sorted((r.params["channel"], r.params["thread_ts"]) for r in replies) == sorted(
        tuple(p.split(":")) for p in sent.values())
    assert {r.params["text"] for r in replies} == {"*Acknowledged* by alice"}


def test_resolve_removes_the_buttons_and_a_repeated_sync_sends_nothing(
    runtime: Any, client: Any, slack_api: SlackAPIStandIn
) -> None:
    incident_id = trigger(client)
    run_jobs(runtime)
    client.post(f"/api/v1/incidents/{incident_id}/resolve", headers=make_token(runtime, "bob", "responder"))
    run_jobs(runtime)

    updates = slack_api.calls("chat.update")
    assert len(updates) == 3
    resolved_at = incident(runtime, incident_id).resolved_at
    for update in updates:
        assert all(block["type"] != "actions" for block in update.params["blocks"])
        assert {"type": "mrkdwn", "text": f":white_check_mark: Resolved by bob {slack_date(resolved_at)}"} in \
            update.params["blocks"][-1]["elements"]
    attempts = len(slack_api.attempts)

    assert sync_incident(incident_id) == "updated 0, posted 0"
    assert len(slack_api.attempts) == attempts
    with runtime.session() as session:
        assert len(session.exec(select(SlackMessage)).all()) == 3


def test_severity_and_commander_changes_show_on_every_message_and_in_the_threads(
    runtime: Any, client: Any, slack_api: SlackAPIStandIn
) -> None:
    incident_id = trigger(client)
    run_jobs(runtime)
    commander = make_token(runtime, "alice", "commander")
    assert client.post(f"/api/v1/incidents/{incident_id}/severity", json={"severity": "SEV3"},
                       headers=commander).status_code == 200
    assert client.post(f"/api/v1/incidents/{incident_id}/commander", json={"user": "bob"},
                       headers=commander).status_code == 200
    run_jobs(runtime)

    latest = {}
    for update in slack_api.calls("chat.update"):
        latest[(update.params["channel"], update.params["ts"])] = update.params["blocks"]
    assert len(latest) == 3
    for blocks in latest.values():
        assert blocks[0]["text"]["text"] == f"SEV3 · #{incident_id} Checkout 5xx above 2%"
        assert blocks[1]["text"]["text"] == ":large_yellow_circle: *SEV3* — set to SEV3 by alice (was SEV2)"
        assert {"type": "mrkdwn", "text": "*Commander*\nbob"} in blocks[1]["fields"]
    replies = [r.params["text"] for r in slack_api.calls("chat.postMessage") if "thread_ts" in r.params]
    # ">" goes out escaped, as Slack requires; Slack shows it as "->".
    assert sorted(set(replies)) == ["*Commander changed* by alice: commander bob",
                                    "*Severity changed* by alice: SEV2 -&gt; SEV3"]
    assert len(replies) == 6


def test_a_note_goes_in_the_threads_without_rewriting_the_messages(
    runtime: Any, client: Any, slack_api: SlackAPIStandIn
) -> None:
    incident_id = trigger(client)
    run_jobs(runtime)
    client.post(f"/api/v1/incidents/{incident_id}/notes", json={"text": "rolled back <deploy> & watching"},
                headers=make_token(runtime, "bob", "responder"))
    run_jobs(runtime)

    assert slack_api.calls("chat.update") == []
    replies = [r.params for r in slack_api.calls("chat.postMessage") if "thread_ts" in r.params]
    assert len(replies) == 3
    # Slack's control characters in people's text are escaped, so a note cannot forge a link or mention.
    assert {r["text"] for r in replies} == {"*Note* by bob: rolled back &lt;deploy&gt; &amp; watching"}


def test_a_responder_request_keeps_its_message_when_the_incident_changes(runtime: Any, client: Any,
                                                                         slack_api: SlackAPIStandIn) -> None:
    incident_id = trigger(client)
    run_jobs(runtime)
    commander = make_token(runtime, "alice", "commander")
    assert client.post(f"/api/v1/incidents/{incident_id}/responders", headers=commander,
                       json={"targets": ["user:bob"], "message": "need eyes"}).status_code == 200
    run_jobs(runtime)
    assert client.post(f"/api/v1/incidents/{incident_id}/acknowledge", headers=commander).status_code == 200
    run_jobs(runtime)
    asked = "*alice asks for your help: need eyes*"
    [sent] = [p for p in slack_api.calls("chat.postMessage") if asked in str(p.params.get("blocks"))]
    updates = [u for u in slack_api.calls("chat.update") if u.params["ts"] == sent.response["ts"]]
    assert updates and asked in str(updates[-1].params["blocks"]) and "Acknowledged by alice" in str(
        updates[-1].params["blocks"])
