"""Status callbacks: normalised statuses, failures, and ranks that never move backwards."""

from __future__ import annotations

import pytest

from integrations.twilio.status import (
    StatusCallbackError,
    StatusUpdate,
    advances,
    is_failure,
    is_final,
    parse_status_callback,
    status_rank,
)

SMS_SID = "SM1234567890abcdef1234567890abcdef"
CALL_SID = "CA1234567890abcdef1234567890abcdef"


def sms_callback(status: str, error_code: str | None = None) -> dict[str, str]:
    form = {"MessageSid": SMS_SID, "SmsSid": SMS_SID, "MessageStatus": status, "SmsStatus": status,
            "AccountSid": "AC1", "From": "+15005550006", "To": "+14155550100", "ApiVersion": "2010-04-01"}
    if error_code:
        form["ErrorCode"] = error_code
    return form


def call_callback(status: str, answered_by: str | None = None) -> dict[str, str]:
    form = {"CallSid": CALL_SID, "CallStatus": status, "AccountSid": "AC1", "Direction": "outbound-api",
            "From": "+15005550006", "To": "+14155550100", "CallbackSource": "call-progress-events"}
    if answered_by:
        form["AnsweredBy"] = answered_by
    return form


@pytest.mark.parametrize(
    "raw, status",
    [("accepted", "queued"), ("queued", "queued"), ("sending", "queued"), ("sent", "sent"),
     ("delivered", "delivered"), ("undelivered", "undelivered"), ("failed", "failed"), ("read", "delivered")],
)
def test_sms_statuses_are_normalised(raw: str, status: str) -> None:
    update = parse_status_callback(sms_callback(raw))
    assert (update.provider_id, update.kind, update.status, update.raw_status) == (SMS_SID, "sms", status, raw)


@pytest.mark.parametrize(
    "raw, status",
    [("queued", "queued"), ("initiated", "queued"), ("ringing", "sent"), ("in-progress", "answered"),
     ("completed", "completed"), ("busy", "busy"), ("no-answer", "no-answer"), ("failed", "failed"),
     ("canceled", "canceled")],
)
def test_call_statuses_are_normalised(raw: str, status: str) -> None:
    update = parse_status_callback(call_callback(raw))
    assert (update.provider_id, update.kind, update.status) == (CALL_SID, "voice", status)


def test_sms_error_code_is_kept() -> None:
    update = parse_status_callback(sms_callback("undelivered", "30003"))
    assert update.error_code == "30003" and is_failure(update)


def test_legacy_smssid_only_callback_is_read() -> None:
    update = parse_status_callback({"SmsSid": SMS_SID, "SmsStatus": "sent"})
    assert (update.provider_id, update.status) == (SMS_SID, "sent")


def test_answered_by_is_kept() -> None:
    assert parse_status_callback(call_callback("in-progress", "human")).answered_by == "human"


@pytest.mark.parametrize(
    "form",
    [{}, {"MessageSid": SMS_SID}, {"MessageStatus": "sent"}, {"CallStatus": "ringing"},
     {"MessageSid": SMS_SID, "MessageStatus": "exploded"}, {"CallSid": CALL_SID, "CallStatus": "received"}],
)
def test_malformed_callbacks_are_rejected(form: dict[str, str]) -> None:
    with pytest.raises(StatusCallbackError):
        parse_status_callback(form)


@pytest.mark.parametrize(
    "form, failed",
    [
        (sms_callback("delivered"), False),
        (sms_callback("sent"), False),
        (sms_callback("undelivered", "30005"), True),
        (sms_callback("failed", "30008"), True),
        (call_callback("completed", "human"), False),
        (call_callback("completed", "unknown"), False),
        (call_callback("completed"), False),
        (call_callback("completed", "machine_start"), True),
        (call_callback("completed", "machine_end_beep"), True),
        (call_callback("completed", "fax"), True),
        (call_callback("busy"), True),
        (call_callback("no-answer"), True),
        (call_callback("failed"), True),
        (call_callback("canceled"), True),
        (call_callback("in-progress", "machine_start"), False),  # not over yet: the completed callback decides
    ],
)
def test_is_failure(form: dict[str, str], failed: bool) -> None:
    assert is_failure(parse_status_callback(form)) is failed


def test_ranks_order_the_lifecycle() -> None:
    assert status_rank("queued") < status_rank("sent") < status_rank("answered") < status_rank("completed")
    assert status_rank("sent") < status_rank("delivered") == status_rank("undelivered") == status_rank("failed")
    assert status_rank("pending") == status_rank("sending") == status_rank(None) == -1


@pytest.mark.parametrize(
    "current, new, moves",
    [
        ("sending", "queued", True),
        ("sent", "delivered", True),
        ("delivered", "sent", False),  # a late "sent" never undoes "delivered"
        ("delivered", "queued", False),
        ("undelivered", "delivered", False),  # first terminal status wins
        ("answered", "completed", True),
        ("completed", "answered", False),
        ("no-answer", "sent", False),
        (None, "queued", True),
        ("sent", "sent", False),
    ],
)
def test_out_of_order_callbacks_never_move_backwards(current: str | None, new: str, moves: bool) -> None:
    assert advances(current, new) is moves


def test_final_statuses() -> None:
    final = ("delivered", "undelivered", "failed", "completed", "busy", "no-answer", "canceled")
    assert all(is_final(s) for s in final)
    assert not any(is_final(s) for s in ("queued", "sent", "answered"))


def test_update_is_a_frozen_value() -> None:
    update = StatusUpdate(provider_id=SMS_SID, kind="sms", status="sent")
    with pytest.raises(AttributeError):
        update.status = "delivered"  # type: ignore[misc]
