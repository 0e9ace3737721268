"""Incident command in one process (issue 12): accounts' directors, responders, subscribers and status
updates, severity changes and reassignment, driven through the API with freezegun and RQ as the worker."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Iterator

import pytest
from freezegun import freeze_time
from sqlmodel import col, select

from app.models import ConsoleMessage, IncidentTrigger, Notification
from tests.support.config import apply_test_config, make_token
from tests.support.driver import Driver

M = timedelta(minutes=1)
KEY = "a" * 32
OTHER_KEY = "b" * 32
STOREFRONT_KEY = "d" * 32

COMMAND_CONFIG = f"""
users:
  - {{id: alice, name: Alice, slack_user_id: UALICE, notify: [{{channel: slack, after: 0s}}]}}
  - id: bob
    name: Bob
    phone: "+14155550102"
    slack_user_id: UBOB
    notify:
      - {{channel: slack, after: 0s}}
      - {{channel: sms, after: 0s, severities: [SEV1, SEV2]}}
      - {{channel: voice, after: 2m, severities: [SEV1]}}
  - {{id: carl, name: Carl, phone: "+14155550103", notify: [{{channel: sms, after: 0s}}]}}
  - {{id: gina, name: Gina, slack_user_id: UGINA, notify: [{{channel: slack, after: 0s}}]}}
  - {{id: sam, name: Sam, slack_user_id: USAM, status_channel: slack}}
  - {{id: tess, name: Tess, phone: "+14155550105", status_channel: sms}}
  - {{id: ed, name: Ed, email: ed@example.com, status_channel: email}}
  - {{id: hank, name: Hank, email: hank@example.com, slack_user_id: UHANK}}
accounts:
  - {{id: acme, name: ACME Retail, account_director: gina, stakeholders: [sam, tess]}}
escalation_policies:
  - id: checkout
    levels:
      - {{name: Tier 1, targets: [user:alice], escalate_after: 5m}}
      - {{name: Tier 2 database, targets: [user:bob]}}
    open_triggers:
      - {{severities: [SEV1], after: 15m, targets: [account:director]}}
services:
  - {{id: checkout, name: Checkout, account: acme, escalation_policy: checkout, slack_channel: "#checkout",
     integration_keys: [{{name: main, key: "{KEY}"}}]}}
  - {{id: storefront, name: Storefront, account: acme, escalation_policy: checkout,
     integration_keys: [{{name: main, key: "{STOREFRONT_KEY}"}}]}}
  - {{id: tools, name: Tools, escalation_policy: checkout, integration_keys: [{{name: main, key: "{OTHER_KEY}"}}]}}
"""


@pytest.fixture
def driver(runtime: Any) -> Iterator[Driver]:
    with freeze_time("2026-11-23T03:00:00Z") as frozen:
        apply_test_config(runtime, COMMAND_CONFIG)
        yield Driver(runtime, frozen)


@pytest.fixture
def api(driver: Driver, flask_app: Any) -> Any:
    return flask_app.test_client()


@pytest.fixture
def commander(driver: Driver) -> dict[str, str]:
    return make_token(driver.runtime, "alice", "commander")


def open_incident(driver: Driver, api: Any, severity: str = "critical", key: str = KEY, dedup: str = "db") -> int:
    answer = api.post("/v2/enqueue", json={"routing_key": key, "event_action": "trigger", "dedup_key": dedup,
                                           "payload": {"summary": "DB down", "source": "pg", "severity": severity}})
    assert answer.status_code == 202, answer.json
    driver.run_due()
    with driver.runtime.session() as session:
        return max(n.incident_id for n in session.exec(select(Notification)).all())


def rows(driver: Driver, incident_id: int, step_prefix: str) -> list[tuple[str, str, str]]:
    """(recipient, channel, status) of the incident's outbox rows whose step starts with `step_prefix`."""
    with driver.runtime.session() as session:
        found = session.exec(select(Notification).where(col(Notification.incident_id) == incident_id,
                                                        col(Notification.step_key).startswith(step_prefix))
                             .order_by(col(Notification.id))).all()
    return [(n.recipient, n.channel, n.status) for n in found]


def console_texts(driver: Driver) -> list[str]:
    with driver.runtime.session() as session:
        return [m.text for m in session.exec(select(ConsoleMessage).order_by(col(ConsoleMessage.id))).all()]


