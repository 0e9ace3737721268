"""What the Twilio app tests share: a configuration, signed webhook posts, and outbox and timeline reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, select
from twilio.request_validator import RequestValidator

from app.models import Incident, Notification, TimelineEntry, User
from app.outbox.delivery import deliver
from tests.fakes.twilio_api import AUTH_TOKEN
from tests.support.config import CHECKOUT_KEY, pd_trigger, run_first_steps

PUBLIC_URL = "https://klaxon.example.com/oncall"  # the proxy strips /oncall before the app sees it
FROM_NUMBER = "+15005550006"
ALICE_PHONE = "+14155550101"
BOB_PHONE = "+14155550102"
STRANGER_PHONE = "+14155550199"

TWILIO_CONFIG = f"""
users:
  - id: alice
    name: Alice Ng
    phone: "{ALICE_PHONE}"
    notify:
      - {{channel: sms, after: 0s}}
      - {{channel: voice, after: 2m}}
  - id: bob
    name: Bob Li
    phone: "{BOB_PHONE}"
    slack_user_id: UBOB
    notify:
      - {{channel: sms, after: 0s}}
escalation_policies:
  - id: checkout
    levels:
      - {{targets: [user:alice], escalate_after: 5m}}
      - {{targets: [user:bob], escalate_after: 10m}}
services:
  - id: checkout
    name: Checkout API
    escalation_policy: checkout
    integration_keys:
      - {{name: prometheus, key: "{CHECKOUT_KEY}"}}
classification:
  rules: []
  default: {{critical: SEV1, error: SEV2, warning: SEV3, info: SEV4}}
"""


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    """X-Twilio-Signature exactly as Twilio computes it for `url` and the POST params."""
    return RequestValidator(token).compute_signature(url, params)


def twilio_post(client: Any, path: str, params: dict[str, str], *, signature: str | None = None) -> Any:
    """POST a form to `path` (with its query) signed for PUBLIC_URL + path, as Twilio would."""
    if signature is None:
        signature = sign(PUBLIC_URL + path, params)
    headers = {"X-Twilio-Signature": signature} if signature else {}
    return client.post(path, data=params, headers=headers)


def text_from(client: Any, phone: str, body: str) -> Any:
    """An inbound SMS from `phone`, signed."""
    return twilio_post(client, "/twilio/sms", {"From": phone, "To": FROM_NUMBER, "Body": body,
                                               "MessageSid": "SMinbound0001", "AccountSid": "AC"})


def trigger(client: Any, dedup_key: str, *, severity: str = "critical", summary: str = "Checkout is down") -> int:
    """Open an incident through the PagerDuty endpoint; its id."""
    response = client.post("/v2/enqueue", json=pd_trigger(summary, dedup_key=dedup_key, severity=severity))
    assert response.status_code == 202, response.get_json()
    run_first_steps(client.application.extensions["klaxon"])
    return incident_id_for(client, dedup_key)


def incident_id_for(client: Any, dedup_key: str) -> int:
    """The id of the open incident with `dedup_key`."""
    runtime = client.application.extensions["klaxon"]
    with runtime.session() as session:
        found = session.exec(select(Incident).where(col(Incident.dedup_key) == dedup_key)).one()
        return found.id or 0


def incident(runtime: Any, incident_id: int) -> Incident:
    """The incident as stored now."""
    with runtime.session() as session:
        found = session.get(Incident, incident_id)
        assert found is not None
        return found


def user(runtime: Any, user_id: str) -> User:
    """The user as stored now."""
    with runtime.session() as session:
        found = session.get(User, user_id)
        assert found is not None
        return found


def notifications(runtime: Any, **where: Any) -> list[Notification]:
    """Outbox rows in id order, filtered by equal column values (`channel="sms"`)."""
    with runtime.session() as session:
        query = select(Notification).order_by(col(Notification.id))
        for name, value in where.items():
            query = query.where(getattr(Notification, name) == value)
        return list(session.exec(query).all())


def timeline(runtime: Any, incident_id: int) -> list[str]:
    """`kind: detail` of every timeline entry of an incident, in order."""
    with runtime.session() as session:
        entries = session.exec(select(TimelineEntry).where(col(TimelineEntry.incident_id) == incident_id)
                               .order_by(col(TimelineEntry.id))).all()
        return [f"{e.kind}: {e.detail}" for e in entries]


def deliver_at(runtime: Any, notification_id: int, at: datetime) -> str:
    """Run the delivery of one outbox row as the job would, at the instant `at`."""
    return deliver(runtime.session, runtime.notifiers, notification_id, lambda: at, runtime.settings.public_url)
