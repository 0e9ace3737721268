"""Status callbacks at /twilio/status: statuses only move forward, in whatever order they arrive."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.twilio_api import FakeTwilioApi
from tests.integration.twilio_app.support import (
    ALICE_PHONE,
    FROM_NUMBER,
    deliver_at,
    notifications,
    timeline,
    trigger,
    twilio_post,
)
from tests.support.config import run_jobs


def sent_sms(runtime: Any, client: Any) -> tuple[int, str]:
    """Page alice by SMS; (incident id, MessageSid)."""
    incident_id = trigger(client, "k1")
    run_jobs(runtime)
    [sms] = notifications(runtime, channel="sms")
    assert sms.status == "sent" and sms.provider_id
    return incident_id, sms.provider_id


def placed_call(runtime: Any, client: Any) -> tuple[int, str]:
    """Page alice by a call; (incident id, CallSid)."""
    incident_id = trigger(client, "k1")
    [voice] = notifications(runtime, channel="voice")
    deliver_at(runtime, voice.id or 0, voice.due_at)
    [voice] = notifications(runtime, channel="voice")
    assert voice.provider_id
    return incident_id, voice.provider_id


def message_status(client: Any, sid: str, status: str, error_code: str = "") -> Any:
    """Post a message status callback as Twilio does (ErrorCode only on failures)."""
    params = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status,
              "AccountSid": "AC0", "From": FROM_NUMBER, "To": ALICE_PHONE, "ApiVersion": "2010-04-01"}
    if error_code:
        params["ErrorCode"] = error_code
    response = twilio_post(client, "/twilio/status", params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def call_status(client: Any, sid: str, status: str, **extra: str) -> None:
    """Post a call status callback as Twilio does."""
    params = {"CallSid": sid, "CallStatus": status, "AccountSid": "AC0", "From": FROM_NUMBER, "To": ALICE_PHONE,
              "Direction": "outbound-api", **extra}
    response = twilio_post(client, "/twilio/status", params)
    assert response.status_code == 200, response.get_data(as_text=True)


@pytest.mark.parametrize("order", [["queued", "sent", "delivered"], ["delivered", "sent", "queued"],
                                   ["sent", "delivered", "sent"]])
def test_a_delivered_text_stays_delivered_whatever_the_order(
    configured: Any, client: Any, twilio_api: FakeTwilioApi, order: list[str]
) -> None:
    _, sid = sent_sms(configured, client)

    for status in order:
        message_status(client, sid, status)

    [sms] = notifications(configured, channel="sms")
    assert (sms.status, sms.provider_status) == ("delivered", "delivered")
    assert sms.delivered_at is not None and sms.sent_at is not None and sms.delivered_at >= sms.sent_at


@pytest.mark.parametrize("order", [["sent", "undelivered"], ["undelivered", "sent"], ["undelivered", "delivered"]])
def test_an_undelivered_text_falls_through_once_with_the_twilio_error_code(
    configured: Any, client: Any, order: list[str]
) -> None:
    incident_id, sid = sent_sms(configured, client)

    for status in order:
        message_status(client, sid, status, "30003" if status == "undelivered" else "")

    [sms] = notifications(configured, channel="sms")
    assert (sms.status, sms.provider_status) == ("failed", "undelivered")
    lines = timeline(configured, incident_id)
    assert ("delivery_failed: sms page to alice failed permanently: Twilio reports the text undelivered "
            "(Twilio error 30003: unreachable destination handset (phone off or out of coverage))") in lines
    assert sum(line.startswith("fallback:") for line in lines) == 1


def test_a_failure_after_delivered_changes_nothing(configured: Any, client: Any) -> None:
    incident_id, sid = sent_sms(configured, client)

    message_status(client, sid, "delivered")
    message_status(client, sid, "failed", "30008")

    [sms] = notifications(configured, channel="sms")
    assert (sms.status, sms.provider_status) == ("delivered", "delivered")
    assert not any(line.startswith("delivery_failed") for line in timeline(configured, incident_id))


@pytest.mark.parametrize("order", [["initiated", "ringing", "in-progress", "completed"],
                                   ["completed", "in-progress", "ringing"]])
def test_an_answered_call_is_delivered_in_either_order(configured: Any, client: Any, order: list[str]) -> None:
    _, sid = placed_call(configured, client)

    for status in order:
        call_status(client, sid, status, AnsweredBy="human")

    [voice] = notifications(configured, channel="voice")
    assert (voice.status, voice.provider_status) == ("delivered", "completed")


@pytest.mark.parametrize(("status", "words"), [("no-answer", "the call was not answered"),
                                               ("busy", "the line was busy")])
def test_an_unanswered_call_falls_through(configured: Any, client: Any, status: str, words: str) -> None:
    incident_id, sid = placed_call(configured, client)

    call_status(client, sid, "ringing")
    call_status(client, sid, status)
    call_status(client, sid, "ringing")

    [voice] = notifications(configured, channel="voice")
    assert (voice.status, voice.provider_status) == ("failed", status)
    lines = timeline(configured, incident_id)
    assert f"delivery_failed: voice page to alice failed permanently: {words}" in lines
    assert sum(line.startswith("fallback:") for line in lines) == 1


def test_a_call_completed_by_a_machine_is_not_delivered(configured: Any, client: Any) -> None:
    incident_id, sid = placed_call(configured, client)

    call_status(client, sid, "completed", AnsweredBy="machine_start")

    [voice] = notifications(configured, channel="voice")
    assert voice.status == "failed"
    assert any("the call reached a machine (AnsweredBy=machine_start)" in line
               for line in timeline(configured, incident_id))


def test_a_callback_for_an_unknown_sid_is_accepted_and_ignored(configured: Any, client: Any) -> None:
    incident_id, _ = sent_sms(configured, client)
    before = timeline(configured, incident_id)

    message_status(client, "SMnot-ours", "undelivered", "30003")

    [sms] = notifications(configured, channel="sms")
    assert (sms.status, sms.provider_status) == ("sent", "sent")
    assert timeline(configured, incident_id) == before


def test_a_callback_with_a_bad_signature_is_refused(configured: Any, client: Any) -> None:
    _, sid = sent_sms(configured, client)

    response = twilio_post(client, "/twilio/status", {"MessageSid": sid, "MessageStatus": "undelivered"},
                           signature="c2lnbmVkIGJ5IHNvbWVvbmUgZWxzZQ==")

    assert response.status_code == 403
    [sms] = notifications(configured, channel="sms")
    assert sms.status == "sent"


def test_a_form_that_is_not_a_status_callback_is_a_400(configured: Any, client: Any) -> None:
    response = twilio_post(client, "/twilio/status", {"MessageSid": "SM1"})
    assert response.status_code == 400
    assert "MessageStatus" in response.get_json()["error"]
