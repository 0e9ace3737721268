"""A small configuration for tests, applied through the real `klaxon apply` code."""

from __future__ import annotations

from typing import Any

from app.configuration.apply import apply_config
from app.configuration.loading import load_config
from app.platform.clock import utc_now

CHECKOUT_KEY = "0123456789abcdef0123456789abcdef"
PAYMENTS_KEY = "fedcba9876543210fedcba9876543210"

TEST_CONFIG = f"""
users:
  - {{id: alice, name: Alice Ng, email: alice@example.com, phone: "+14155550101", slack_user_id: UALICE, time_zone: America/New_York}}
  - {{id: bob, name: Bob Li, email: bob@example.com, phone: "+14155550102", slack_user_id: UBOB, time_zone: Europe/London}}
  - id: carol
    name: Carol Diaz
    phone: "+14155550103"
    notify:
      - {{channel: sms, after: 0s}}
  - {{id: gina, name: Gina Account Director, phone: "+14155550104", slack_user_id: UGINA}}
schedules:
  - id: checkout-primary
    time_zone: America/New_York
    layers:
      - name: weekly
        rotation: {{type: weekly, handoff: "monday 09:00"}}
        start: 2026-01-05T09:00
        users: [alice, bob]
escalation_policies:
  - id: checkout
    repeat: 1
    levels:
      - {{targets: [schedule:checkout-primary], escalate_after: 5m}}
      - {{targets: [user:carol], escalate_after: 10m}}
    open_triggers:
      - {{severities: [SEV1], after: 15m, targets: [user:gina]}}
services:
  - id: checkout
    name: Checkout API
    escalation_policy: checkout
    slack_channel: "#checkout-alerts"
    integration_keys:
      - {{name: prometheus, key: "{CHECKOUT_KEY}"}}
  - id: payments
    name: Payments
    escalation_policy: checkout
    integration_keys:
      - {{name: grafana, key: "{PAYMENTS_KEY}", rate_limit: 3/m}}
classification:
  rules:
    - name: prod-critical
      when: {{severity: [critical], labels: {{env: prod}}}}
      set: SEV1
    - name: outage-words
      when: {{summary: "(?i)outage|unavailable|data loss"}}
      set: SEV2
  default: {{critical: SEV1, error: SEV2, warning: SEV3, info: SEV4}}
"""


def one_responder_config(key: str, service: str) -> str:
    """A service whose policy pages one responder, Rita, by one SMS at once."""
    return f"""
users:
  - {{id: rita, name: Rita, phone: "+14155550199", notify: [{{channel: sms, after: 0s}}]}}
escalation_policies:
  - id: one
    levels:
      - {{targets: [user:rita], escalate_after: 30m}}
services:
  - id: {service}
    name: {service.title()}
    escalation_policy: one
    integration_keys: [{{name: main, key: "{key}"}}]
"""


def apply_test_config(runtime: Any, text: str = TEST_CONFIG) -> None:
    """Apply `text` to the runtime's database."""
    with runtime.session() as session:
        apply_config(session, load_config(text), now=utc_now())
        session.commit()


def pd_trigger(summary: str = "Checkout latency high", *, dedup_key: str | None = None, severity: str = "critical",
               key: str = CHECKOUT_KEY, **payload: Any) -> dict[str, Any]:
    """A PagerDuty Events API v2 trigger."""
    body: dict[str, Any] = {
        "routing_key": key,
        "event_action": "trigger",
        "payload": {"summary": summary, "source": "prometheus-1", "severity": severity, **payload},
    }
    if dedup_key is not None:
        body["dedup_key"] = dedup_key
    return body


def make_token(runtime: Any, user_id: str = "alice", role: str = "admin") -> dict[str, str]:
    """An Authorization header for a new token of `role`."""
    from app.web.tokens import create_token

    with runtime.session() as session:
        token = create_token(session, user_id=user_id, role=role, now=utc_now())
        session.commit()
    return {"Authorization": f"Bearer {token}"}


def run_jobs(runtime: Any) -> None:
    """Run every queued job (not scheduled ones) in this process, as a burst worker would."""
    from rq import Queue, SimpleWorker

    from app.platform.queueing import queue_names

    queues = [Queue(name, connection=runtime.redis) for name in queue_names(runtime.settings.queue_prefix)]
    SimpleWorker(queues, connection=runtime.redis).work(burst=True, with_scheduler=False, logging_level="WARNING")


def run_first_steps(runtime: Any) -> None:
    """Run the escalation jobs queued now, not the deliveries: step 0 of an incident opened by an
    alert runs in the worker, right after the intake commits."""
    from rq import Queue, SimpleWorker

    from app.platform.queueing import ESCALATION_QUEUE

    queue = Queue(f"{runtime.settings.queue_prefix}-{ESCALATION_QUEUE}", connection=runtime.redis)
    SimpleWorker([queue], connection=runtime.redis).work(burst=True, with_scheduler=False, logging_level="WARNING")
