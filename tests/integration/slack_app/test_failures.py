"""Slack failing: rate limits (429 + Retry-After) and outages are retried later on the Slack queue only;
permanent errors stop retrying; a user Slack cannot reach falls through to their next channel."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from app.models import ConsoleMessage, Notification, SlackMessage
from tests.fakes.slack_api import SlackAPIStandIn
from tests.integration.slack_app.support import (
    LEGACY_KEY,
    incident,
    messages,
    scheduled_slack_jobs,
    timeline,
    trigger,
)
from tests.support.config import make_token, run_jobs
from workers.slack_jobs import open_incident_channel, sync_incident


def acknowledge(runtime: Any, client: Any, incident_id: int) -> None:
    response = client.post(f"/api/v1/incidents/{incident_id}/acknowledge",
                           headers=make_token(runtime, "alice", "responder"))
    assert response.status_code == 200


def test_rate_limited_page_waits_for_retry_after_while_sms_goes_out(
    runtime: Any, client: Any, slack_api: SlackAPIStandIn
) -> None:
    slack_api.fail_next("chat.postMessage", status=429, retry_after=7)
    incident_id = trigger(client)
    run_jobs(runtime)

    with runtime.session() as session:
        rows = {(r.recipient, r.channel): r for r in session.exec(
            select(Notification).where(col(Notification.incident_id) == incident_id)).all()}
        sms = session.exec(select(ConsoleMessage).where(col(ConsoleMessage.channel) == "sms")).all()
    channel_post = rows[("slack:#checkout-alerts", "slack")]
    assert (channel_post.status, channel_post.attempts) == ("pending", 1)
    assert {rows[("user:alice", "slack")].status, rows[("user:bob", "slack")].status} == {"sent"}
    assert len(sms) == 2  # the SMS queue never waited for Slack
    assert any(kind == "delivery_retry" and "rate limited" in detail and "retry 2 in 7s" in detail
               for kind, _, detail in timeline(runtime, incident_id))
    ((func, args, due_in),) = scheduled_slack_jobs(runtime)
    assert (func, args) == ("workers.jobs.deliver_notification", (channel_post.id,))
    assert 5 < due_in <= 7


def test_rate_limited_message_update_is_retried_after_retry_after_and_then_completes(
    runtime: Any, client: Any, slack_api: SlackAPIStandIn
) -> None:
    incident_id = trigger(client)
    run_jobs(runtime)
    slack_api.fail_next("chat.update", status=429, retry_after=9)
    acknowledge(runtime, client, incident_id)
    run_jobs(runtime)

    assert slack_api.calls("chat.update") == []
    ((func, args, due_in),) = scheduled_slack_jobs(runtime)
    assert (func, args) == ("workers.slack_jobs.sync_incident", (incident_id, 1))
    assert 7 < due_in <= 9

    assert sync_incident(incident_id, 1) == "updated 3, posted 3"
    assert sync_incident(incident_id, 2) == "updated 0, posted 0"


def test_slack_outage_during_thread_replies_is_retried_with_backoff_without_posting_twice(
    runtime: Any, client: Any, slack_api: SlackAPIStandIn
) -> None:
    incident_id = trigger(client)
    run_jobs(runtime)
    client.post(f"/api/v1/incidents/{incident_id}/notes", json={"text": "looking"},
                headers=make_token(runtime, "bob", "responder"))
    slack_api.fail_next("chat.postMessage", status=200)  # the first thread reply goes through,
    slack_api.fail_next("chat.postMessage", status=503)  # the second meets an outage
    run_jobs(runtime)

    ((func, args, due_in),) = scheduled_slack_jobs(runtime)
    assert (func, args) == ("workers.slack_jobs.sync_incident", (incident_id, 1))
    assert 0 < due_in <= 2
    assert sync_incident(incident_id, 1) == "updated 0, posted 2"
    replies = [r for r in slack_api.calls("chat.postMessage") if r.params.get("thread_ts")]
    assert len(replies) == 3 and {r.params["text"] for r in replies} == {"*Note* by bob: looking"}


def test_message_slack_will_not_update_is_given_up_without_holding_up_the_others(
    runtime: Any, client: Any, slack_api: SlackAPIStandIn
) -> None:
    incident_id = trigger(client)
    run_jobs(runtime)
    slack_api.fail_next("chat.update", error="message_not_found")
    acknowledge(runtime, client, incident_id)
    run_jobs(runtime)

    assert scheduled_slack_jobs(runtime) == []
    assert len(slack_api.calls("chat.update")) == 2
    with runtime.session() as session:
        gone = session.exec(select(SlackMessage).where(col(SlackMessage.gone))).one()
    assert gone.error == "Slack chat.update failed: message_not_found (code message_not_found)"
    updates_before = len(slack_api.attempts)
    client.post(f"/api/v1/incidents/{incident_id}/resolve", headers=make_token(runtime, "bob", "responder"))
    run_jobs(runtime)
    tried = [r for r in slack_api.attempts[updates_before:] if r.method == "chat.update"]
    assert len(tried) == 2  # the gone message is left alone


def test_user_slack_cannot_reach_falls_through_to_sms_and_the_timeline_says_so(
    runtime: Any, client: Any, slack_api: SlackAPIStandIn
) -> None:
    # Dave's Slack id is not in the workspace: conversations.open answers user_not_found.
    incident_id = trigger(client, "Billing export stuck", severity="warning", dedup_key="billing", key=LEGACY_KEY)
    run_jobs(runtime)

    with runtime.session() as session:
        rows = session.exec(select(Notification).where(col(Notification.incident_id) == incident_id)
                            .order_by(col(Notification.id))).all()
    assert [(r.channel, r.status) for r in rows] == [("slack", "failed"), ("sms", "sent")]
    assert [e for e in timeline(runtime, incident_id) if e[0] in ("delivery_failed", "fallback")] == [
        ("delivery_failed", "klaxon", "slack page to dave failed permanently: Slack conversations.open failed: "
                                      "user_not_found (code user_not_found)"),
        ("fallback", "klaxon", "falling back to sms for dave"),
    ]
    assert incident(runtime, incident_id).severity == "SEV3"


def test_fall_through_shows_in_the_threads_of_the_other_messages(
    runtime: Any, client: Any, slack_api: SlackAPIStandIn
) -> None:
    slack_api.workspace.users["UBOB"]["deleted"] = True  # Bob's account was deactivated
    incident_id = trigger(client)
    run_jobs(runtime)

    assert set(messages(runtime, incident_id)) == {"slack:#checkout-alerts", "user:alice"}
    replies = {r.params["text"] for r in slack_api.calls("chat.postMessage") if r.params.get("thread_ts")}
    assert ("*Delivery failed*: slack page to bob failed permanently: Slack conversations.open failed: "
            "user_disabled (code user_disabled)") in replies


def test_channel_creation_rate_limited_is_retried_and_a_refusal_goes_on_the_timeline(
    runtime: Any, client: Any, slack_api: SlackAPIStandIn
) -> None:
    slack_api.fail_next("conversations.create", status=429, retry_after=3)
    incident_id = trigger(client, severity="critical")
    run_jobs(runtime)

    assert ("workers.slack_jobs.open_incident_channel", (incident_id, 1)) in [
        (func, args) for func, args, _ in scheduled_slack_jobs(runtime)]
    slack_api.fail_next("conversations.create", error="restricted_action")
    assert open_incident_channel(incident_id, 1) == "failed"
    assert open_incident_channel(incident_id, 2) == "skipped"
    run_jobs(runtime)

    failure = (f"could not open Slack channel #inc-{incident_id}-checkout-5xx-above-2: Slack conversations.create "
               "failed: restricted_action (code restricted_action)")
    assert ("slack_channel_failed", "klaxon", failure) in timeline(runtime, incident_id)
    replies = {r.params["text"] for r in slack_api.calls("chat.postMessage") if r.params.get("thread_ts")}
    assert f"*Incident channel failed*: {failure}" in replies
