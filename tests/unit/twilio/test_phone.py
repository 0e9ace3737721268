"""Phone numbers normalised to E.164 with libphonenumber; invalid ones explained."""

from __future__ import annotations

import pytest

from integrations.phone import PhoneNumberError, normalize_e164


@pytest.mark.parametrize(
    "text, region, expected",
    [
        ("+14155550100", None, "+14155550100"),
        ("+1 415 555 0100", None, "+14155550100"),
        ("+1 (415) 555-0100", None, "+14155550100"),
        ("(415) 555-0100", "US", "+14155550100"),
        ("415-555-0100", "us", "+14155550100"),
        ("1-415-555-0100", "US", "+14155550100"),
        ("+15005550006", None, "+15005550006"),  # Twilio's test From number, used in examples/klaxon.yaml
        ("+44 20 7946 0958", None, "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("07911 123456", "GB", "+447911123456"),
        ("+44 (0)7911-123-456", None, "+447911123456"),
        ("00 44 7911 123456", "FR", "+447911123456"),
        ("+1 415 555 0100", "GB", "+14155550100"),  # an explicit + wins over the default region
    ],
)
def test_valid_numbers_become_e164(text: str, region: str | None, expected: str) -> None:
    assert normalize_e164(text, region) == expected


@pytest.mark.parametrize(
    "text, region, message",
    [
        ("", None, "empty"),
        ("   ", "US", "empty"),
        ("415 555 0100", None, "country code"),
        ("call me", "US", "not a phone number"),
        ("+1 415 555", None, "digits"),
        ("+1 415 555 01000000", None, "digits"),
        ("+1 555 123 4567", None, r"not a valid \+1 \(US\) number"),  # 555 is not an area code
        ("+44 7700 900123", None, r"not a valid \+44 \(GB\) number"),  # Ofcom's drama range, never assigned
        ("+999 1234 5678", None, "country code"),
    ],
)
def test_invalid_numbers_raise_with_a_clear_message(text: str, region: str | None, message: str) -> None:
    with pytest.raises(PhoneNumberError, match=message) as error:
        normalize_e164(text, region)
    assert "e.g. +14155550100" in str(error.value)
