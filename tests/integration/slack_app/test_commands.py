"""`POST /slack/commands`: `/oncall` and `/incident ...`, signed, answered ephemerally, with roles applied."""

from __future__ import annotations

import time
from typing import Any

from sqlmodel import select

from app.models import Incident
from tests.fakes.slack_api import SlackAPIStandIn
from tests.integration.slack_app.support import command_body, incident, sign, slash, timeline, trigger
from tests.support.config import make_token, run_jobs


def reply(response: Any) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["response_type"] == "ephemeral"
    return str(body["text"])


def incident_count(runtime: Any) -> int:
    with runtime.session() as session:
        return len(session.exec(select(Incident)).all())


def test_oncall_names_who_is_on_call_for_one_schedule_or_for_each(client: Any) -> None:
    expected = "*On call now*\n• `checkout-primary`: Carol Diaz (<@UCAROL>)"
    assert reply(slash(client, "/oncall", "checkout-primary")) == expected
    assert reply(slash(client, "/oncall", "")) == expected
    assert reply(slash(client, "/oncall", "nope")) == "There is no schedule `nope`. Schedules: `checkout-primary`."


def test_oncall_answers_people_who_are_not_klaxon_users(client: Any) -> None:
    assert reply(slash(client, "/oncall", "", user="UNOBODY")).startswith("*On call now*")


def test_declare_from_a_service_channel_pages_and_makes_the_declarer_commander(
    runtime: Any, client: Any, alerts_channel: str
) -> None:
    make_token(runtime, "alice", "commander")

    text = reply(slash(client, "/incident", "declare SEV2 Checkout is down", channel_id=alerts_channel,
                       channel_name="checkout-alerts"))

    with runtime.session() as session:
        declared = session.exec(select(Incident)).one()
    assert text == (f"Declared incident #{declared.id} (SEV2) on *Checkout API*: Checkout is down. "
                    "You are its commander; the on-call is being paged.")
    assert (declared.service_id, declared.severity, declared.commander) == ("checkout", "SEV2", "alice")
    assert timeline(runtime, declared.id or 0)[0] == ("declared", "alice", "SEV2 declared; commander alice")


def test_declare_names_its_service_when_the_channel_is_not_a_service_channel(runtime: Any, client: Any) -> None:
    make_token(runtime, "alice", "admin")

    unclear = reply(slash(client, "/incident", "declare SEV3 Billing is slow"))
    assert incident_count(runtime) == 0
    assert unclear == ("I can't tell which service this incident is for: this channel is not the Slack channel of "
                       "any service. Name it first, e.g. `/incident declare SEV1 service:ID Billing is slow`. "
                       "Services: `checkout`, `legacy`.")
    unknown = reply(slash(client, "/incident", "declare SEV3 service:billing Billing is slow"))
    assert unknown == "There is no service `billing`. Services: `checkout`, `legacy`."

    declared = reply(slash(client, "/incident", "declare SEV3 service:legacy Billing is slow"))
    assert declared.startswith("Declared incident #1 (SEV3) on *Legacy Billing*: Billing is slow.")


def test_declare_needs_the_commander_role(runtime: Any, client: Any, alerts_channel: str) -> None:
    make_token(runtime, "bob", "responder")

    text = reply(slash(client, "/incident", "declare SEV1 Checkout is down", user="UBOB", channel_id=alerts_channel,
                       channel_name="checkout-alerts"))

    assert text == ("Only commanders can declare incidents. Ask one, or have an admin run "
                    "`klaxon token create --user bob --role commander`.")
    assert incident_count(runtime) == 0


def test_ack_resolve_and_escalate_by_id(runtime: Any, client: Any) -> None:
    incident_id = trigger(client)

    assert reply(slash(client, "/incident", f"escalate {incident_id}", user="UBOB")) == \
        f"Incident {incident_id} escalated to level 2."
    assert reply(slash(client, "/incident", f"ack #{incident_id}")) == \
        f"Incident {incident_id} acknowledged. Escalation stopped."
    assert reply(slash(client, "/incident", f"ack {incident_id}", user="UBOB")) == \
        f"Incident {incident_id} was already acknowledged by alice."
    assert reply(slash(client, "/incident", f"resolve {incident_id}", user="UBOB")) == \
        f"Incident {incident_id} resolved."
    assert reply(slash(client, "/incident", "ack 999")) == "There is no incident 999."
    stored = incident(runtime, incident_id)
    assert (stored.acknowledged_by, stored.resolved_by, stored.escalation_level) == ("alice", "bob", 2)


def test_severity_and_commander_need_a_commander_or_the_incidents_own_commander(runtime: Any, client: Any) -> None:
    incident_id = trigger(client)
    make_token(runtime, "alice", "commander")

    refused = reply(slash(client, "/incident", f"sev {incident_id} SEV1", user="UBOB"))
    assert refused.startswith("Only commanders can change the severity.")
    assert reply(slash(client, "/incident", f"commander {incident_id} <@UBOB|bob>")) == \
        f"Bob Li is now the commander of incident #{incident_id}."
    # Bob holds no commander token, but he is this incident's commander now.
    assert reply(slash(client, "/incident", f"sev {incident_id} SEV3", user="UBOB")) == \
        f"Incident #{incident_id} is now SEV3 (was SEV2)."
    assert reply(slash(client, "/incident", f"sev {incident_id} SEV3", user="UBOB")) == \
        f"Incident #{incident_id} is already SEV3."
    assert reply(slash(client, "/incident", f"commander {incident_id} @carol", user="UBOB")) == \
        f"Carol Diaz is now the commander of incident #{incident_id}."
    assert reply(slash(client, "/incident", f"commander {incident_id} @zed")) == \
        "`zed` is not a Klaxon user: mention someone whose Slack account is linked, or use their Klaxon id."
    stored = incident(runtime, incident_id)
    assert (stored.severity, stored.commander) == ("SEV3", "carol")


