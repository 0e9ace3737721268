"""X-Twilio-Signature: requests signed as Twilio signs them pass; anything else fails."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from twilio.request_validator import RequestValidator

from integrations.twilio.signature import TwilioSignatureError, public_request_url, verify_twilio_request

TOKEN = "12345678901234567890123456789012"
URL = "https://klaxon.example.com/twilio/sms"
FORM = {
    "MessageSid": "SM1234567890abcdef1234567890abcdef",
    "AccountSid": "AC1234567890abcdef1234567890abcdef",
    "From": "+14155550100",
    "To": "+15005550006",
    "Body": "ACK 12",
    "NumMedia": "0",
}


def twilio_signature(url: str, form: dict[str, str], token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, form)


def test_request_signed_like_twilio_passes() -> None:
    verify_twilio_request(TOKEN, URL, FORM, twilio_signature(URL, FORM))


def test_signature_algorithm_is_hmac_sha1_over_url_and_sorted_params() -> None:
    # Independent of twilio-python: the algorithm as Twilio documents it.
    payload = URL + "".join(key + FORM[key] for key in sorted(FORM))
    expected = base64.b64encode(hmac.new(TOKEN.encode(), payload.encode(), hashlib.sha1).digest()).decode()
    verify_twilio_request(TOKEN, URL, FORM, expected)


def test_url_with_query_string_is_part_of_the_signature() -> None:
    url = "https://klaxon.example.com/twilio/voice?incident_id=12"
    form = {"CallSid": "CA1", "Digits": "4"}
    verify_twilio_request(TOKEN, url, form, twilio_signature(url, form))
    with pytest.raises(TwilioSignatureError):
        verify_twilio_request(TOKEN, "https://klaxon.example.com/twilio/voice?incident_id=13", form,
                              twilio_signature(url, form))


def test_wrong_signature_fails() -> None:
    with pytest.raises(TwilioSignatureError, match="does not match"):
        verify_twilio_request(TOKEN, URL, FORM, twilio_signature(URL, FORM, token="another-token-entirely-000000000"))


def test_tampered_form_fails() -> None:
    signature = twilio_signature(URL, FORM)
    with pytest.raises(TwilioSignatureError):
        verify_twilio_request(TOKEN, URL, {**FORM, "Body": "RES 12"}, signature)


@pytest.mark.parametrize("signature", [None, ""])
def test_missing_header_fails(signature: str | None) -> None:
    with pytest.raises(TwilioSignatureError, match="missing X-Twilio-Signature"):
        verify_twilio_request(TOKEN, URL, FORM, signature)


def test_different_url_fails() -> None:
    # What happens behind a proxy when the internal URL is used instead of KLAXON_PUBLIC_URL.
    with pytest.raises(TwilioSignatureError, match="KLAXON_PUBLIC_URL"):
        verify_twilio_request(TOKEN, "http://10.0.0.5:8080/twilio/sms", FORM, twilio_signature(URL, FORM))


def test_no_configured_token_fails_closed() -> None:
    with pytest.raises(TwilioSignatureError, match="not configured"):
        verify_twilio_request("", URL, FORM, twilio_signature(URL, FORM))


@pytest.mark.parametrize(
    "public_url, path, query, expected",
    [
        ("https://klaxon.example.com", "/twilio/sms", "", "https://klaxon.example.com/twilio/sms"),
        ("https://klaxon.example.com/", "/twilio/sms", "", "https://klaxon.example.com/twilio/sms"),
        ("https://klaxon.example.com", "/twilio/voice", "incident_id=12",
         "https://klaxon.example.com/twilio/voice?incident_id=12"),
        ("https://example.com/klaxon", "/twilio/sms", b"", "https://example.com/klaxon/twilio/sms"),
        ("https://example.com/klaxon/", "twilio/voice", b"incident_id=7",
         "https://example.com/klaxon/twilio/voice?incident_id=7"),
    ],
)
def test_public_request_url(public_url: str, path: str, query: str | bytes, expected: str) -> None:
    assert public_request_url(public_url, path, query) == expected


def test_signature_checked_against_the_public_url_behind_a_proxy() -> None:
    url = public_request_url("https://klaxon.example.com", "/twilio/sms", "")
    verify_twilio_request(TOKEN, url, FORM, twilio_signature(URL, FORM))
