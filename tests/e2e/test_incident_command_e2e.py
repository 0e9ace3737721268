"""End to end, incident command (issue 12): real `klaxon web` and `klaxon worker` processes against the
Slack and Twilio stand-ins and a local SMTP server, all served from this test process.

- A SEV1 of a service of ACME pages ACME's account director (`account:director`) when its open-time
  trigger (a few seconds here) falls due; a SEV3 raised to SEV1 after that time pages the director at once.
- Responders added by the commander are paged once, with the commander's message.
- A status update reaches a Slack subscriber, an SMS subscriber and an email subscriber once each, and the
  service's Slack channel; nobody else.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
from sqlmodel import col, select

from app.models import Incident, Notification
from tests.fakes.slack_api import SlackAPIStandIn, slack_api  # noqa: F401  (fixture)
from tests.fakes.smtp_server import FakeSmtpServer
from tests.fakes.twilio_api import FakeTwilioApi
from tests.support.config import apply_test_config, make_token
from tests.support.processes import KlaxonProcesses, wait_for

pytestmark = pytest.mark.e2e

KEY = "c" * 32
TRIGGER_AFTER_SECONDS = 3
PHONES = {"bob": "+14155550102", "tess": "+14155550105"}
CONFIG = f"""
users:
  - {{id: alice, name: Alice, slack_user_id: UALICE, notify: [{{channel: slack, after: 0s}}]}}
  - {{id: bob, name: Bob, phone: "{PHONES['bob']}", notify: [{{channel: sms, after: 0s}}]}}
  - {{id: gina, name: Gina, slack_user_id: UGINA, notify: [{{channel: slack, after: 0s}}]}}
  - {{id: sam, name: Sam, slack_user_id: USAM, status_channel: slack}}
  - {{id: tess, name: Tess, phone: "{PHONES['tess']}", status_channel: sms}}
  - {{id: ed, name: Ed, email: ed@example.com, status_channel: email}}
  - {{id: hank, name: Hank, email: hank@example.com, slack_user_id: UHANK, phone: "+14155550109"}}
accounts:
  - {{id: acme, name: ACME Retail, account_director: gina, stakeholders: [sam, tess]}}
escalation_policies:
  - id: checkout
    levels:
      - {{name: Tier 1, targets: [user:alice], escalate_after: 30m}}
    open_triggers:
      - {{severities: [SEV1], after: {TRIGGER_AFTER_SECONDS}s, targets: [account:director]}}
services:
  - {{id: checkout, name: Checkout, account: acme, escalation_policy: checkout, slack_channel: "#checkout",
     integration_keys: [{{name: main, key: "{KEY}"}}]}}
"""


@pytest.fixture
def stand_ins(runtime: Any, klaxon: KlaxonProcesses,
              slack_api: SlackAPIStandIn) -> Iterator[tuple[SlackAPIStandIn, FakeTwilioApi, FakeSmtpServer]]:  # noqa: F811
    for user in ("UALICE", "UGINA", "USAM", "UHANK"):
        slack_api.add_user(user)
    slack_api.add_channel("checkout")
    apply_test_config(runtime, CONFIG)
    with FakeTwilioApi() as twilio, FakeSmtpServer() as smtp:
        klaxon.extra_env.update(SLACK_BOT_TOKEN=slack_api.token, SLACK_API_URL=slack_api.url,
                                TWILIO_ACCOUNT_SID=twilio.account_sid, TWILIO_AUTH_TOKEN=twilio.auth_token,
                                TWILIO_FROM_NUMBER="+15005550006", TWILIO_API_URL=twilio.url,
                                KLAXON_SMTP_URL=smtp.url(query="from=pages@example.com"))
        klaxon.start_worker()
        klaxon.start_web()
        yield slack_api, twilio, smtp


def alert(klaxon: KlaxonProcesses, runtime: Any, dedup_key: str, severity: str) -> Incident:
    answer = requests.post(f"{klaxon.base_url}/v2/enqueue", timeout=10, json={
        "routing_key": KEY, "event_action": "trigger", "dedup_key": dedup_key,
        "payload": {"summary": f"DB down ({dedup_key})", "source": "pg", "severity": severity}})
    assert answer.status_code == 202, answer.text
    with runtime.session() as session:
        return session.exec(select(Incident).where(col(Incident.dedup_key) == dedup_key)).one()


def dms_to(slack: SlackAPIStandIn, user: str, needle: str) -> list[Any]:
    """chat.postMessage calls into `user`'s DM whose text mentions `needle`."""
    found = []
    for posted in slack.calls("chat.postMessage"):
        channel = slack.workspace.channels.get(posted.params["channel"], {})
        if (channel.get("user") == user or posted.params["channel"] == user) and needle in str(posted.params):
            found.append(posted)
    return found


