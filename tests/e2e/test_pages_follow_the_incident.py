"""End to end (issue 10 items 1-3): after people act, or the configuration changes under an open
incident, real `klaxon web` and `klaxon worker` processes page exactly the right people.

Three incidents run side by side on one set of processes, each on its own service and people:
- escalate after acknowledge: amy acknowledges, then escalates; bo (level 2) is paged and the
  incident is triggered again;
- hand-over: ann (team A) is paged on Slack, her text is due 8 s later and team A's trigger pages ed
  at 8 s; handed to team B, ben is paged, ann is told once, her text and ed's trigger are cancelled;
- reordered triggers: right after the incident opens the same policy is applied with its two
  triggers (eve at 3 s, fay at 5 s) in the other order; each timer still pages whom it was armed for.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import requests
from sqlmodel import col, select

from app.models import ConsoleMessage, Incident, IncidentTrigger, Notification, TimelineEntry
from app.platform.clock import utc_now
from tests.support.config import apply_test_config, make_token
from tests.support.processes import KlaxonProcesses, wait_for

pytestmark = pytest.mark.e2e

KEYS = {"ladder": "1" * 32, "team-a": "2" * 32, "team-b": "3" * 32, "triggers": "4" * 32}
EVE_THEN_FAY = """
      - {severities: [SEV1], after: 3s, targets: [user:eve]}
      - {severities: [SEV1], after: 5s, targets: [user:fay]}"""
FAY_THEN_EVE = """
      - {severities: [SEV1], after: 5s, targets: [user:fay]}
      - {severities: [SEV1], after: 3s, targets: [user:eve]}"""
CONFIG = """
users:
  - {id: rita, name: Rita}
  - {id: amy, name: Amy, slack_user_id: UAMY, notify: [{channel: slack, after: 0s}]}
  - {id: bo, name: Bo, slack_user_id: UBO, notify: [{channel: slack, after: 0s}]}
  - {id: ann, name: Ann, slack_user_id: UANN, phone: "+14155550111",
     notify: [{channel: slack, after: 0s}, {channel: sms, after: 8s}]}
  - {id: ben, name: Ben, slack_user_id: UBEN, notify: [{channel: slack, after: 0s}]}
  - {id: ed, name: Ed, slack_user_id: UED, notify: [{channel: slack, after: 0s}]}
  - {id: eve, name: Eve, slack_user_id: UEVE, notify: [{channel: slack, after: 0s}]}
  - {id: fay, name: Fay, slack_user_id: UFAY, notify: [{channel: slack, after: 0s}]}
escalation_policies:
  - id: ladder
    levels:
      - {targets: [user:amy], escalate_after: 10m}
      - {targets: [user:bo], escalate_after: 10m}
  - id: team-a
    levels: [{targets: [user:ann], escalate_after: 10m}]
    open_triggers: [{severities: [SEV1], after: 8s, targets: [user:ed]}]
  - id: team-b
    levels: [{targets: [user:ben], escalate_after: 10m}]
  - id: triggers
    levels: [{targets: [user:amy], escalate_after: 10m}]
    open_triggers:%(triggers)s
