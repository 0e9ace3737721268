"""open_incident_channel: create `inc-<id>-<slug>`, invite responders, post the summary and pin it."""

from __future__ import annotations

import pytest

from integrations.notifier import Page, PermanentDeliveryError, TransientDeliveryError
from integrations.slack import SlackNotifier, incident_channel_name, page_blocks
from tests.fakes.slack_api import BOT_USER_ID, SlackAPIStandIn

PAGE = Page(
    incident_id=12, title="Checkout: payments failing in EU!", severity="SEV1",
    severity_reason="prod-critical: severity=critical and labels.env=prod", service_id="checkout",
    service_name="Checkout API", status="acknowledged", created_at="2026-03-01T12:00:00+00:00",
    acknowledged_by="alice", commander="alice",
)
NAME = incident_channel_name(12, PAGE.title)


@pytest.fixture(autouse=True)
def responders(slack_api: SlackAPIStandIn) -> None:
    for user in ("U0ALICE", "U0BOB"):
        slack_api.add_user(user)


def test_creates_invites_posts_and_pins_in_that_order(slack_api: SlackAPIStandIn, notifier: SlackNotifier) -> None:
    channel_id = notifier.open_incident_channel(NAME, ["U0ALICE", "U0BOB", "U0ALICE"], PAGE)

    assert NAME == "inc-12-checkout-payments-failing-in-eu"
    create, invite, post, pin = slack_api.requests
    assert (create.method, create.params) == ("conversations.create", {"name": NAME})
    assert create.response["channel"]["id"] == channel_id
    assert (invite.method, invite.params) == (
        "conversations.invite", {"channel": channel_id, "users": "U0ALICE,U0BOB", "force": "1"}
    )
    assert post.method == "chat.postMessage"
    assert post.params["channel"] == channel_id and post.params["blocks"] == page_blocks(PAGE)
    assert (pin.method, pin.params) == ("pins.add", {"channel": channel_id, "timestamp": post.response["ts"]})
    assert slack_api.workspace.channels[channel_id]["members"] == {BOT_USER_ID, "U0ALICE", "U0BOB"}
    assert (channel_id, post.response["ts"]) in slack_api.pins


def test_single_invitee_is_invited_without_force(slack_api: SlackAPIStandIn, notifier: SlackNotifier) -> None:
    channel_id = notifier.open_incident_channel(NAME, ["U0ALICE"], PAGE)
    (invite,) = slack_api.calls("conversations.invite")
    assert invite.params == {"channel": channel_id, "users": "U0ALICE"}


def test_no_invitees_skips_the_invite(slack_api: SlackAPIStandIn, notifier: SlackNotifier) -> None:
    notifier.open_incident_channel(NAME, [], PAGE)
    assert [r.method for r in slack_api.requests] == ["conversations.create", "chat.postMessage", "pins.add"]


def test_taken_name_gets_a_numbered_suffix_instead_of_posting_into_someone_elses_channel(
    slack_api: SlackAPIStandIn, notifier: SlackNotifier
) -> None:
    theirs = slack_api.add_channel(NAME, member=False)
    slack_api.add_channel(f"{NAME}-2")

    channel_id = notifier.open_incident_channel(NAME, ["U0ALICE"], PAGE)

    assert channel_id != theirs
    assert slack_api.workspace.channels[channel_id]["name"] == f"{NAME}-3"
    tried = [a.params["name"] for a in slack_api.attempts if a.method == "conversations.create"]
    assert tried == [NAME, f"{NAME}-2", f"{NAME}-3"]


def test_a_responder_unknown_to_slack_does_not_keep_the_others_out(
    slack_api: SlackAPIStandIn, notifier: SlackNotifier
) -> None:
    channel_id = notifier.open_incident_channel(NAME, ["U0ALICE", "U0NOBODY"], PAGE)
    assert "U0ALICE" in slack_api.workspace.channels[channel_id]["members"]
    assert slack_api.calls("pins.add")


def test_lone_unknown_responder_still_leaves_a_usable_channel(
    slack_api: SlackAPIStandIn, notifier: SlackNotifier
) -> None:
    channel_id = notifier.open_incident_channel(NAME, ["U0NOBODY"], PAGE)
    assert [a.response.get("error") for a in slack_api.attempts if a.method == "conversations.invite"] == [
        "user_not_found"
    ]
    assert slack_api.calls("pins.add")[0].params["channel"] == channel_id


def test_invalid_channel_name_is_permanent(slack_api: SlackAPIStandIn, notifier: SlackNotifier) -> None:
    with pytest.raises(PermanentDeliveryError) as caught:
        notifier.open_incident_channel("Inc 12 Checkout", ["U0ALICE"], PAGE)
    assert caught.value.code == "invalid_name_specials"


def test_rate_limited_create_is_transient_and_creates_nothing(
    slack_api: SlackAPIStandIn, notifier: SlackNotifier
) -> None:
    slack_api.fail_next("conversations.create", status=429, retry_after=30)
    with pytest.raises(TransientDeliveryError) as caught:
        notifier.open_incident_channel(NAME, ["U0ALICE"], PAGE)
    assert caught.value.retry_after == 30.0
    assert slack_api.requests == []
