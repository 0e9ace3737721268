"""Page calls at /twilio/voice: the page read out, keys 4 / 6 / 5, a wrong key, an answering machine."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import pytest

from tests.fakes.twilio_api import FakeTwilioApi
from tests.integration.twilio_app.support import (
    ALICE_PHONE,
    FROM_NUMBER,
    PUBLIC_URL,
    STRANGER_PHONE,
    deliver_at,
    incident,
    notifications,
    sign,
    timeline,
    trigger,
    twilio_post,
)


def place_call(runtime: Any, client: Any, twilio_api: FakeTwilioApi) -> tuple[int, str]:
    """Trigger an incident and let delivery place alice's page call; (incident id, CallSid)."""
    incident_id = trigger(client, "k1", summary="Checkout is down")
    [voice] = notifications(runtime, channel="voice")
    assert deliver_at(runtime, voice.id or 0, voice.due_at) == "sent"
    return incident_id, str(twilio_api.calls()[-1].response["sid"])


def call_params(call_sid: str, **extra: str) -> dict[str, str]:
    """The fields Twilio posts on an outbound-api call's webhook requests."""
    return {"CallSid": call_sid, "AccountSid": "AC0", "From": FROM_NUMBER, "To": ALICE_PHONE,
            "Direction": "outbound-api", "CallStatus": "in-progress", **extra}


def twiml(response: Any) -> ElementTree.Element:
    """The TwiML document of a 200 answer."""
    assert response.status_code == 200 and response.mimetype == "text/xml", response.get_data(as_text=True)
    return ElementTree.fromstring(response.get_data(as_text=True))


def spoken(document: ElementTree.Element) -> list[str]:
    """Everything the call says, in order."""
    return [say.text or "" for say in document.iter("Say")]


def press(client: Any, incident_id: int, call_sid: str, digits: str) -> ElementTree.Element:
    """Post a key press to the Gather action URL of the call's TwiML, signed as Twilio signs it."""
    return twiml(twilio_post(client, f"/twilio/voice?incident_id={incident_id}&gather=1",
                             call_params(call_sid, Digits=digits)))


def test_the_call_reads_the_page_and_gathers_one_key_twice(
    configured: Any, client: Any, twilio_api: FakeTwilioApi
) -> None:
    incident_id, call_sid = place_call(configured, client, twilio_api)

    document = twiml(twilio_post(client, f"/twilio/voice?incident_id={incident_id}",
                                 call_params(call_sid, AnsweredBy="human")))

    gathers = document.findall("Gather")
    assert len(gathers) == 2
    assert all(g.get("action") == f"{PUBLIC_URL}/twilio/voice?incident_id={incident_id}&gather=1" for g in gathers)
    assert all((g.get("numDigits"), g.get("input"), g.get("method")) == ("1", "dtmf", "POST") for g in gathers)
    assert spoken(document)[0] == (f"This is Klaxon. Severity 1 incident {incident_id}, on Checkout API. "
                                   f"Checkout is down. Press 4 to acknowledge, 6 to resolve, or 5 to escalate.")


@pytest.mark.parametrize(("digit", "status", "said"), [
    ("4", "acknowledged", "Incident {id} acknowledged. Escalation stopped."),
    ("6", "resolved", "Incident {id} resolved."),
    ("5", "triggered", "Incident {id} escalated to level 2."),
])
def test_a_key_acts_as_the_called_user_and_says_what_it_did(
    configured: Any, client: Any, twilio_api: FakeTwilioApi, digit: str, status: str, said: str
) -> None:
    incident_id, call_sid = place_call(configured, client, twilio_api)

    document = press(client, incident_id, call_sid, digit)

    assert spoken(document) == [said.format(id=incident_id), "Goodbye."]
    assert document.find("Hangup") is not None
    found = incident(configured, incident_id)
    assert found.status == status
    assert {"4": found.acknowledged_by, "6": found.resolved_by, "5": "alice"}[digit] == "alice"
    if digit == "5":
        assert [r.user_id for r in notifications(configured, channel="sms")] == ["alice", "bob"]


def test_the_user_is_found_by_the_to_number_when_the_call_sid_is_not_ours(configured: Any, client: Any) -> None:
    incident_id = trigger(client, "k1")

    press(client, incident_id, "CAnot-in-the-outbox", "4")

    assert incident(configured, incident_id).acknowledged_by == "alice"


def test_a_key_that_is_not_an_option_asks_again_and_changes_nothing(
    configured: Any, client: Any, twilio_api: FakeTwilioApi
) -> None:
    incident_id, call_sid = place_call(configured, client, twilio_api)
    before = timeline(configured, incident_id)

    document = press(client, incident_id, call_sid, "7")

    assert spoken(document)[0].startswith("Sorry, 7 is not an option. Press 4 to acknowledge")
    [gather] = document.findall("Gather")
    assert gather.get("action") == f"{PUBLIC_URL}/twilio/voice?incident_id={incident_id}&gather=1"
    assert incident(configured, incident_id).status == "triggered"
    assert timeline(configured, incident_id) == before


def test_an_answering_machine_gets_a_message_and_the_call_counts_as_not_answered(
    configured: Any, client: Any, twilio_api: FakeTwilioApi
) -> None:
    incident_id, call_sid = place_call(configured, client, twilio_api)

    document = twiml(twilio_post(client, f"/twilio/voice?incident_id={incident_id}",
                                 call_params(call_sid, AnsweredBy="machine_end_beep")))

    assert document.find("Gather") is None
    assert "Check Slack or your text messages to respond." in spoken(document)[0]
    assert incident(configured, incident_id).status == "triggered"
    [voice] = notifications(configured, channel="voice")
    assert voice.status == "failed" and "machine" in (voice.error or "")
    assert any(line.startswith("delivery_failed: voice page to alice failed permanently: the call reached a "
                               "machine (AnsweredBy=machine_end_beep)") for line in timeline(configured, incident_id))


def test_a_key_press_with_a_bad_signature_is_refused_and_changes_nothing(
    configured: Any, client: Any, twilio_api: FakeTwilioApi
) -> None:
    incident_id, call_sid = place_call(configured, client, twilio_api)
    params = call_params(call_sid, Digits="4")
    # Signed without the query: the action URL Twilio called includes it, so this is not Twilio's signature.
    signature = sign(f"{PUBLIC_URL}/twilio/voice", params)

    response = twilio_post(client, f"/twilio/voice?incident_id={incident_id}&gather=1", params, signature=signature)

    assert response.status_code == 403
    assert incident(configured, incident_id).status == "triggered"


def test_calling_our_number_back_reads_the_latest_page(
    configured: Any, client: Any, twilio_api: FakeTwilioApi
) -> None:
    incident_id, _ = place_call(configured, client, twilio_api)
    inbound = {"CallSid": "CAinbound", "From": ALICE_PHONE, "To": FROM_NUMBER, "Direction": "inbound",
               "CallStatus": "ringing"}

    document = twiml(twilio_post(client, "/twilio/voice", inbound))

    assert f"incident {incident_id}" in spoken(document)[0]
    assert document.find("Gather").get("action").endswith(f"incident_id={incident_id}&gather=1")  # type: ignore[union-attr]


def test_a_stranger_calling_our_number_hears_nothing_about_incidents(configured: Any, client: Any) -> None:
    trigger(client, "k1")
    inbound = {"CallSid": "CAinbound", "From": STRANGER_PHONE, "To": FROM_NUMBER, "Direction": "inbound"}

    document = twiml(twilio_post(client, "/twilio/voice", inbound))

    assert spoken(document) == ["Klaxon has no page for this phone number. Nothing was changed.", "Goodbye."]
