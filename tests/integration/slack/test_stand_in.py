"""The stand-in itself refuses what Slack refuses; otherwise tests against it would prove nothing.

Driven with the real slack_sdk WebClient (retries off), as SlackNotifier uses it.
"""

from __future__ import annotations

import urllib.request
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fakes.slack_api import SlackAPIStandIn


@pytest.fixture
def client(slack_api: SlackAPIStandIn) -> WebClient:
    return WebClient(token=slack_api.token, base_url=slack_api.url, retry_handlers=[])


def slack_error(call: object) -> str:
    assert callable(call)
    with pytest.raises(SlackApiError) as caught:
        call()
    return str(caught.value.response["error"])


def test_required_fields_are_checked_per_method(slack_api: SlackAPIStandIn, client: WebClient) -> None:
    channel = slack_api.add_channel("ops")
    assert slack_error(lambda: client.api_call("chat.postMessage", json={"text": "hi"})) == "channel_not_found"
    assert slack_error(lambda: client.api_call("chat.postMessage", json={"channel": channel})) == "no_text"
    assert slack_error(lambda: client.api_call("chat.update", json={"channel": channel, "text": "x"})) == (
        "message_not_found"
    )
    assert slack_error(lambda: client.api_call("conversations.open", params={})) == "users_list_not_supplied"
    assert slack_error(lambda: client.api_call("conversations.create", params={})) == "invalid_name_required"
    assert slack_error(lambda: client.api_call("conversations.invite", params={"channel": channel})) == "no_user"
    assert slack_error(lambda: client.api_call("pins.add", params={"channel": channel})) == "no_item_specified"


@pytest.mark.parametrize(
    ("name", "error"),
    [("Incident", "invalid_name_specials"), ("inc 12", "invalid_name_specials"), ("a" * 81, "invalid_name_maxlength"),
     ("---", "invalid_name_punctuation")],
)
def test_channel_names_are_checked_like_slack(client: WebClient, name: str, error: str) -> None:
    assert slack_error(lambda: client.conversations_create(name=name)) == error


def test_chat_update_wants_a_channel_id_not_a_name(slack_api: SlackAPIStandIn, client: WebClient) -> None:
    slack_api.add_channel("ops")
    posted = client.chat_postMessage(channel="#ops", text="hello")
    assert slack_error(lambda: client.chat_update(channel="#ops", ts=posted["ts"], text="x")) == "channel_not_found"
    client.chat_update(channel=posted["channel"], ts=posted["ts"], text="x")


@pytest.mark.parametrize(
    "blocks",
    [
        [{"type": "header", "text": {"type": "mrkdwn", "text": "headers are plain_text"}}],
        [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
        [{"type": "actions", "elements": [{"type": "button", "action_id": "a", "value": "1",
                                           "text": {"type": "plain_text", "text": "Go"}, "style": "red"}]}],
        [{"type": "actions", "elements": [
            {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "One"}},
            {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "Two"}}]}],
        [{"type": "carousel"}],
    ],
)
def test_broken_blocks_are_invalid_blocks(
    slack_api: SlackAPIStandIn, client: WebClient, blocks: list[dict[str, Any]]
) -> None:
    slack_api.add_channel("ops")
    assert slack_error(lambda: client.chat_postMessage(channel="#ops", text="t", blocks=blocks)) == "invalid_blocks"


def test_form_encoded_blocks_are_parsed_as_json(slack_api: SlackAPIStandIn, client: WebClient) -> None:
    slack_api.add_channel("ops")
    assert slack_error(
        lambda: client.api_call("chat.postMessage", params={"channel": "#ops", "blocks": "[{not json"})
    ) == "invalid_blocks_format"
    ok = client.api_call("chat.postMessage", params={"channel": "#ops", "blocks": '[{"type":"divider"}]'})
    assert ok["message"]["blocks"] == [{"type": "divider"}]


def test_only_post_with_the_right_bearer_token_is_served(slack_api: SlackAPIStandIn) -> None:
    request = urllib.request.Request(slack_api.url + "auth.test", method="GET")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=2)
    assert caught.value.code == 405
    wrong = WebClient(token="xoxp-user-token-not-a-bot", base_url=slack_api.url, retry_handlers=[])
    assert slack_error(lambda: wrong.conversations_open(users="U0X")) == "invalid_auth"
    assert slack_api.requests == [] and len(slack_api.attempts) == 2


def test_programmed_failures_run_out_after_the_given_count(slack_api: SlackAPIStandIn, client: WebClient) -> None:
    slack_api.add_channel("ops")
    slack_api.fail_next("chat.postMessage", error="fatal_error", times=2)
    assert slack_error(lambda: client.chat_postMessage(channel="#ops", text="1")) == "fatal_error"
    assert slack_error(lambda: client.chat_postMessage(channel="#ops", text="2")) == "fatal_error"
    assert client.chat_postMessage(channel="#ops", text="3")["ok"] is True
