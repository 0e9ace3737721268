"""RoutedHttpClient: every Twilio REST URL goes to TWILIO_API_URL, nothing else goes anywhere."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioException

from integrations.twilio.client import RoutedHttpClient, make_twilio_client


@pytest.mark.parametrize(
    "api_url, url, expected",
    [
        ("http://127.0.0.1:8099", "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json",
         "http://127.0.0.1:8099/2010-04-01/Accounts/AC1/Messages.json"),
        ("https://twilio-gw.internal/proxy/", "https://api.twilio.com/2010-04-01/Accounts/AC1/Calls.json",
         "https://twilio-gw.internal/proxy/2010-04-01/Accounts/AC1/Calls.json"),
        ("http://127.0.0.1:8099", "https://api.dublin.ie1.twilio.com/2010-04-01/Accounts/AC1/Calls.json?x=1",
         "http://127.0.0.1:8099/2010-04-01/Accounts/AC1/Calls.json?x=1"),
    ],
)
def test_every_twilio_host_is_routed_to_the_api_url(api_url: str, url: str, expected: str) -> None:
    assert RoutedHttpClient(api_url, timeout=5).route(url) == expected


def test_non_twilio_hosts_are_refused() -> None:
    with pytest.raises(TwilioException):
        RoutedHttpClient("http://127.0.0.1:8099", timeout=5).route("https://eviltwilio.com/x")


@pytest.mark.parametrize("api_url", ["api.twilio.com", "ftp://api.twilio.com", "https://", "https://h?x=1"])
def test_malformed_api_url_is_a_configuration_error(api_url: str) -> None:
    with pytest.raises(ValueError, match="TWILIO_API_URL"):
        RoutedHttpClient(api_url, timeout=5)


def test_empty_credentials_are_refused_instead_of_read_from_the_environment() -> None:
    with pytest.raises(ValueError):
        make_twilio_client("", "token", "http://127.0.0.1:8099")
