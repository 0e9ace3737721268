"""TwiML answers, parsed as XML: what Twilio will do with them."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from integrations.twilio.twiml import (
    empty_twiml,
    sms_reply_twiml,
    voice_invalid_digit_twiml,
    voice_machine_twiml,
    voice_page_twiml,
    voice_result_twiml,
)
from tests.unit.twilio.pages import make_page

ACTION = "https://klaxon.example.com/twilio/voice?incident_id=12&step=keys"


def parse(twiml: str) -> ET.Element:
    root = ET.fromstring(twiml)
    assert root.tag == "Response"
    return root


def test_page_call_gathers_one_digit_posted_to_the_action_url() -> None:
    root = parse(voice_page_twiml(make_page(12, "Checkout latency above 2s"), ACTION))
    gathers = root.findall("Gather")
    assert len(gathers) == 2  # read once, repeated once
    for gather in gathers:
        assert gather.get("numDigits") == "1"
        assert gather.get("action") == ACTION
        assert gather.get("method") == "POST"
        assert gather.get("input") == "dtmf"
        say = gather.find("Say")
        assert say is not None and say.text is not None
        assert "Severity 1 incident 12, on Checkout API. Checkout latency above 2s." in say.text
        assert "Press 4 to acknowledge, 6 to resolve, or 5 to escalate." in say.text


def test_page_call_says_goodbye_and_hangs_up_when_no_key_is_pressed() -> None:
    root = parse(voice_page_twiml(make_page(), ACTION))
    assert [child.tag for child in root] == ["Gather", "Gather", "Say", "Hangup"]
    assert "Goodbye" in (root.findall("Say")[-1].text or "")


def test_page_call_escapes_markup_in_the_title() -> None:
    root = parse(voice_page_twiml(make_page(title="<Hangup/> & \"quotes\""), ACTION))
    say = root.find("Gather/Say")
    assert say is not None and '<Hangup/> & "quotes"' in (say.text or "")
    assert root.find("Gather/Hangup") is None


def test_very_long_title_is_cut_for_speech() -> None:
    root = parse(voice_page_twiml(make_page(title="word " * 500), ACTION))
    say = root.find("Gather/Say")
    assert say is not None and len(say.text or "") < 500


def test_answering_machine_gets_a_short_message_and_no_prompt() -> None:
    root = parse(voice_machine_twiml(make_page(12, "Checkout latency above 2s")))
    assert root.find("Gather") is None
    assert [child.tag for child in root] == ["Say", "Hangup"]
    assert "incident 12" in (root.findtext("Say") or "")


def test_result_confirms_the_action() -> None:
    root = parse(voice_result_twiml("Incident 12 acknowledged."))
    assert [say.text for say in root.findall("Say")] == ["Incident 12 acknowledged.", "Goodbye."]
    assert root.find("Hangup") is not None


def test_invalid_digit_asks_again() -> None:
    root = parse(voice_invalid_digit_twiml(ACTION, "9"))
    gather = root.find("Gather")
    assert gather is not None and gather.get("action") == ACTION and gather.get("numDigits") == "1"
    assert "Sorry, 9 is not an option" in (gather.findtext("Say") or "")


def test_sms_reply_has_one_message() -> None:
    root = parse(sms_reply_twiml("Incident 12 acknowledged by alice."))
    messages = root.findall("Message")
    assert [m.text for m in messages] == ["Incident 12 acknowledged by alice."]


def test_empty_twiml_sends_nothing_back() -> None:
    root = parse(empty_twiml())
    assert list(root) == []