def texts_to(twilio: FakeTwilioApi, phone: str, needle: str) -> list[Any]:
    return [r for r in twilio.requests if r.resource == "Messages" and r.form.get("To") == phone
            and needle in r.form.get("Body", "")]


def test_a_sev1_pages_the_account_director_and_a_raise_to_sev1_pages_them_at_once(
        runtime: Any, klaxon: KlaxonProcesses, stand_ins: tuple[SlackAPIStandIn, FakeTwilioApi, FakeSmtpServer]) -> None:
    slack, _twilio, _smtp = stand_ins
    sev1 = alert(klaxon, runtime, "sev1", "critical")
    wait_for(lambda: dms_to(slack, "UGINA", f"#{sev1.id}"), timeout=20, message="the director's page")
    with runtime.session() as session:
        [row] = session.exec(select(Notification).where(col(Notification.user_id) == "gina")).all()
    assert row.step_key == "trigger:0" and row.created_at >= sev1.created_at + timedelta(seconds=TRIGGER_AFTER_SECONDS)

    sev3 = alert(klaxon, runtime, "sev3", "warning")
    wait_for(lambda: dms_to(slack, "UALICE", f"#{sev3.id}"), timeout=20, message="alice's SEV3 page")
    time.sleep(TRIGGER_AFTER_SECONDS + 1)  # past the trigger's time: a SEV3 has no trigger to fire
    assert dms_to(slack, "UGINA", f"#{sev3.id}") == []
    raised = requests.post(f"{klaxon.base_url}/api/v1/incidents/{sev3.id}/severity", json={"severity": "SEV1"},
                           headers=make_token(runtime, "alice", "commander"), timeout=10)
    assert raised.status_code == 200, raised.text
    wait_for(lambda: dms_to(slack, "UGINA", f"#{sev3.id}"), timeout=20, message="the director's page after the raise")
    time.sleep(2)  # a second page would have come by now
    assert len(dms_to(slack, "UGINA", f"#{sev1.id}")) == len(dms_to(slack, "UGINA", f"#{sev3.id}")) == 1


def test_responders_and_a_status_update_reach_each_person_once(
        runtime: Any, klaxon: KlaxonProcesses, stand_ins: tuple[SlackAPIStandIn, FakeTwilioApi, FakeSmtpServer]) -> None:
    slack, twilio, smtp = stand_ins
    incident = alert(klaxon, runtime, "db", "error")  # SEV2: no trigger
    commander = make_token(runtime, "alice", "commander")
    api = f"{klaxon.base_url}/api/v1/incidents/{incident.id}"
    asked = requests.post(f"{api}/responders", json={"targets": ["user:bob"], "message": "need DB eyes"},
                          headers=commander, timeout=10)
    assert asked.status_code == 200, asked.text
    wait_for(lambda: texts_to(twilio, PHONES["bob"], "need DB eyes"), timeout=20, message="bob's responder page")
    [page] = texts_to(twilio, PHONES["bob"], "")
    assert page.form["Body"] == (f"[SEV2] Checkout: alice asks for your help: need DB eyes. DB down (db). "
                                 f"Reply ACK {incident.id}, RES {incident.id} or ESC {incident.id}"), "with its actions"

    assert requests.post(f"{api}/subscribers", json={"user": "ed"}, headers=commander, timeout=10).status_code == 200
    update = "Failover done; watching replication."
    posted = requests.post(f"{api}/status-updates", json={"text": update}, headers=commander, timeout=10)
    assert posted.status_code == 201, posted.text

    def told() -> bool:
        return bool(dms_to(slack, "USAM", update) and texts_to(twilio, PHONES["tess"], update) and smtp.messages
                    and [p for p in slack.calls("chat.postMessage") if p.params["channel"] == "#checkout"
                         and update in str(p.params)])

    wait_for(told, timeout=20, message="the status update on every channel")
    time.sleep(2)  # a duplicate, or a message to someone else, would have come by now
    assert len(dms_to(slack, "USAM", update)) == len(texts_to(twilio, PHONES["tess"], update)) == 1
    [mail] = smtp.messages
    assert mail.rcpt_tos == ["ed@example.com"] and update in mail.message.get_content()
    assert not dms_to(slack, "UHANK", update) and not dms_to(slack, "UALICE", update)
    assert not texts_to(twilio, PHONES["bob"], update)
    sam_dm = dms_to(slack, "USAM", update)[0]
    assert "actions" not in str(sam_dm.params.get("blocks", "")), "an update is told, not paged"
