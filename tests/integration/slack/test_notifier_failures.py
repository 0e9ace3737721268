"""How Slack's failures reach the delivery queue: Transient (retry later) or Permanent (fall through).

The SDK's own retries are off, so each failure is exactly one HTTP attempt.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import pytest

from integrations.notifier import Page, PermanentDeliveryError, Recipient, TransientDeliveryError
from integrations.slack import SlackNotifier
from tests.fakes.slack_api import SlackAPIStandIn

PAGE = Page(
    incident_id=7, title="Queue backlog", severity="SEV2", severity_reason="default: error -> SEV2",
    service_id="jobs", service_name="Jobs", status="triggered", created_at="2026-03-01T12:00:00+00:00",
)
ALICE = Recipient(user_id="alice", slack_user_id="U0ALICE")
CHANNEL = Recipient(user_id=None, slack_channel="#jobs-alerts")


def test_http_429_is_transient_with_retry_after_and_is_not_retried_in_process(
    slack_api: SlackAPIStandIn, notifier: SlackNotifier
) -> None:
    slack_api.add_channel("jobs-alerts")
    slack_api.fail_next("chat.postMessage", status=429, retry_after=17)

    with pytest.raises(TransientDeliveryError) as caught:
        notifier.send(PAGE, CHANNEL)

    assert (caught.value.code, caught.value.retry_after) == ("ratelimited", 17.0)
    assert [a.method for a in slack_api.attempts] == ["chat.postMessage"]  # one attempt: our queue retries
    assert slack_api.requests == []
    notifier.send(PAGE, CHANNEL)  # the next try (from the queue) goes through
    assert len(slack_api.calls("chat.postMessage")) == 1


def test_rate_limit_on_conversations_open_is_transient_too(
    slack_api: SlackAPIStandIn, notifier: SlackNotifier
) -> None:
    slack_api.add_user("U0ALICE")
    slack_api.fail_next("conversations.open", status=429, retry_after=3)
    with pytest.raises(TransientDeliveryError) as caught:
        notifier.send(PAGE, ALICE)
    assert caught.value.retry_after == 3.0
    assert slack_api.calls("chat.postMessage") == []


@pytest.mark.parametrize("status", [500, 502, 503])
def test_http_5xx_is_transient(slack_api: SlackAPIStandIn, notifier: SlackNotifier, status: int) -> None:
    slack_api.add_channel("jobs-alerts")
    slack_api.fail_next("chat.postMessage", status=status)
    with pytest.raises(TransientDeliveryError) as caught:
        notifier.send(PAGE, CHANNEL)
    assert caught.value.code == f"http_{status}"
    assert len(slack_api.attempts) == 1


def test_slack_internal_error_is_transient(slack_api: SlackAPIStandIn, notifier: SlackNotifier) -> None:
    slack_api.add_channel("jobs-alerts")
    slack_api.fail_next("chat.postMessage", error="internal_error")
    with pytest.raises(TransientDeliveryError):
        notifier.send(PAGE, CHANNEL)


def test_unknown_slack_user_is_permanent(slack_api: SlackAPIStandIn, notifier: SlackNotifier) -> None:
    with pytest.raises(PermanentDeliveryError) as caught:
        notifier.send(PAGE, Recipient(user_id="zed", slack_user_id="U0NOBODY"))
    assert caught.value.code == "user_not_found"


def test_deactivated_slack_user_is_permanent(slack_api: SlackAPIStandIn, notifier: SlackNotifier) -> None:
    slack_api.add_user("U0GONE", deleted=True)
    with pytest.raises(PermanentDeliveryError) as caught:
        notifier.send(PAGE, Recipient(user_id="gone", slack_user_id="U0GONE"))
    assert caught.value.code == "user_disabled"


def test_a_bot_cannot_be_paged_by_dm(slack_api: SlackAPIStandIn, notifier: SlackNotifier) -> None:
    slack_api.add_user("U0OTHERBOT", is_bot=True)
    with pytest.raises(PermanentDeliveryError) as caught:
        notifier.send(PAGE, Recipient(user_id="bot", slack_user_id="U0OTHERBOT"))
    assert caught.value.code == "cannot_dm_bot"


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        (lambda s: None, "channel_not_found"),
        (lambda s: s.add_channel("jobs-alerts", member=False), "not_in_channel"),
        (lambda s: s.add_channel("jobs-alerts", archived=True), "is_archived"),
    ],
)
def test_channel_problems_are_permanent(
    slack_api: SlackAPIStandIn, notifier: SlackNotifier, setup: Callable[[SlackAPIStandIn], object], code: str
) -> None:
    setup(slack_api)
    with pytest.raises(PermanentDeliveryError) as caught:
        notifier.send(PAGE, CHANNEL)
    assert caught.value.code == code


@pytest.mark.parametrize("code", ["account_inactive", "users_not_found", "token_revoked"])
def test_programmed_permanent_codes_keep_slacks_code(
    slack_api: SlackAPIStandIn, notifier: SlackNotifier, code: str
) -> None:
    slack_api.add_channel("jobs-alerts")
    slack_api.fail_next("chat.postMessage", error=code)
    with pytest.raises(PermanentDeliveryError) as caught:
        notifier.send(PAGE, CHANNEL)
    assert caught.value.code == code


def test_wrong_token_is_rejected_by_slack_and_permanent(slack_api: SlackAPIStandIn) -> None:
    slack_api.add_channel("jobs-alerts")
    wrong = SlackNotifier("xoxb-1111111111-2222222222-wrongwrongwrong", slack_api.url)
    with pytest.raises(PermanentDeliveryError) as caught:
        wrong.send(PAGE, CHANNEL)
    assert caught.value.code == "invalid_auth"
    assert slack_api.requests == []


def test_missing_token_is_not_authed(slack_api: SlackAPIStandIn) -> None:
    slack_api.add_channel("jobs-alerts")
    with pytest.raises(PermanentDeliveryError) as caught:
        SlackNotifier("", slack_api.url).send(PAGE, CHANNEL)
    assert caught.value.code == "not_authed"


def test_slow_slack_times_out_as_transient(slack_api: SlackAPIStandIn) -> None:
    slack_api.add_channel("jobs-alerts")
    slack_api.fail_next("chat.postMessage", delay=1.5)
    quick = SlackNotifier(slack_api.token, slack_api.url, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(TransientDeliveryError) as caught:
        quick.send(PAGE, CHANNEL)
    assert caught.value.code == "connection_error"
    assert time.monotonic() - started < 1.4  # gave up at the timeout, did not wait for Slack


def test_dropped_connection_is_transient_and_not_retried_in_process(
    slack_api: SlackAPIStandIn, notifier: SlackNotifier
) -> None:
    slack_api.add_channel("jobs-alerts")
    slack_api.fail_next("chat.postMessage", disconnect=True)
    with pytest.raises(TransientDeliveryError) as caught:
        notifier.send(PAGE, CHANNEL)
    assert caught.value.code == "connection_error"
    # The SDK's default handler would have retried this once and succeeded behind our back.
    assert len(slack_api.attempts) == 1 and slack_api.requests == []


def test_unreachable_slack_is_transient() -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    notifier = SlackNotifier("xoxb-1-2-3", f"http://127.0.0.1:{port}/api/", timeout=2)
    with pytest.raises(TransientDeliveryError) as caught:
        notifier.send(PAGE, CHANNEL)
    assert caught.value.code == "connection_error"


def test_updating_a_message_that_is_gone_is_permanent(slack_api: SlackAPIStandIn, notifier: SlackNotifier) -> None:
    channel_id = slack_api.add_channel("jobs-alerts")
    with pytest.raises(PermanentDeliveryError) as caught:
        notifier.update_message(f"{channel_id}:1700000000.999999", PAGE)
    assert caught.value.code == "message_not_found"


def test_malformed_provider_id_is_a_programming_error(notifier: SlackNotifier) -> None:
    with pytest.raises(ValueError, match="CHANNEL:TS"):
        notifier.update_message("1700000000.000001", PAGE)
