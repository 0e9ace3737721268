"""Which Slack failures are worth retrying (Transient) and which fall through (Permanent)."""

from __future__ import annotations

import pytest

from integrations.notifier import PermanentDeliveryError, TransientDeliveryError
from integrations.slack.errors import delivery_error_for


def test_http_429_is_transient_with_retry_after_from_the_header_in_any_case() -> None:
    error = delivery_error_for(429, {"retry-after": "30"}, {"ok": False, "error": "ratelimited"}, "chat.postMessage")
    assert isinstance(error, TransientDeliveryError)
    assert (error.code, error.retry_after) == ("ratelimited", 30.0)


def test_ratelimited_in_the_body_without_header_is_transient_without_retry_after() -> None:
    error = delivery_error_for(200, {}, {"ok": False, "error": "rate_limited"}, "chat.postMessage")
    assert isinstance(error, TransientDeliveryError) and error.retry_after is None


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
def test_server_errors_are_transient(status: int) -> None:
    error = delivery_error_for(status, {}, {"ok": False, "error": "Received a response in a non-JSON format"}, "x")
    assert isinstance(error, TransientDeliveryError) and error.code == f"http_{status}"


@pytest.mark.parametrize("code", ["internal_error", "fatal_error", "service_unavailable", "request_timeout"])
def test_slack_side_trouble_is_transient(code: str) -> None:
    assert isinstance(delivery_error_for(200, {}, {"ok": False, "error": code}, "x"), TransientDeliveryError)


@pytest.mark.parametrize(
    "code",
    [
        "user_not_found", "users_not_found", "channel_not_found", "not_in_channel", "is_archived",
        "account_inactive", "cannot_dm_bot", "user_disabled", "invalid_auth", "not_authed", "invalid_blocks",
        "some_new_error_slack_adds_later",
    ],
)
def test_everything_else_is_permanent_and_keeps_slacks_code(code: str) -> None:
    error = delivery_error_for(200, {}, {"ok": False, "error": code}, "chat.postMessage")
    assert isinstance(error, PermanentDeliveryError) and error.code == code
