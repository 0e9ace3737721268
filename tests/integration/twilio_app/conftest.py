"""Klaxon with Twilio configured: the app's settings point the real twilio client at the stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from app.platform.settings import Settings
from tests.fakes.twilio_api import FakeTwilioApi
from tests.integration.twilio_app.support import FROM_NUMBER, PUBLIC_URL, TWILIO_CONFIG
from tests.support.config import apply_test_config


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilioApi]:
    """The Twilio REST stand-in, on a free local port."""
    with FakeTwilioApi() as api:
        yield api


@pytest.fixture
def settings(settings: Settings, twilio_api: FakeTwilioApi) -> Settings:
    """The test's settings with Twilio credentials, and a public URL with a path prefix (a proxy)."""
    return replace(settings, public_url=PUBLIC_URL, twilio_account_sid=twilio_api.account_sid,
                   twilio_auth_token=twilio_api.auth_token, twilio_from_number=FROM_NUMBER,
                   twilio_api_url=twilio_api.url)


@pytest.fixture
def configured(runtime: Any) -> Any:
    """The runtime with the Twilio test configuration applied."""
    apply_test_config(runtime, TWILIO_CONFIG)
    return runtime
