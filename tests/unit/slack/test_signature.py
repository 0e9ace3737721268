"""Slack request signing: v0 HMAC-SHA256 over `v0:timestamp:body`, 300 s window both ways."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from integrations.slack.signature import SlackSignatureError, verify_slack_request

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fincident&text=ack+42"
    b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
NOW = 1_531_420_618.0


def sign(body: bytes, timestamp: str, secret: str = SECRET) -> str:
    # Written out independently of the code under test, as Slack's docs describe it.
    digest = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return "v0=" + digest


def headers(timestamp: str, signature: str) -> dict[str, str]:
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}


def reason(headers_: dict[str, str], body: bytes = BODY, now: float = NOW, secret: str = SECRET) -> str:
    with pytest.raises(SlackSignatureError) as caught:
        verify_slack_request(secret, headers_, body, now)
    return caught.value.reason


def test_correctly_signed_request_passes() -> None:
    ts = str(int(NOW))
    verify_slack_request(SECRET, headers(ts, sign(BODY, ts)), BODY, NOW)


def test_header_names_are_case_insensitive_and_edges_of_the_window_pass() -> None:
    for ts in (str(int(NOW) - 300), str(int(NOW) + 300)):
        lowered = {"x-slack-request-timestamp": ts, "x-slack-signature": sign(BODY, ts)}
        verify_slack_request(SECRET, lowered, BODY, NOW)


def test_wrong_signature_fails() -> None:
    ts = str(int(NOW))
    assert reason(headers(ts, sign(BODY, ts, secret="another-secret"))) == "bad_signature"
    assert reason(headers(ts, sign(BODY + b"&x=1", ts))) == "bad_signature"
    assert reason(headers(ts, "v0=" + "0" * 64)) == "bad_signature"


def test_timestamp_301_seconds_old_fails_even_when_signed() -> None:
    ts = str(int(NOW) - 301)
    assert reason(headers(ts, sign(BODY, ts))) == "stale_timestamp"


def test_timestamp_301_seconds_in_the_future_fails_even_when_signed() -> None:
    ts = str(int(NOW) + 301)
    assert reason(headers(ts, sign(BODY, ts))) == "stale_timestamp"


def test_missing_headers_fail() -> None:
    ts = str(int(NOW))
    assert reason({}) == "missing_headers"
    assert reason({"X-Slack-Signature": sign(BODY, ts)}) == "missing_headers"
    assert reason({"X-Slack-Request-Timestamp": ts}) == "missing_headers"


def test_non_numeric_timestamp_fails() -> None:
    assert reason(headers("yesterday", sign(BODY, "yesterday"))) == "bad_timestamp"


def test_no_signing_secret_rejects_everything() -> None:
    ts = str(int(NOW))
    assert reason(headers(ts, sign(BODY, ts, secret="")), secret="") == "not_configured"


def test_a_signature_that_is_not_ascii_fails_cleanly() -> None:
    ts = str(int(NOW))
    assert reason(headers(ts, sign(BODY, ts)[:-1] + "é")) == "bad_signature"


def test_the_signature_slack_would_send_matches_slacks_documented_recipe() -> None:
    from integrations.slack.signature import slack_signature

    assert slack_signature(SECRET, "1531420618", BODY) == sign(BODY, "1531420618")
