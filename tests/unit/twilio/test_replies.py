"""SMS reply grammar (CONTRACT section 5) and call key presses."""

from __future__ import annotations

import pytest

from integrations.twilio.replies import SmsReply, SmsReplyError, digit_action, parse_sms_reply


@pytest.mark.parametrize(
    "body, action, incident_id",
    [
        ("ACK 12", "acknowledge", 12),
        ("RES 12", "resolve", 12),
        ("ESC 12", "escalate", 12),
        ("ack 12", "acknowledge", 12),
        ("Ack 12.", "acknowledge", 12),
        ("  ack    12  ", "acknowledge", 12),
        ("ACK12", "acknowledge", 12),
        ("ack #12", "acknowledge", 12),
        ("acknowledge 12", "acknowledge", 12),
        ("Resolve 7", "resolve", 7),
        ("escalate 99999", "escalate", 99999),
        ("4 12", "acknowledge", 12),
        ("6 12", "resolve", 12),
        ("5 12", "escalate", 12),
        ("4  #12", "acknowledge", 12),
    ],
)
def test_action_with_incident_code(body: str, action: str, incident_id: int) -> None:
    assert parse_sms_reply(body) == SmsReply(action=action, incident_id=incident_id)


@pytest.mark.parametrize(
    "body, action",
    [("ACK", "acknowledge"), ("res", "resolve"), ("Esc!", "escalate"), ("4", "acknowledge"),
     ("6", "resolve"), ("5", "escalate"), (" 4 ", "acknowledge")],
)
def test_action_without_code_means_latest_page(body: str, action: str) -> None:
    assert parse_sms_reply(body) == SmsReply(action=action, incident_id=None)


@pytest.mark.parametrize(
    "body", ["STOP", "stop", "StopAll", "UNSUBSCRIBE", "cancel", "END", "quit", "OPTOUT", "revoke"]
)
def test_opt_out_keywords_are_stop(body: str) -> None:
    assert parse_sms_reply(body) == SmsReply(action="stop")


@pytest.mark.parametrize("body", ["START", "start", "UNSTOP", "yes"])
def test_opt_in_keywords_are_start(body: str) -> None:
    assert parse_sms_reply(body) == SmsReply(action="start")


@pytest.mark.parametrize(
    "body",
    ["", "   ", "hello", "ACK twelve", "412", "4 5 6", "STOP 12", "ACK 0", "ACK -3", "ok 12", "ACK 1234567890123",
     "please ack 12", "7 12"],
)
def test_anything_else_is_rejected_with_the_accepted_forms(body: str) -> None:
    with pytest.raises(SmsReplyError) as error:
        parse_sms_reply(body)
    assert "Reply ACK 12, RES 12 or ESC 12" in str(error.value)


def test_error_quotes_only_the_start_of_a_long_reply() -> None:
    with pytest.raises(SmsReplyError) as error:
        parse_sms_reply("I am on it, looking at the dashboards now, give me five minutes")
    assert '"I am on it, looki..."' in str(error.value)


@pytest.mark.parametrize("digits, action", [("4", "acknowledge"), ("6", "resolve"), ("5", "escalate"),
                                            ("1", None), ("", None), ("44", None), ("*", None)])
def test_digit_action(digits: str, action: str | None) -> None:
    assert digit_action(digits) == action