def test_note_goes_on_the_timeline(runtime: Any, client: Any) -> None:
    incident_id = trigger(client)

    assert reply(slash(client, "/incident", f"note {incident_id} rolled back  the deploy", user="UBOB")) == \
        f"Note added to incident #{incident_id}."
    assert timeline(runtime, incident_id)[-1] == ("note", "bob", "rolled back  the deploy")


def test_wrong_usage_gets_a_helpful_reply_and_changes_nothing(runtime: Any, client: Any) -> None:
    incident_id = trigger(client)
    entries = timeline(runtime, incident_id)

    for text, problem in (("", "Tell me what to do with an incident."),
                          (f"sev {incident_id} SEV9", "`SEV9` is not a severity; use one of SEV1, SEV2, SEV3, SEV4."),
                          ("ack twelve", "`twelve` is not an incident id; use the number, e.g. `42`."),
                          ("reboot 1", "Unknown action `reboot`.")):
        answer = reply(slash(client, "/incident", text))
        assert answer.startswith(problem + "\n\n*Usage*"), answer
    assert timeline(runtime, incident_id) == entries


def test_unknown_slack_user_is_told_how_to_link_and_nothing_changes(runtime: Any, client: Any) -> None:
    incident_id = trigger(client)

    text = reply(slash(client, "/incident", f"ack {incident_id}", user="UNOBODY"))

    assert text.startswith("Your Slack account is not linked to a Klaxon user")
    assert incident(runtime, incident_id).status == "triggered"


def test_unsigned_wrongly_signed_and_old_commands_are_401_and_change_nothing(
    runtime: Any, client: Any, slack_api: SlackAPIStandIn
) -> None:
    incident_id = trigger(client)
    body = command_body("/incident", f"resolve {incident_id}")

    unsigned = client.post("/slack/commands", data=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    forged = client.post("/slack/commands", data=body, headers=sign(body, secret="guess"))
    stale = client.post("/slack/commands", data=body, headers=sign(body, at=time.time() - 600))

    assert [r.status_code for r in (unsigned, forged, stale)] == [401, 401, 401]
    assert [r.get_json()["detail"]["reason"] for r in (unsigned, forged, stale)] == [
        "missing_headers", "bad_signature", "stale_timestamp"]
    assert incident(runtime, incident_id).status == "triggered"


def test_command_changes_reach_slack_through_the_jobs(runtime: Any, client: Any, slack_api: SlackAPIStandIn) -> None:
    incident_id = trigger(client)
    run_jobs(runtime)

    reply(slash(client, "/incident", f"ack {incident_id}", user="UBOB"))
    run_jobs(runtime)

    assert len(slack_api.calls("chat.update")) == 3
    assert {r.params["text"] for r in slack_api.calls("chat.postMessage") if r.params.get("thread_ts")} == {
        "*Acknowledged* by bob"}


def test_responders_pages_the_mentioned_people_with_the_message(runtime: Any, client: Any) -> None:
    incident_id = trigger(client)
    make_token(runtime, "alice", "commander")
    assert reply(slash(client, "/incident", f"responders {incident_id} <@UBOB|bob> @carol need DB eyes")) == \
        f"Paging bob, carol for incident #{incident_id}."
    kind, actor, detail = timeline(runtime, incident_id)[-1]
    assert (kind, actor) == ("responders_added", "alice")
    assert detail.startswith("responders requested (need DB eyes): paged bob (") and ", carol (" in detail
    refused = reply(slash(client, "/incident", f"responders {incident_id} @carol", user="UBOB"))
    assert refused.startswith("Only commanders can add responders.")
    unknown = reply(slash(client, "/incident", f"responders {incident_id} <@UNOBODY> hi"))
    assert unknown.startswith("<@UNOBODY> is not a Klaxon user") and "Nobody was paged" in unknown
    assert reply(slash(client, "/incident", f"responders {incident_id} please help")).startswith(
        "`responders` needs an incident id and at least one person")
    assert timeline(runtime, incident_id)[-1][0] == "responders_added", "nothing else was written"


def test_update_posts_a_status_update(runtime: Any, client: Any) -> None:
    incident_id = trigger(client)
    make_token(runtime, "alice", "commander")
    assert reply(slash(client, "/incident", f"update {incident_id} failover  done")) == \
        f"Status update posted on incident #{incident_id}; the subscribers are being told."
    assert ("status_update", "alice", "failover  done") in timeline(runtime, incident_id)
    assert reply(slash(client, "/incident", f"update {incident_id}")).startswith("`update` needs an incident id")
    assert reply(slash(client, "/incident", f"resolve {incident_id}")) == f"Incident {incident_id} resolved."
    assert reply(slash(client, "/incident", f"update {incident_id} late")) == \
        f"Nothing changed: incident {incident_id} is resolved: nobody can post a status update on it any more."