services:
%(services)s
"""


def config(triggers: str) -> str:
    services = "\n".join(f"  - {{id: {name}, name: {name.title()}, escalation_policy: {name}, "
                         f"integration_keys: [{{name: main, key: \"{key}\"}}]}}" for name, key in KEYS.items())
    return CONFIG % {"triggers": triggers, "services": services}


def test_pages_follow_the_incident_after_ack_escalate_hand_over_and_reordered_triggers(
        runtime: Any, klaxon: KlaxonProcesses) -> None:
    apply_test_config(runtime, config(EVE_THEN_FAY))
    token = make_token(runtime, "rita", "admin")
    klaxon.start_web()
    klaxon.start_worker()
    ids = {service: fire(runtime, klaxon, service) for service in ("triggers", "ladder", "team-a")}
    apply_test_config(runtime, config(FAY_THEN_EVE))  # item 3: `klaxon apply` of the reordered triggers
    assert utc_now() < created_at(runtime, ids["triggers"]) + timedelta(seconds=3), "applied before eve's timer"

    wait_for(lambda: sent_to(runtime, ids["ladder"], "amy") and sent_to(runtime, ids["team-a"], "ann"),
             timeout=20, message="amy's and ann's first pages")
    api = f"{klaxon.base_url}/api/v1/incidents"
    assert requests.post(f"{api}/{ids['ladder']}/acknowledge", headers=token, timeout=10).status_code == 200
    assert requests.post(f"{api}/{ids['ladder']}/escalate", json={"to": "next"}, headers=token,
                         timeout=10).status_code == 200
    assert requests.post(f"{api}/{ids['team-a']}/escalate", json={"to": "service:team-b"}, headers=token,
                         timeout=10).status_code == 200

    wait_for(lambda: sent_to(runtime, ids["ladder"], "bo") and sent_to(runtime, ids["team-a"], "ben")
             and notices_to(runtime, ids["team-a"], "ann") and sent_to(runtime, ids["triggers"], "fay"),
             timeout=20, message="bo's, ben's and fay's pages and ann's notice")

    # Item 1: escalating an acknowledged incident pages the next level and triggers it again.
    incident = get_incident(runtime, ids["ladder"])
    assert (incident.status, incident.escalation_level) == ("triggered", 2)
    assert console_to(runtime, ids["ladder"]) == ["amy", "bo"]

    # Item 2: the old team stands down and is told once; the new team is paged.
    assert status_of(runtime, ids["team-a"], "ann", "sms") == "cancelled"
    with runtime.session() as session:
        [trigger] = session.exec(select(IncidentTrigger).where(col(IncidentTrigger.incident_id) == ids["team-a"],
                                                              col(IncidentTrigger.cancelled_at).is_not(None))).all()
        assert trigger.fired_at is None and trigger.rule["targets"] == ["user:ed"]
    assert console_to(runtime, ids["team-a"]) == ["ann", "ben", "ann"], "page, new team's page, the notice"
    assert len(notices_to(runtime, ids["team-a"], "ann")) == 1
    kinds = [kind for kind, _ in timeline(runtime, ids["team-a"])]
    assert kinds.index("reassigned") < kinds.index("handover_cancelled") < kinds.index("handover_notice")

    # Item 3: each trigger timer pages the person of the definition that armed it, at its own time.
    created = created_at(runtime, ids["triggers"])
    with runtime.session() as session:
        timers = {t.rule["targets"][0]: t for t in session.exec(select(IncidentTrigger).where(
            col(IncidentTrigger.incident_id) == ids["triggers"])).all()}
    for person, after in (("eve", 3), ("fay", 5)):
        timer = timers[f"user:{person}"]
        assert timer.due_at == created + timedelta(seconds=after) and timer.fired_at is not None, person
        [row] = pages_to(runtime, ids["triggers"], person)
        assert (row.step_key, row.status) == (f"trigger:{timer.trigger_index}", "sent"), person


def fire(runtime: Any, klaxon: KlaxonProcesses, service: str) -> int:
    body = {"routing_key": KEYS[service], "event_action": "trigger", "dedup_key": f"e2e-{service}",
            "payload": {"summary": f"{service} is down", "source": "e2e", "severity": "critical"}}
    response = requests.post(f"{klaxon.base_url}/v2/enqueue", json=body, timeout=10)
    assert response.status_code == 202, response.text
    with runtime.session() as session:
        incident = session.exec(select(Incident).where(col(Incident.dedup_key) == body["dedup_key"])).one()
        return incident.id or 0


def pages_to(runtime: Any, incident_id: int, user: str, *, notices: bool = False) -> list[Notification]:
    with runtime.session() as session:
        return list(session.exec(select(Notification).where(
            col(Notification.incident_id) == incident_id, col(Notification.user_id) == user,
            col(Notification.notice).is_not(None) if notices else col(Notification.notice).is_(None))
            .order_by(col(Notification.id))).all())


def sent_to(runtime: Any, incident_id: int, user: str) -> bool:
    return any(row.status == "sent" for row in pages_to(runtime, incident_id, user))


def notices_to(runtime: Any, incident_id: int, user: str) -> list[Notification]:
    return [row for row in pages_to(runtime, incident_id, user, notices=True) if row.status == "sent"]


def status_of(runtime: Any, incident_id: int, user: str, channel: str) -> str:
    [row] = [row for row in pages_to(runtime, incident_id, user) if row.channel == channel]
    return row.status


def console_to(runtime: Any, incident_id: int) -> list[str]:
    """Who the console outbox messaged about the incident, in order (channel posts left out)."""
    with runtime.session() as session:
        rows = session.exec(select(Notification.user_id).join(
            ConsoleMessage, col(ConsoleMessage.notification_id) == col(Notification.id))
            .where(col(Notification.incident_id) == incident_id, col(Notification.user_id).is_not(None))
            .order_by(col(ConsoleMessage.id))).all()
    return [user or "" for user in rows]


def get_incident(runtime: Any, incident_id: int) -> Incident:
    with runtime.session() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        return incident


def created_at(runtime: Any, incident_id: int) -> Any:
    return get_incident(runtime, incident_id).created_at


def timeline(runtime: Any, incident_id: int) -> list[tuple[str, str]]:
    with runtime.session() as session:
        return [(e.kind, e.detail) for e in session.exec(select(TimelineEntry).where(
            col(TimelineEntry.incident_id) == incident_id).order_by(col(TimelineEntry.id))).all()]
