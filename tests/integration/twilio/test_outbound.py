"""Page SMS and calls through the real twilio Client, checked by the stand-in as Twilio would."""

from __future__ import annotations

from typing import Any

from integrations.notifier import Recipient
from integrations.twilio import TwilioSmsNotifier, TwilioVoiceNotifier, bundle_sms_body, sms_body
from tests.fakes.twilio_api import FakeTwilioApi
from tests.integration.twilio.conftest import FROM_NUMBER, STATUS_URL
from tests.unit.twilio.pages import make_page

ALICE = Recipient(user_id="alice", name="Alice Ng", phone="+14155550100")


def test_page_sms_posts_to_messages_json_with_status_callback(
    twilio_api: FakeTwilioApi, sms: TwilioSmsNotifier
) -> None:
    page = make_page(12, "Checkout latency above 2s")
    receipt = sms.send(page, ALICE)

    [request] = twilio_api.requests
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{twilio_api.account_sid}/Messages.json"
    assert request.form["To"] == "+14155550100"
    assert request.form["From"] == FROM_NUMBER
    assert request.form["Body"] == sms_body(page)
    assert request.form["StatusCallback"] == STATUS_URL
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert receipt.provider_id == request.response["sid"]
    assert receipt.provider_id is not None and receipt.provider_id.startswith("SM")
    assert receipt.status == "sent"


def test_bundle_sms_is_one_message(twilio_api: FakeTwilioApi, sms: TwilioSmsNotifier) -> None:
    pages = [make_page(12, "checkout down"), make_page(13, "payments slow", "SEV2")]
    sms.send_bundle(pages, ALICE)
    [request] = twilio_api.messages()
    assert request.form["Body"] == bundle_sms_body(pages)


def test_page_call_posts_to_calls_json_with_machine_detection(
    twilio_api: FakeTwilioApi, voice: TwilioVoiceNotifier
) -> None:
    receipt = voice.send(make_page(12), ALICE)

    [request] = twilio_api.calls()
    assert request.path == f"/2010-04-01/Accounts/{twilio_api.account_sid}/Calls.json"
    assert request.form["To"] == "+14155550100"
    assert request.form["From"] == FROM_NUMBER
    assert request.form["Url"] == "https://klaxon.example.com/twilio/voice?incident_id=12"
    assert request.form["Method"] == "POST"
    assert request.form["StatusCallback"] == STATUS_URL
    assert request.lists["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    assert request.form["MachineDetection"] == "Enable"
    assert receipt.provider_id is not None and receipt.provider_id.startswith("CA")


def test_voice_url_keeps_its_own_query_parameters(twilio_api: FakeTwilioApi, client: Any) -> None:
    voice = TwilioVoiceNotifier(client, FROM_NUMBER, voice_url="https://k.example/twilio/voice?tenant=a",
                                status_callback_url=STATUS_URL)
    voice.send(make_page(7), ALICE)
    assert twilio_api.calls()[0].form["Url"] == "https://k.example/twilio/voice?tenant=a&incident_id=7"


def test_user_agent_names_klaxon(twilio_api: FakeTwilioApi, sms: TwilioSmsNotifier) -> None:
    sms.send(make_page(), ALICE)
    assert "klaxon" in twilio_api.requests[0].headers["User-Agent"]
