"""Major incidents (SEV1, or declared) get a channel `inc-<id>-<slug>`: opened once, responders and the
commander invited, the summary posted and pinned, the timeline mirrored there."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from app.models import Notification, SlackIncident
from integrations.slack import page_blocks
from tests.fakes.slack_api import BOT_USER_ID, SlackAPIStandIn
from tests.integration.slack_app.pages import expected_page
from tests.integration.slack_app.support import incident, slash, timeline, trigger
from tests.support.config import make_token, run_jobs
from workers.slack_jobs import open_incident_channel


def channel_state(runtime: Any, incident_id: int) -> SlackIncident:
    with runtime.session() as session:
        state = session.get(SlackIncident, incident_id)
        assert state is not None
        return state


def channel_thread(slack_api: SlackAPIStandIn, channel_id: str) -> list[str]:
    """Texts of the thread replies in the incident channel (under its live page message)."""
    return [r.params["text"] for r in slack_api.calls("chat.postMessage")
            if r.params["channel"] == channel_id and r.params.get("thread_ts")]


def test_sev1_incident_opens_its_channel_invites_responders_pins_the_summary_and_mirrors_the_timeline(
    runtime: Any, client: Any, slack_api: SlackAPIStandIn
) -> None:
    incident_id = trigger(client, severity="critical")
    run_jobs(runtime)

    name = f"inc-{incident_id}-checkout-5xx-above-2"
    (create,) = slack_api.calls("conversations.create")
    channel_id = create.response["channel"]["id"]
    assert create.params == {"name": name}
    (invite,) = slack_api.calls("conversations.invite")
    assert invite.params == {"channel": channel_id, "users": "UALICE,UBOB", "force": "1"}
    summary, live = [r for r in slack_api.calls("chat.postMessage")
                     if r.params["channel"] == channel_id and not r.params.get("thread_ts")]
    assert summary.params["blocks"] == page_blocks(expected_page(runtime, incident_id, severity="SEV1"))
    assert slack_api.pins == {(channel_id, summary.response["ts"])}
    assert live.params["blocks"] == summary.params["blocks"]
    assert slack_api.workspace.channels[channel_id]["members"] == {BOT_USER_ID, "UALICE", "UBOB"}
    state = channel_state(runtime, incident_id)
    assert (state.channel_status, state.channel_id, state.channel_name) == ("open", channel_id, name)
    assert ("slack_channel", "klaxon", f"opened Slack channel #{name} ({channel_id})") in timeline(runtime, incident_id)
    # The channel's live message carries the whole timeline, from before the channel existed too.
    assert channel_thread(slack_api, channel_id) == [
        "*Paged*: escalation level 1: paged alice (slack, sms, voice), bob (slack, sms, voice)",
        f"*Incident channel*: opened Slack channel #{name} ({channel_id})",
    ]

    client.post(f"/api/v1/incidents/{incident_id}/acknowledge", headers=make_token(runtime, "bob", "responder"))
    run_jobs(runtime)

    assert channel_thread(slack_api, channel_id)[-1] == "*Acknowledged* by bob"
    live_now = slack_api.messages[(channel_id, live.response["ts"])]
    assert ":eyes: Acknowledged by bob" in live_now["blocks"][-2]["elements"][0]["text"]


def test_channel_is_opened_once_however_often_it_is_asked_for(
    runtime: Any, client: Any, slack_api: SlackAPIStandIn
) -> None:
    incident_id = trigger(client, severity="critical")
    run_jobs(runtime)
    commander = make_token(runtime, "alice", "commander")

    client.post(f"/api/v1/incidents/{incident_id}/severity", json={"severity": "SEV2"}, headers=commander)
    client.post(f"/api/v1/incidents/{incident_id}/severity", json={"severity": "SEV1"}, headers=commander)
    run_jobs(runtime)

    assert open_incident_channel(incident_id) == "skipped"
    assert len(slack_api.calls("conversations.create")) == 1


def test_declared_incident_of_any_severity_gets_a_channel_with_its_commander_invited_first(
    runtime: Any, client: Any, slack_api: SlackAPIStandIn
) -> None:
    make_token(runtime, "carol", "commander")

    slash(client, "/incident", "declare SEV3 service:checkout Slow checkout in EU", user="UCAROL")
    run_jobs(runtime)

    (create,) = slack_api.calls("conversations.create")
    assert create.params == {"name": "inc-1-slow-checkout-in-eu"}
    (invite,) = slack_api.calls("conversations.invite")
    assert invite.params["users"] == "UCAROL,UALICE,UBOB"


def test_raising_the_severity_to_sev1_opens_the_channel(runtime: Any, client: Any, slack_api: SlackAPIStandIn) -> None:
    incident_id = trigger(client)
    run_jobs(runtime)
    assert slack_api.calls("conversations.create") == []

    client.post(f"/api/v1/incidents/{incident_id}/severity", json={"severity": "SEV1"},
                headers=make_token(runtime, "alice", "commander"))
    run_jobs(runtime)

    assert [r.params["name"] for r in slack_api.calls("conversations.create")] == [
        f"inc-{incident_id}-checkout-5xx-above-2"]
    assert incident(runtime, incident_id).severity == "SEV1"
    with runtime.session() as session:
        live = session.exec(select(Notification).where(
            col(Notification.incident_id) == incident_id, col(Notification.step_key) == "incident-channel")).one()
    assert live.recipient == f"slack:{channel_state(runtime, incident_id).channel_id}"