@pytest.mark.parametrize("key", [KEY, STOREFRONT_KEY], ids=["checkout", "storefront"])
def test_a_sev1_open_15_minutes_pages_the_account_director_of_its_service(driver: Driver, api: Any, key: str) -> None:
    """The real 15 minutes on a frozen clock: the policy names `account:director`, the account (of either of
    its services) names gina."""
    incident = open_incident(driver, api, key=key)
    driver.jump(14 * M + timedelta(seconds=59))
    assert ("user:gina", "slack", "sent") not in rows(driver, incident, "trigger:")
    driver.jump(timedelta(seconds=1))
    assert rows(driver, incident, "trigger:") == [("user:gina", "slack", "sent")]
    assert any(kind == "paged" and "gina" in detail for kind, detail in driver.timeline(incident))


def test_a_service_without_an_account_has_no_director_to_page(driver: Driver, api: Any) -> None:
    incident = open_incident(driver, api, key=OTHER_KEY)
    driver.jump(16 * M)
    assert rows(driver, incident, "trigger:") == []


def test_responders_are_paged_once_with_the_commanders_message(driver: Driver, api: Any,
                                                              commander: dict[str, str]) -> None:
    incident = open_incident(driver, api, severity="error")  # SEV2: bob's rules ask for Slack and a text
    api.post(f"/api/v1/incidents/{incident}/acknowledge", headers=commander)
    answer = api.post(f"/api/v1/incidents/{incident}/responders", headers=commander,
                      json={"targets": ["user:bob", "user:carl", "user:bob"], "message": "need DB eyes"})
    assert answer.status_code == 200, answer.json
    assert answer.json["status"] == "acknowledged" and answer.json["escalation_level"] == 1, "no escalation"
    driver.run_due()
    assert rows(driver, incident, "responders:") == [("user:bob", "slack", "sent"), ("user:bob", "sms", "sent"),
                                                     ("user:carl", "sms", "sent")]
    asked = [t for t in console_texts(driver) if "alice asks for your help: need DB eyes" in t]
    assert len(asked) == 3
    assert ("responders_added", "responders requested (need DB eyes): paged bob (slack, sms), carl (sms)") in \
        driver.timeline(incident)


@pytest.mark.parametrize("body, status, needle", [
    ({"targets": []}, 400, "non-empty list"),
    ({"targets": ["user:zed"]}, 400, "unknown user 'zed'"),
    ({"targets": ["slack:#x"]}, 400, "use user:ID or schedule:ID"),
    ({"targets": ["schedule:nope"]}, 400, "unknown schedule 'nope'"),
    ({"targets": ["user:bob"], "message": 5}, 400, "message must be a string"),
])
def test_bad_responder_requests_are_refused_and_change_nothing(driver: Driver, api: Any, commander: dict[str, str],
                                                               body: dict[str, Any], status: int, needle: str) -> None:
    incident = open_incident(driver, api)
    before = driver.timeline(incident)
    answer = api.post(f"/api/v1/incidents/{incident}/responders", headers=commander, json=body)
    assert answer.status_code == status and needle in answer.json["error"]
    assert driver.timeline(incident) == before and rows(driver, incident, "responders:") == []


def test_a_resolved_incident_takes_no_responders_or_status_updates(driver: Driver, api: Any,
                                                                   commander: dict[str, str]) -> None:
    incident = open_incident(driver, api)
    api.post(f"/api/v1/incidents/{incident}/resolve", headers=commander)
    before = driver.timeline(incident)
    for path, body in (("responders", {"targets": ["user:bob"]}), ("status-updates", {"text": "all good"})):
        answer = api.post(f"/api/v1/incidents/{incident}/{path}", headers=commander, json=body)
        assert answer.status_code == 409 and "is resolved" in answer.json["error"]
    assert driver.timeline(incident) == before


@pytest.mark.parametrize("body, needle", [({"text": "   "}, "must not be empty"), ({}, "text is required"),
                                          ({"text": "x" * 2001}, "at most 2000")])
def test_an_empty_status_update_is_400_and_changes_nothing(driver: Driver, api: Any, commander: dict[str, str],
                                                           body: dict[str, Any], needle: str) -> None:
    incident = open_incident(driver, api)
    before = driver.timeline(incident)
    answer = api.post(f"/api/v1/incidents/{incident}/status-updates", headers=commander, json=body)
    assert answer.status_code == 400 and needle in answer.json["error"]
    assert driver.timeline(incident) == before


