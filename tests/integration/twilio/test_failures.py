"""Twilio failures become Transient (retry on our queue) or Permanent (next channel) errors."""

from __future__ import annotations

import socket

import pytest

from integrations.notifier import PermanentDeliveryError, Recipient, TransientDeliveryError
from integrations.twilio import TwilioSmsNotifier, TwilioVoiceNotifier, make_twilio_client
from tests.fakes.twilio_api import FakeTwilioApi
from tests.integration.twilio.conftest import FROM_NUMBER, STATUS_URL
from tests.unit.twilio.pages import make_page

ALICE = Recipient(user_id="alice", phone="+14155550100")


def test_three_server_errors_are_transient_then_the_fourth_try_succeeds(
    twilio_api: FakeTwilioApi, sms: TwilioSmsNotifier
) -> None:
    twilio_api.fail_next("Messages.json", status=500, times=3)
    for _ in range(3):
        with pytest.raises(TransientDeliveryError) as error:
            sms.send(make_page(), ALICE)
        assert error.value.code == "20500"
    receipt = sms.send(make_page(), ALICE)
    assert receipt.provider_id is not None and receipt.provider_id.startswith("SM")
    # One HTTP request per send: the client itself never retries (our queue does, with backoff).
    assert len(twilio_api.attempts) == 4
    assert len(twilio_api.messages()) == 1


def test_rate_limit_is_transient_with_retry_after(twilio_api: FakeTwilioApi, sms: TwilioSmsNotifier) -> None:
    twilio_api.fail_next("Messages.json", status=429, retry_after="12")
    with pytest.raises(TransientDeliveryError) as error:
        sms.send(make_page(), ALICE)
    assert error.value.code == "20429"
    assert error.value.retry_after == 12.0


def test_invalid_to_number_is_permanent_21211(twilio_api: FakeTwilioApi, sms: TwilioSmsNotifier) -> None:
    with pytest.raises(PermanentDeliveryError) as error:
        sms.send(make_page(), Recipient(user_id="bob", phone="+15005550001"))
    assert error.value.code == "21211"
    assert twilio_api.requests == []


def test_unsubscribed_recipient_is_permanent_21610(twilio_api: FakeTwilioApi, sms: TwilioSmsNotifier) -> None:
    twilio_api.fail_next("Messages.json", code=21610)
    with pytest.raises(PermanentDeliveryError) as error:
        sms.send(make_page(), ALICE)
    assert error.value.code == "21610"
    assert "STOP" in str(error.value)


@pytest.mark.parametrize("phone, code", [("+15005550009", "21614"), ("+15005550003", "21408"),
                                         ("+15005550002", "21612"), ("+15005550004", "21610")])
def test_twilio_magic_numbers_are_permanent(sms: TwilioSmsNotifier, phone: str, code: str) -> None:
    with pytest.raises(PermanentDeliveryError) as error:
        sms.send(make_page(), Recipient(user_id="bob", phone=phone))
    assert error.value.code == code


def test_bad_auth_is_rejected_and_permanent(twilio_api: FakeTwilioApi) -> None:
    client = make_twilio_client(twilio_api.account_sid, "wrong-token", twilio_api.url)
    notifier = TwilioSmsNotifier(client, FROM_NUMBER, status_callback_url=STATUS_URL)
    with pytest.raises(PermanentDeliveryError) as error:
        notifier.send(make_page(), ALICE)
    assert error.value.code == "20003"
    assert [a.status for a in twilio_api.attempts] == [401]
    assert twilio_api.requests == []


def test_call_failures_map_the_same_way(twilio_api: FakeTwilioApi, voice: TwilioVoiceNotifier) -> None:
    twilio_api.fail_next("Calls.json", status=503)
    with pytest.raises(TransientDeliveryError):
        voice.send(make_page(), ALICE)
    with pytest.raises(PermanentDeliveryError) as error:
        voice.send(make_page(), Recipient(user_id="bob", phone="+15005550001"))
    assert error.value.code == "21211"
    assert voice.send(make_page(), ALICE).provider_id is not None


def test_timeout_is_transient(twilio_api: FakeTwilioApi) -> None:
    client = make_twilio_client(twilio_api.account_sid, twilio_api.auth_token, twilio_api.url, timeout=0.2)
    notifier = TwilioSmsNotifier(client, FROM_NUMBER, status_callback_url=STATUS_URL)
    twilio_api.fail_next("Messages.json", status=500, delay=1.0)
    with pytest.raises(TransientDeliveryError, match="in time"):
        notifier.send(make_page(), ALICE)


def test_connection_refused_is_transient() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = make_twilio_client("AC" + "0" * 32, "token", f"http://127.0.0.1:{port}", timeout=2)
    notifier = TwilioSmsNotifier(client, FROM_NUMBER, status_callback_url=STATUS_URL)
    with pytest.raises(TransientDeliveryError, match="cannot reach Twilio"):
        notifier.send(make_page(), ALICE)


def test_recipient_without_phone_is_permanent_without_calling_twilio(
    twilio_api: FakeTwilioApi, sms: TwilioSmsNotifier
) -> None:
    with pytest.raises(PermanentDeliveryError, match="no phone"):
        sms.send(make_page(), Recipient(user_id="carol"))
    assert twilio_api.attempts == []
