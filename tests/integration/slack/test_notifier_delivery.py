"""SlackNotifier.send against the Web API stand-in: DMs, channel posts, exact payloads, receipts."""

from __future__ import annotations

from dataclasses import replace

import pytest

from integrations.notifier import DeliveryReceipt, Page, PermanentDeliveryError, Recipient
from integrations.slack import SlackNotifier, page_blocks
from tests.fakes.slack_api import DEFAULT_TOKEN, SlackAPIStandIn

PAGE = Page(
    incident_id=42,
    title="Checkout API 5xx above 2%",
    severity="SEV1",
    severity_reason="prod-critical: severity=critical and labels.env=prod",
    service_id="checkout",
    service_name="Checkout API",
    status="triggered",
    created_at="2026-03-01T12:00:00Z",
    details={"region": "us-east-1"},
    links=({"href": "https://grafana.example.com/d/abc", "text": "Dashboard"},),
    also_paged=("bob",),
)
ALICE = Recipient(user_id="alice", name="Alice Ng", slack_user_id="U0ALICE")
BUTTONS = [
    {"type": "button", "action_id": "ack", "text": {"type": "plain_text", "text": "Acknowledge", "emoji": True},
     "value": "42", "style": "primary"},
    {"type": "button", "action_id": "resolve", "text": {"type": "plain_text", "text": "Resolve", "emoji": True},
     "value": "42"},
    {"type": "button", "action_id": "escalate", "text": {"type": "plain_text", "text": "Escalate", "emoji": True},
     "value": "42", "style": "danger"},
]


def test_page_to_a_user_opens_a_dm_then_posts_blocks_and_buttons_there(
    slack_api: SlackAPIStandIn, notifier: SlackNotifier
) -> None:
    slack_api.add_user("U0ALICE")

    receipt = notifier.send(PAGE, ALICE)

    opened, posted = slack_api.requests
    assert opened.method == "conversations.open" and opened.params == {"users": "U0ALICE"}
    dm_id = opened.response["channel"]["id"]
    assert posted.method == "chat.postMessage" and posted.body_format == "json"
    assert posted.headers["Authorization"] == f"Bearer {DEFAULT_TOKEN}"
    assert posted.params == {
        "channel": dm_id,
        "text": "[SEV1] #42 Checkout API 5xx above 2% (Checkout API): Triggered",
        "blocks": page_blocks(PAGE),
        "unfurl_links": False,
        "unfurl_media": False,
    }
    assert posted.params["blocks"][-1] == {"type": "actions", "elements": BUTTONS}
    assert posted.params["blocks"][0]["text"]["text"] == "SEV1 · #42 Checkout API 5xx above 2%"
    assert receipt == DeliveryReceipt(provider_id=f"{dm_id}:{posted.response['ts']}")


def test_second_page_to_the_same_user_reuses_the_open_dm(slack_api: SlackAPIStandIn, notifier: SlackNotifier) -> None:
    slack_api.add_user("U0ALICE")
    first = notifier.send(PAGE, ALICE)
    second = notifier.send(PAGE, ALICE)
    assert first.provider_id and second.provider_id
    assert first.provider_id.split(":")[0] == second.provider_id.split(":")[0]
    assert first.provider_id != second.provider_id


def test_page_to_a_channel_posts_by_name_and_keeps_the_channel_id(
    slack_api: SlackAPIStandIn, notifier: SlackNotifier
) -> None:
    channel_id = slack_api.add_channel("checkout-alerts")

    receipt = notifier.send(PAGE, Recipient(user_id=None, slack_channel="#checkout-alerts"))

    (posted,) = slack_api.requests
    assert posted.method == "chat.postMessage"
    assert posted.params["channel"] == "#checkout-alerts"
    assert posted.params["blocks"] == page_blocks(PAGE)
    # chat.update needs the id, so the receipt holds the id Slack answered with, not "#name".
    assert receipt.provider_id == f"{channel_id}:{posted.response['ts']}"
    assert slack_api.messages[(channel_id, posted.response["ts"])]["blocks"] == page_blocks(PAGE)


def test_recipient_without_slack_address_is_permanent_without_calling_slack(
    slack_api: SlackAPIStandIn, notifier: SlackNotifier
) -> None:
    with pytest.raises(PermanentDeliveryError) as caught:
        notifier.send(PAGE, Recipient(user_id="erin", phone="+15005550006"))
    assert caught.value.code == "no_slack_address"
    assert slack_api.attempts == []