def test_a_status_update_reaches_each_subscriber_once_on_their_channel(driver: Driver, api: Any,
                                                                       commander: dict[str, str]) -> None:
    """Stakeholders sam (Slack) and tess (SMS) by the account, ed (email) added; hank and the responders not."""
    incident = open_incident(driver, api)
    assert api.post(f"/api/v1/incidents/{incident}/subscribers", headers=commander, json={"user": "ed"}).status_code == 200
    assert api.post(f"/api/v1/incidents/{incident}/subscribers", headers=commander, json={"user": "ed"}).status_code == 200
    answer = api.post(f"/api/v1/incidents/{incident}/status-updates", headers=commander,
                      json={"text": "Failover done; checking replication."})
    assert answer.status_code == 201, answer.json
    driver.run_due()
    assert rows(driver, incident, "status:") == [("user:sam", "slack", "sent"), ("user:tess", "sms", "sent"),
                                                 ("user:ed", "email", "sent"), ("slack:#checkout", "slack", "sent")]
    told = [t for t in console_texts(driver) if "Failover done" in t]
    assert told == [f"Status update on incident #{incident} (DB down) from alice: Failover done; checking "
                    "replication."] * 4
    assert ("status_update", "Failover done; checking replication.") in driver.timeline(incident)
    driver.jump(10 * M)
    assert len(rows(driver, incident, "status:")) == 4, "never re-paged"


def test_unsubscribing_stops_status_updates(driver: Driver, api: Any, commander: dict[str, str]) -> None:
    incident = open_incident(driver, api)
    api.post(f"/api/v1/incidents/{incident}/subscribers", headers=commander, json={"user": "hank"})
    assert api.delete(f"/api/v1/incidents/{incident}/subscribers", headers=commander,
                      json={"user": "hank"}).status_code == 200
    missing = api.delete(f"/api/v1/incidents/{incident}/subscribers", headers=commander, json={"user": "hank"})
    assert missing.status_code == 404
    api.post(f"/api/v1/incidents/{incident}/status-updates", headers=commander, json={"text": "update"})
    assert "user:hank" not in [r[0] for r in rows(driver, incident, "status:")]


def test_raising_sev3_to_sev1_starts_the_urgent_ladder_and_the_sev1_trigger(driver: Driver, api: Any,
                                                                            commander: dict[str, str]) -> None:
    """A SEV3 pages level 1 without climbing; raised to SEV1 at +20 min, the ladder starts again from level 1,
    and the director's 15-minute trigger, counted from creation, is already due: it fires at once."""
    incident = open_incident(driver, api, severity="warning")
    driver.jump(20 * M)
    assert driver.pages(incident) == [(1, "alice", "slack")], "a SEV3 does not climb"
    answer = api.post(f"/api/v1/incidents/{incident}/severity", headers=commander, json={"severity": "SEV1"})
    assert answer.status_code == 200
    driver.run_due()
    assert driver.pages(incident)[1:] == [(1, "alice", "slack"), (0, "gina", "slack")]
    driver.jump(5 * M)
    assert (2, "bob", "slack") in driver.pages(incident), "the urgent ladder climbs"
    kinds = [kind for kind, _ in driver.timeline(incident)]
    assert {"severity", "severity_ladder", "severity_triggers"} <= set(kinds)


def test_lowering_sev1_to_sev3_stops_the_ladder_the_trigger_and_the_voice_call(driver: Driver, api: Any,
                                                                               commander: dict[str, str]) -> None:
    incident = open_incident(driver, api)
    driver.jump(5 * M)  # level 2: bob by Slack, a text, and a call due in 2 minutes
    assert api.post(f"/api/v1/incidents/{incident}/severity", headers=commander,
                    json={"severity": "SEV3"}).status_code == 200
    driver.jump(20 * M)
    assert ("user:bob", "voice", "cancelled") in rows(driver, incident, "esc:")
    assert rows(driver, incident, "trigger:") == []
    with driver.runtime.session() as session:
        [trigger] = session.exec(select(IncidentTrigger)).all()
        assert trigger.cancelled_at is not None and trigger.fired_at is None
    assert driver.incident(incident).next_escalation_at is None


def test_reassigning_to_a_user_ends_the_ladder_and_pages_only_them(driver: Driver, api: Any,
                                                                   commander: dict[str, str]) -> None:
    incident = open_incident(driver, api)
    answer = api.post(f"/api/v1/incidents/{incident}/escalate", headers=commander, json={"to": "user:carl"})
    assert answer.status_code == 200, answer.json
    driver.jump(30 * M)
    assert rows(driver, incident, "assign:") == [("user:carl", "sms", "sent")]
    assert rows(driver, incident, "esc:") == [("user:alice", "slack", "sent")], "the ladder ended"
    bad = api.post(f"/api/v1/incidents/{incident}/escalate", headers=commander, json={"to": "user:zed"})
    assert bad.status_code == 400 and "unknown user 'zed'" in bad.json["error"]


def test_incidents_filter_by_account(driver: Driver, api: Any, commander: dict[str, str]) -> None:
    acme = open_incident(driver, api)
    open_incident(driver, api, key=OTHER_KEY, dedup="other")
    listed = api.get("/api/v1/incidents?account=acme", headers=commander).json["incidents"]
    assert [i["id"] for i in listed] == [acme]
