"""Inbound texts at /twilio/sms: signed as Twilio signs them, every reply form, STOP and START."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from xml.etree import ElementTree

import pytest

from app.phone.sms_policy import BUNDLE_WINDOW
from app.platform.runtime import Runtime
from app.web.factory import create_app
from app.wiring import build_notifiers
from tests.integration.twilio_app.support import (
    ALICE_PHONE,
    BOB_PHONE,
    PUBLIC_URL,
    STRANGER_PHONE,
    deliver_at,
    incident,
    notifications,
    sign,
    text_from,
    timeline,
    trigger,
    twilio_post,
    user,
)
from tests.support.config import run_jobs

EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response />'


def message_of(response: Any) -> str:
    """The text of the one <Message> in a TwiML answer."""
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/xml", body
    [message] = ElementTree.fromstring(body).findall("Message")
    return message.text or ""


@pytest.mark.parametrize("body", ["ACK {id}", "ack #{id}", "Ack{id}.", "4 {id}", "ACKNOWLEDGE {id}", "ACK", "4"])
def test_each_acknowledge_form_acknowledges_as_the_texting_user(configured: Any, client: Any, body: str) -> None:
    incident_id = trigger(client, "k1")
    run_jobs(configured)

    response = text_from(client, ALICE_PHONE, body.format(id=incident_id))

    assert message_of(response) == f"Incident {incident_id} acknowledged. Escalation stopped."
    found = incident(configured, incident_id)
    assert (found.status, found.acknowledged_by, found.next_escalation_at) == ("acknowledged", "alice", None)


@pytest.mark.parametrize("body", ["RES {id}", "res {id}", "6 {id}", "RESOLVE", "6"])
def test_each_resolve_form_resolves(configured: Any, client: Any, body: str) -> None:
    incident_id = trigger(client, "k1")
    run_jobs(configured)

    response = text_from(client, ALICE_PHONE, body.format(id=incident_id))

    assert message_of(response) == f"Incident {incident_id} resolved."
    assert (incident(configured, incident_id).status, incident(configured, incident_id).resolved_by) == (
        "resolved", "alice")


@pytest.mark.parametrize("body", ["ESC {id}", "5 {id}", "ESC"])
def test_each_escalate_form_pages_the_next_level(configured: Any, client: Any, body: str) -> None:
    incident_id = trigger(client, "k1")
    run_jobs(configured)

    response = text_from(client, ALICE_PHONE, body.format(id=incident_id))

    assert message_of(response) == f"Incident {incident_id} escalated to level 2."
    assert [r.user_id for r in notifications(configured, channel="sms")] == ["alice", "bob"]


def test_no_code_means_the_latest_page_texted_to_that_phone(configured: Any, client: Any) -> None:
    first = trigger(client, "k1")
    run_jobs(configured)
    second = trigger(client, "k2")  # texted 20 s later: the bundling window has passed
    [_, sms] = notifications(configured, channel="sms")
    assert deliver_at(configured, sms.id or 0, sms.due_at + BUNDLE_WINDOW) == "sent"

    assert message_of(text_from(client, ALICE_PHONE, "ACK")) == f"Incident {second} acknowledged. Escalation stopped."
    assert incident(configured, first).status == "triggered"


def test_a_reply_a_stranger_sends_with_a_known_incident_number_is_not_an_action(configured: Any, client: Any) -> None:
    incident_id = trigger(client, "k1")
    run_jobs(configured)

    response = text_from(client, STRANGER_PHONE, f"ACK {incident_id}")

    assert response.status_code == 200
    assert response.get_data(as_text=True) == EMPTY
    assert incident(configured, incident_id).status == "triggered"
    assert not any(line.startswith("acknowledged") for line in timeline(configured, incident_id))


def test_text_that_is_not_a_command_gets_the_accepted_forms_and_changes_nothing(configured: Any, client: Any) -> None:
    incident_id = trigger(client, "k1")
    run_jobs(configured)
    before = timeline(configured, incident_id)

    text = message_of(text_from(client, ALICE_PHONE, "on my way"))

    assert text.startswith('Sorry, "on my way" is not a command.')
    assert "Reply ACK 12, RES 12 or ESC 12" in text
    assert incident(configured, incident_id).status == "triggered"
    assert timeline(configured, incident_id) == before


def test_no_code_with_no_page_yet_asks_for_the_number(configured: Any, client: Any) -> None:
    assert message_of(text_from(client, BOB_PHONE, "ACK")).startswith("There is no page to this phone to reply to.")


def test_an_already_acknowledged_incident_says_by_whom(configured: Any, client: Any) -> None:
    incident_id = trigger(client, "k1")
    run_jobs(configured)
    text_from(client, ALICE_PHONE, f"ACK {incident_id}")

    text = message_of(text_from(client, BOB_PHONE, f"ACK {incident_id}"))

    assert text == f"Incident {incident_id} was already acknowledged by alice."


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl", "wrong-url"])
def test_a_text_without_a_valid_signature_is_refused_and_changes_nothing(
    configured: Any, client: Any, signature: str
) -> None:
    incident_id = trigger(client, "k1")
    run_jobs(configured)
    params = {"From": ALICE_PHONE, "Body": "STOP"}
    if signature == "wrong-url":  # signed for the URL the app sees, not the public one Twilio called
        signature = sign("http://localhost/twilio/sms", params)

    response = twilio_post(client, "/twilio/sms", params, signature=signature)

    assert response.status_code == 403
    assert "X-Twilio-Signature" in response.get_json()["error"]
    assert user(configured, "alice").sms_enabled is True
    assert not any(line.startswith("contact_disabled") for line in timeline(configured, incident_id))


def test_a_text_signed_with_another_token_is_refused(configured: Any, client: Any) -> None:
    params = {"From": ALICE_PHONE, "Body": "STOP"}
    response = twilio_post(client, "/twilio/sms", params, signature=sign(PUBLIC_URL + "/twilio/sms", params, "x" * 32))
    assert response.status_code == 403
    assert user(configured, "alice").sms_enabled is True


def test_without_an_auth_token_every_text_is_refused(configured: Any) -> None:
    settings = replace(configured.settings, twilio_auth_token=None)
    app = create_app(runtime=Runtime(settings, configured.engine, configured.redis, configured.dispatcher,
                                      build_notifiers))

    response = text_from(app.test_client(), ALICE_PHONE, "STOP")

    assert response.status_code == 403
    assert "not configured" in response.get_json()["error"]
    assert user(configured, "alice").sms_enabled is True


def test_stop_turns_texts_and_calls_off_and_start_turns_them_on(configured: Any, client: Any) -> None:
    incident_id = trigger(client, "k1")
    run_jobs(configured)

    stop = message_of(text_from(client, ALICE_PHONE, "STOP"))

    assert stop.startswith("Klaxon will no longer text or call this phone.")
    assert user(configured, "alice").sms_enabled is False
    assert (f"contact_disabled: alice texted STOP from {ALICE_PHONE}: texts and calls to this phone are off "
            f"until START; their pages fall through to their other channels") in timeline(configured, incident_id)

    start = message_of(text_from(client, ALICE_PHONE, "start"))

    assert start == "Klaxon texts and calls to this phone are back on."
    assert user(configured, "alice").sms_enabled is True
    assert (f"contact_enabled: alice texted START from {ALICE_PHONE}: texts and calls to this phone are on again"
            in timeline(configured, incident_id))


def test_after_stop_the_next_page_skips_the_phone_and_says_so(configured: Any, client: Any) -> None:
    first = trigger(client, "k1")
    run_jobs(configured)
    text_from(client, ALICE_PHONE, "STOP")
    text_from(client, ALICE_PHONE, f"RES {first}")  # replies still work: STOP is about what we send

    second = trigger(client, "k2")
    run_jobs(configured)

    [_, sms] = notifications(configured, channel="sms")
    assert sms.incident_id == second and sms.status == "failed"
    assert any("STOP" in line for line in timeline(configured, second))
    assert incident(configured, first).status == "resolved"
