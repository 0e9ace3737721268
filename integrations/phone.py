"""Phone numbers in E.164 (`+14155550100`), the only form Twilio and our config store.

Validated with Google's libphonenumber metadata (the `phonenumbers` package) when a config is
applied, so a typo is caught then, not at 3 a.m. when the page fails with Twilio error 21211.
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

EXAMPLE = "+14155550100"

_PARSE_PROBLEMS = {
    NumberParseException.INVALID_COUNTRY_CODE: "it has no valid country code; start it with + and the country code",
    NumberParseException.NOT_A_NUMBER: "it is not a phone number",
    NumberParseException.TOO_SHORT_NSN: "it is too short",
    NumberParseException.TOO_SHORT_AFTER_IDD: "it is too short after the international prefix",
    NumberParseException.TOO_LONG: "it is too long",
}


class PhoneNumberError(ValueError):
    """A phone number that cannot be turned into a valid E.164 number; the message says why."""


def normalize_e164(text: str, default_region: str | None = None) -> str:
    """`+1 (415) 555-0100`, `020 7946 0958` with region GB, ... -> `+14155550100` / `+442079460958`.

    `default_region` (ISO 3166 code, e.g. "US", "GB") is used only for numbers written without `+`.
    """
    if not isinstance(text, str) or not text.strip():
        raise PhoneNumberError(f"empty phone number; write it in E.164 form, e.g. {EXAMPLE}")
    raw = text.strip()
    region = default_region.upper() if default_region else None
    try:
        number = phonenumbers.parse(raw, region)
    except NumberParseException as exc:
        problem = _PARSE_PROBLEMS.get(exc.error_type, str(exc))
        raise PhoneNumberError(f"{raw!r} is not a valid phone number: {problem} (e.g. {EXAMPLE})") from exc
    if not phonenumbers.is_possible_number(number):
        raise PhoneNumberError(f"{raw!r} has the wrong number of digits for its country (e.g. {EXAMPLE})")
    if not phonenumbers.is_valid_number(number):
        # region_code_for_number is None for an invalid number; the country code's main region is not.
        region_of = phonenumbers.region_code_for_country_code(number.country_code or 0)
        where = f"+{number.country_code}" + (f" ({region_of})" if region_of and region_of != "ZZ" else "")
        raise PhoneNumberError(f"{raw!r} is not a valid {where} number: check the digits (e.g. {EXAMPLE})")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)
