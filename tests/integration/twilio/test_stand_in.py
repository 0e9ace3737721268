"""The stand-in refuses what Twilio refuses: a stand-in that accepts anything proves nothing."""

from __future__ import annotations

import pytest
import requests

from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FakeTwilioApi

VALID_SMS = {"To": "+14155550100", "From": "+15005550006", "Body": "hi"}
VALID_CALL = {"To": "+14155550100", "From": "+15005550006", "Url": "https://k.example/twilio/voice"}


def post(
    api: FakeTwilioApi, resource: str, form: dict[str, str], auth: tuple[str, str] | None = None
) -> requests.Response:
    url = f"{api.url}/2010-04-01/Accounts/{api.account_sid}/{resource}.json"
    return requests.post(url, data=form, auth=auth or (api.account_sid, api.auth_token), timeout=5)


def assert_twilio_error(response: requests.Response, status: int, code: int) -> None:
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code and body["status"] == status
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    assert body["message"]


def test_accepts_a_valid_message_like_twilio(twilio_api: FakeTwilioApi) -> None:
    response = post(twilio_api, "Messages", VALID_SMS)
    assert response.status_code == 201
    body = response.json()
    assert body["sid"].startswith("SM") and len(body["sid"]) == 34
    assert (body["status"], body["to"], body["from"]) == ("queued", "+14155550100", "+15005550006")
    assert body["body"] == "hi"
    assert twilio_api.requests[0].form == VALID_SMS


@pytest.mark.parametrize("auth", [("AC" + "f" * 32, AUTH_TOKEN), (ACCOUNT_SID, "nope")])
def test_bad_credentials_are_401_20003(twilio_api: FakeTwilioApi, auth: tuple[str, str]) -> None:
    assert_twilio_error(post(twilio_api, "Messages", VALID_SMS, auth=auth), 401, 20003)


def test_missing_credentials_are_401(twilio_api: FakeTwilioApi) -> None:
    url = f"{twilio_api.url}/2010-04-01/Accounts/{twilio_api.account_sid}/Messages.json"
    assert_twilio_error(requests.post(url, data=VALID_SMS, timeout=5), 401, 20003)


def test_another_accounts_path_is_404(twilio_api: FakeTwilioApi) -> None:
    url = f"{twilio_api.url}/2010-04-01/Accounts/AC{'1' * 32}/Messages.json"
    response = requests.post(url, data=VALID_SMS, auth=(twilio_api.account_sid, twilio_api.auth_token), timeout=5)
    assert_twilio_error(response, 404, 20404)


def test_wrong_method_is_405(twilio_api: FakeTwilioApi) -> None:
    url = f"{twilio_api.url}/2010-04-01/Accounts/{twilio_api.account_sid}/Messages.json"
    response = requests.put(url, data=VALID_SMS, auth=(twilio_api.account_sid, twilio_api.auth_token), timeout=5)
    assert response.status_code == 405


@pytest.mark.parametrize(
    "missing, code",
    [("To", 21604), ("From", 21603), ("Body", 21602)],
)
def test_message_without_required_field_is_refused(twilio_api: FakeTwilioApi, missing: str, code: int) -> None:
    form = {k: v for k, v in VALID_SMS.items() if k != missing}
    assert_twilio_error(post(twilio_api, "Messages", form), 400, code)
    assert twilio_api.requests == []


def test_messaging_service_replaces_from(twilio_api: FakeTwilioApi) -> None:
    form = {"To": "+14155550100", "MessagingServiceSid": "MG" + "0" * 32, "Body": "hi"}
    assert post(twilio_api, "Messages", form).status_code == 201


@pytest.mark.parametrize(
    "form, code",
    [
        ({**VALID_SMS, "To": "4155550100"}, 21211),
        ({**VALID_SMS, "To": "+1 415 555 0100"}, 21211),
        ({**VALID_SMS, "StatusCallback": "/twilio/status"}, 21609),
        ({**VALID_SMS, "Body": "x" * 1601}, 21617),
    ],
)
def test_invalid_message_fields_are_refused(twilio_api: FakeTwilioApi, form: dict[str, str], code: int) -> None:
    assert_twilio_error(post(twilio_api, "Messages", form), 400, code)


@pytest.mark.parametrize(
    "form, code",
    [
        ({k: v for k, v in VALID_CALL.items() if k != "To"}, 21201),
        ({k: v for k, v in VALID_CALL.items() if k != "From"}, 21213),
        ({k: v for k, v in VALID_CALL.items() if k != "Url"}, 21205),
        ({**VALID_CALL, "Url": "twilio/voice"}, 21205),
        ({**VALID_CALL, "To": "12"}, 21211),
    ],
)
def test_invalid_calls_are_refused(twilio_api: FakeTwilioApi, form: dict[str, str], code: int) -> None:
    assert_twilio_error(post(twilio_api, "Calls", form), 400, code)


def test_call_with_inline_twiml_is_accepted(twilio_api: FakeTwilioApi) -> None:
    form = {"To": "+14155550100", "From": "+15005550006", "Twiml": "<Response><Say>hi</Say></Response>"}
    response = post(twilio_api, "Calls", form)
    assert response.status_code == 201 and response.json()["sid"].startswith("CA")


def test_fail_next_counts_down_per_endpoint(twilio_api: FakeTwilioApi) -> None:
    twilio_api.fail_next("Calls.json", status=500, times=2)
    assert post(twilio_api, "Messages", VALID_SMS).status_code == 201  # another endpoint is unaffected
    assert [post(twilio_api, "Calls", VALID_CALL).status_code for _ in range(3)] == [500, 500, 201]


def test_fail_next_with_a_code_answers_400_with_that_code(twilio_api: FakeTwilioApi) -> None:
    twilio_api.fail_next("Messages.json", code=21612)
    assert_twilio_error(post(twilio_api, "Messages", VALID_SMS), 400, 21612)


def test_stop_frees_the_port() -> None:
    api = FakeTwilioApi().start()
    url = api.url
    api.stop()
    with pytest.raises(requests.ConnectionError):
        requests.post(url + "/2010-04-01/Accounts/x/Messages.json", timeout=2)
