"""The Twilio stand-in and a real twilio Client pointed at it."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from integrations.twilio import TwilioSmsNotifier, TwilioVoiceNotifier, make_twilio_client
from tests.fakes.twilio_api import FakeTwilioApi

FROM_NUMBER = "+15005550006"
STATUS_URL = "https://klaxon.example.com/twilio/status"
VOICE_URL = "https://klaxon.example.com/twilio/voice"


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi() as api:
        yield api


@pytest.fixture
def client(twilio_api: FakeTwilioApi) -> Any:
    return make_twilio_client(twilio_api.account_sid, twilio_api.auth_token, twilio_api.url, timeout=5)


@pytest.fixture
def sms(client: Any) -> TwilioSmsNotifier:
    return TwilioSmsNotifier(client, FROM_NUMBER, status_callback_url=STATUS_URL)


@pytest.fixture
def voice(client: Any) -> TwilioVoiceNotifier:
    return TwilioVoiceNotifier(client, FROM_NUMBER, voice_url=VOICE_URL, status_callback_url=STATUS_URL)