def test_update_rerenders_the_same_message_with_who_acknowledged(
    slack_api: SlackAPIStandIn, notifier: SlackNotifier
) -> None:
    slack_api.add_user("U0ALICE")
    receipt = notifier.send(PAGE, ALICE)
    assert receipt.provider_id
    channel_id, ts = receipt.provider_id.split(":")
    acked = Page(**{**PAGE.__dict__, "status": "acknowledged", "acknowledged_by": "alice", "commander": "dave"})

    updated = notifier.update_message(receipt.provider_id, acked)

    (update,) = slack_api.calls("chat.update")
    assert update.params == {
        "channel": channel_id,
        "ts": ts,
        "text": "[SEV1] #42 Checkout API 5xx above 2% (Checkout API): Acknowledged by alice",
        "blocks": page_blocks(acked),
    }
    assert update.params["blocks"][-1] == {"type": "actions", "elements": BUTTONS[1:]}
    assert {"type": "mrkdwn", "text": "*Commander*\ndave"} in update.params["blocks"][1]["fields"]
    assert updated.provider_id == receipt.provider_id
    assert slack_api.messages[(channel_id, ts)]["blocks"] == page_blocks(acked)


def test_update_after_resolve_removes_the_buttons(slack_api: SlackAPIStandIn, notifier: SlackNotifier) -> None:
    channel_id = slack_api.add_channel("checkout-alerts")
    receipt = notifier.send(PAGE, Recipient(user_id=None, slack_channel="#checkout-alerts"))
    assert receipt.provider_id
    resolved = Page(**{**PAGE.__dict__, "status": "resolved", "resolved_by": "bob"})

    notifier.update_message(receipt.provider_id, resolved)

    ts = receipt.provider_id.split(":")[1]
    blocks = slack_api.messages[(channel_id, ts)]["blocks"]
    assert [b["type"] for b in blocks] == ["header", "section", "section", "section", "context"]
    assert blocks[-1]["elements"][0]["text"] == ":white_check_mark: Resolved by bob"


def test_thread_reply_goes_under_the_page(slack_api: SlackAPIStandIn, notifier: SlackNotifier) -> None:
    channel_id = slack_api.add_channel("checkout-alerts")
    receipt = notifier.send(PAGE, Recipient(user_id=None, slack_channel="#checkout-alerts"))
    assert receipt.provider_id
    ts = receipt.provider_id.split(":")[1]

    reply = notifier.post_thread(receipt.provider_id, "Escalated to level 2 <by> frank & co")

    post = slack_api.calls("chat.postMessage")[-1]
    assert post.params == {"channel": channel_id, "thread_ts": ts,
                           "text": "Escalated to level 2 &lt;by&gt; frank &amp; co"}
    assert reply.provider_id == f"{channel_id}:{post.response['ts']}"


def test_ephemeral_message_goes_to_one_person_in_the_channel(
    slack_api: SlackAPIStandIn, notifier: SlackNotifier
) -> None:
    slack_api.add_user("U0ALICE")
    channel_id = slack_api.add_channel("checkout-alerts")
    slack_api.workspace.channels[channel_id]["members"].add("U0ALICE")

    notifier.post_ephemeral(channel_id, "U0ALICE", "You are not a Klaxon user yet.")

    (call,) = slack_api.calls("chat.postEphemeral")
    assert call.params == {"channel": channel_id, "user": "U0ALICE", "text": "You are not a Klaxon user yet."}


def test_a_notice_is_posted_as_its_text_alone_with_no_buttons(slack_api: SlackAPIStandIn,
                                                               notifier: SlackNotifier) -> None:
    slack_api.add_user("U0ALICE")
    notice = replace(PAGE, notice="Klaxon: incident #42 (Checkout) was handed over from A to B by gina. <done>")

    notifier.send(notice, ALICE)

    _opened, posted = slack_api.requests
    assert posted.params == {"channel": _opened.response["channel"]["id"], "unfurl_links": False,
                             "unfurl_media": False, "text": "Klaxon: incident #42 (Checkout) was handed over from A "
                                                            "to B by gina. &lt;done&gt;"}
