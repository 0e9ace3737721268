"""End to end with Twilio: real `klaxon web` and `klaxon worker`, the Twilio stand-in in this process.

An alert pages alice by SMS and by a call; a signed `ACK <code>` text from her phone acknowledges the
incident and the escalation to bob never happens. On a second incident, key 4 on the call does the same.
KLAXON_PUBLIC_URL has a host and path prefix the web process never sees, as behind a proxy.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any
from xml.etree import ElementTree

import pytest
import requests
from rq import Worker
from sqlmodel import col, select
from twilio.request_validator import RequestValidator

from app.models import Incident, Notification
from app.platform.clock import utc_now
from app.platform.queueing import queue_names
from tests.fakes.twilio_api import AUTH_TOKEN, FakeTwilioApi, RecordedRequest
from tests.support.config import CHECKOUT_KEY, apply_test_config, pd_trigger
from tests.support.processes import KlaxonProcesses, wait_for

pytestmark = pytest.mark.e2e

PUBLIC_URL = "https://klaxon.example.com/pager"
FROM_NUMBER = "+15005550006"
ALICE_PHONE = "+14155550101"
BOB_PHONE = "+14155550102"
ESCALATE_AFTER = timedelta(seconds=5)

CONFIG = f"""
users:
  - id: alice
    name: Alice Ng
    phone: "{ALICE_PHONE}"
    notify:
      - {{channel: sms, after: 0s}}
      - {{channel: voice, after: 0s}}
  - id: bob
    name: Bob Li
    phone: "{BOB_PHONE}"
    notify:
      - {{channel: sms, after: 0s}}
      - {{channel: voice, after: 0s}}
escalation_policies:
  - id: checkout
    levels:
      - {{targets: [user:alice], escalate_after: {int(ESCALATE_AFTER.total_seconds())}s}}
      - {{targets: [user:bob]}}
services:
  - id: checkout
    name: Checkout API
    escalation_policy: checkout
    integration_keys:
      - {{name: prometheus, key: "{CHECKOUT_KEY}"}}
"""


def signed_post(klaxon: KlaxonProcesses, public_url: str, params: dict[str, str]) -> requests.Response:
    """POST to the web process what Twilio would post to `public_url`, signed as Twilio signs it."""
    signature = RequestValidator(AUTH_TOKEN).compute_signature(public_url, params)
    local = klaxon.base_url + public_url[len(PUBLIC_URL):]
    return requests.post(local, data=params, headers={"X-Twilio-Signature": signature}, timeout=10)


def sent_to(api: FakeTwilioApi, phone: str, resource: str) -> list[RecordedRequest]:
    """Accepted Messages or Calls requests to `phone`."""
    return [r for r in api.requests if r.resource == resource and r.form.get("To") == phone]


def open_incident(runtime: Any, klaxon: KlaxonProcesses, api: FakeTwilioApi, dedup_key: str) -> Incident:
    """Post an alert, wait until alice's call (and first text) went out; the incident."""
    calls_before = len(sent_to(api, ALICE_PHONE, "Calls"))
    response = requests.post(f"{klaxon.base_url}/v2/enqueue", json=pd_trigger(dedup_key=dedup_key), timeout=10)
    assert response.status_code == 202, response.text
    wait_for(lambda: len(sent_to(api, ALICE_PHONE, "Calls")) > calls_before, timeout=20, message="alice's call")
    with runtime.session() as session:
        return session.exec(select(Incident).where(col(Incident.dedup_key) == dedup_key)).one()


def assert_escalation_stopped(runtime: Any, api: FakeTwilioApi, incident: Incident) -> None:
    """Past the level's escalate_after (and a sweep), bob was never paged and the incident stays acknowledged."""
    deadline = incident.created_at + ESCALATE_AFTER + timedelta(seconds=3)
    time.sleep(max(0.0, (deadline - utc_now()).total_seconds()))
    assert sent_to(api, BOB_PHONE, "Messages") == sent_to(api, BOB_PHONE, "Calls") == []
    with runtime.session() as session:
        stored = session.get(Incident, incident.id)
        bob_rows = session.exec(select(Notification).where(col(Notification.user_id) == "bob")).all()
    assert stored is not None and (stored.status, stored.acknowledged_by) == ("acknowledged", "alice")
    assert stored.next_escalation_at is None and list(bob_rows) == []


def test_sms_ack_and_keypress_4_acknowledge_and_stop_the_escalation(runtime: Any, klaxon: KlaxonProcesses) -> None:
    apply_test_config(runtime, CONFIG)
    with FakeTwilioApi() as api:
        klaxon.extra_env.update(TWILIO_ACCOUNT_SID=api.account_sid, TWILIO_AUTH_TOKEN=api.auth_token,
                                TWILIO_FROM_NUMBER=FROM_NUMBER, TWILIO_API_URL=api.url, KLAXON_PUBLIC_URL=PUBLIC_URL)
        klaxon.start_worker()
        wait_for(lambda: len(Worker.all(connection=runtime.redis)) >= len(queue_names("klaxon")), timeout=30,
                 message="the worker's RQ workers")
        klaxon.start_web()

        first = open_incident(runtime, klaxon, api, "e2e-sms")
        wait_for(lambda: sent_to(api, ALICE_PHONE, "Messages"), timeout=10, message="alice's text")
        [text] = sent_to(api, ALICE_PHONE, "Messages")
        assert f"Reply ACK {first.id}, RES {first.id} or ESC {first.id}" in text.form["Body"]
        assert text.form["StatusCallback"] == f"{PUBLIC_URL}/twilio/status"
        assert sent_to(api, ALICE_PHONE, "Calls")[0].form["Url"] == f"{PUBLIC_URL}/twilio/voice?incident_id={first.id}"

        reply = signed_post(klaxon, f"{PUBLIC_URL}/twilio/sms",
                            {"From": ALICE_PHONE, "To": FROM_NUMBER, "Body": f"ACK {first.id}", "MessageSid": "SMin1"})
        assert reply.status_code == 200
        assert f"Incident {first.id} acknowledged. Escalation stopped." in reply.text
        assert_escalation_stopped(runtime, api, first)

        second = open_incident(runtime, klaxon, api, "e2e-voice")
        call = sent_to(api, ALICE_PHONE, "Calls")[-1]
        assert call.form["Url"] == f"{PUBLIC_URL}/twilio/voice?incident_id={second.id}"
        answered = {"CallSid": str(call.response["sid"]), "From": FROM_NUMBER, "To": ALICE_PHONE,
                    "Direction": "outbound-api", "CallStatus": "in-progress", "AnsweredBy": "human"}
        page = signed_post(klaxon, call.form["Url"], answered)
        assert page.status_code == 200, page.text
        action = ElementTree.fromstring(page.text).find("Gather").get("action")  # type: ignore[union-attr]
        assert action == f"{PUBLIC_URL}/twilio/voice?incident_id={second.id}&gather=1"

        pressed = signed_post(klaxon, action, {**answered, "Digits": "4"})
        assert pressed.status_code == 200
        assert f"Incident {second.id} acknowledged. Escalation stopped." in pressed.text
        assert_escalation_stopped(runtime, api, second)
