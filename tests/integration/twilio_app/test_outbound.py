"""Outbound pages through the app's delivery and the real twilio client, checked by the stand-in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import col, update

from app.models import User
from app.platform.clock import utc_now
from tests.fakes.twilio_api import FakeTwilioApi
from tests.integration.twilio_app.support import (
    ALICE_PHONE,
    FROM_NUMBER,
    PUBLIC_URL,
    deliver_at,
    notifications,
    timeline,
    trigger,
)
from tests.support.config import run_jobs


def test_page_sms_goes_to_messages_json_with_reply_code_and_status_callback(
    configured: Any, client: Any, twilio_api: FakeTwilioApi
) -> None:
    incident_id = trigger(client, "k1", summary="Checkout is down")
    run_jobs(configured)

    [message] = twilio_api.messages()
    assert message.path == f"/2010-04-01/Accounts/{twilio_api.account_sid}/Messages.json"
    assert message.form["To"] == ALICE_PHONE
    assert message.form["From"] == FROM_NUMBER
    assert message.form["Body"] == (f"[SEV1] Checkout API: Checkout is down. "
                                    f"Reply ACK {incident_id}, RES {incident_id} or ESC {incident_id}")
    assert message.form["StatusCallback"] == f"{PUBLIC_URL}/twilio/status"
    [sms] = notifications(configured, channel="sms")
    assert (sms.status, sms.provider, sms.provider_id) == ("sent", "twilio", message.response["sid"])
    assert "notified: sms page to alice sent via twilio" in timeline(configured, incident_id)


def test_page_call_goes_to_calls_json_pointing_at_the_voice_webhook(
    configured: Any, client: Any, twilio_api: FakeTwilioApi
) -> None:
    incident_id = trigger(client, "k1")
    [voice] = notifications(configured, channel="voice")
    assert voice.due_at > utc_now() + timedelta(minutes=1)  # alice's rule: a call 2 minutes in

    assert deliver_at(configured, voice.id or 0, voice.due_at) == "sent"

    [call] = twilio_api.calls()
    assert call.form["To"] == ALICE_PHONE
    assert call.form["From"] == FROM_NUMBER
    assert call.form["Url"] == f"{PUBLIC_URL}/twilio/voice?incident_id={incident_id}"
    assert call.form["Method"] == "POST"
    assert call.form["StatusCallback"] == f"{PUBLIC_URL}/twilio/status"
    assert call.lists["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    assert call.form["MachineDetection"] == "Enable"
    [row] = notifications(configured, channel="voice")
    assert (row.status, row.provider_id) == ("sent", call.response["sid"])


def test_three_twilio_500s_are_retried_with_backoff_then_the_page_goes(
    configured: Any, client: Any, twilio_api: FakeTwilioApi
) -> None:
    twilio_api.fail_next("Messages.json", status=500, times=3)
    incident_id = trigger(client, "k1")
    [sms] = notifications(configured, channel="sms")
    at = utc_now()
    outcomes = []
    for _ in range(4):
        outcomes.append(deliver_at(configured, sms.id or 0, at))
        [sms] = notifications(configured, channel="sms")
        at = max(at, sms.due_at)

    assert outcomes == ["retry", "retry", "retry", "sent"]
    assert [a.status for a in twilio_api.attempts] == [500, 500, 500, 201]
    assert len(twilio_api.messages()) == 1
    assert (sms.status, sms.attempts, sms.provider_id) == ("sent", 4, twilio_api.messages()[0].response["sid"])
    retries = [line for line in timeline(configured, incident_id) if line.startswith("delivery_retry")]
    assert len(retries) == 3
    assert all("Twilio HTTP 500, 20500: Twilio internal error" in line for line in retries)
    assert [line.rsplit("in ", 1)[1] for line in retries] == ["2s", "4s", "8s"]


def test_a_permanent_twilio_error_falls_through_with_its_code_on_the_timeline(
    configured: Any, client: Any, twilio_api: FakeTwilioApi
) -> None:
    with configured.session() as session:  # Twilio's test number that answers 21610 (replied STOP)
        session.execute(update(User).where(col(User.id) == "alice").values(phone="+15005550004"))
        session.commit()
    incident_id = trigger(client, "k1")
    run_jobs(configured)

    [sms] = notifications(configured, channel="sms")
    assert sms.status == "failed" and "21610" in (sms.error or "")
    assert twilio_api.messages() == []  # refused, never retried
    assert [a.resource for a in twilio_api.attempts].count("Messages") == 1
    lines = timeline(configured, incident_id)
    assert any("sms page to alice failed permanently" in line and
               "21610: recipient replied STOP (unsubscribed)" in line for line in lines)
    assert "fallback: falling back to voice for alice" in lines  # the later call, brought forward
