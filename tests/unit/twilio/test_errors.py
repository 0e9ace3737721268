"""Which Twilio failures are worth retrying, and which fall through to the next channel."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from twilio.base.exceptions import TwilioRestException

from integrations.notifier import PermanentDeliveryError, Recipient, TransientDeliveryError
from integrations.twilio.errors import delivery_error, describe_error_code, require_phone, retry_after_seconds

URI = "/2010-04-01/Accounts/AC1/Messages.json"


def rest_error(status: int, code: int | None) -> TwilioRestException:
    # What twilio-python raises; when the body has no code it repeats the HTTP status there.
    return TwilioRestException(status, URI, "Unable to create record", code if code is not None else status, "POST")


@pytest.mark.parametrize(
    "status, code",
    [(500, None), (502, None), (503, 20503), (500, 20500), (429, 20429), (429, None), (400, 14107)],
)
def test_server_errors_and_rate_limits_are_transient(status: int, code: int | None) -> None:
    error = delivery_error(rest_error(status, code), {})
    assert isinstance(error, TransientDeliveryError)
    assert error.code == (str(code) if code is not None else None)


@pytest.mark.parametrize(
    "status, code",
    [(400, 21211), (400, 21610), (400, 21614), (400, 21408), (400, 21612), (400, 13224), (400, 21217),
     (401, 20003), (404, 20404), (400, 21602), (400, None)],
)
def test_refusals_are_permanent_with_twilio_code(status: int, code: int | None) -> None:
    error = delivery_error(rest_error(status, code), {})
    assert isinstance(error, PermanentDeliveryError)
    assert error.code == (str(code) if code is not None else None)


def test_permanent_error_message_explains_the_code() -> None:
    assert "replied STOP" in str(delivery_error(rest_error(400, 21610), {}))


def test_retry_after_header_is_passed_on() -> None:
    error = delivery_error(rest_error(429, 20429), {"retry-after": "30"})
    assert isinstance(error, TransientDeliveryError) and error.retry_after == 30.0


def test_retry_after_as_http_date() -> None:
    now = datetime(2026, 3, 1, 9, 0, 0, tzinfo=timezone.utc)
    assert retry_after_seconds({"Retry-After": "Sun, 01 Mar 2026 09:01:00 GMT"}, now) == 60.0
    assert retry_after_seconds({"Retry-After": "soon"}, now) is None
    assert retry_after_seconds({}, now) is None


def test_describe_error_code() -> None:
    assert describe_error_code("30003").startswith("30003: unreachable destination handset")
    assert describe_error_code(99999) == "99999: see https://www.twilio.com/docs/errors/99999"
    assert describe_error_code(None) == ""


@pytest.mark.parametrize("phone", [None, "", "4155550100", "+0155", "+1 415 555 0100"])
def test_recipient_without_e164_phone_is_permanent(phone: str | None) -> None:
    with pytest.raises(PermanentDeliveryError):
        require_phone(Recipient(user_id="alice", phone=phone))
