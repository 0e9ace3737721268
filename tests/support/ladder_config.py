"""A configuration with a known ladder for escalation tests: everyone is on Slack only, so each
level's page is exactly one row per person, and the tests read like the policy."""

from __future__ import annotations

from tests.support.config import CHECKOUT_KEY

LADDER_CONFIG = f"""
users:
  - {{id: alice, name: Alice, slack_user_id: UALICE, notify: [{{channel: slack, after: 0s}}]}}
  - {{id: bob, name: Bob, slack_user_id: UBOB, notify: [{{channel: slack, after: 0s}}]}}
  - {{id: carol, name: Carol, slack_user_id: UCAROL, phone: "+14155550103",
      notify: [{{channel: slack, after: 0s}}, {{channel: sms, after: 1m, severities: [SEV1]}}]}}
  - {{id: gina, name: Gina, slack_user_id: UGINA, notify: [{{channel: slack, after: 0s}}]}}
  - {{id: nobody-home, name: Nobody, slack_user_id: UNOBODY, notify: [{{channel: slack, after: 0s}}]}}
schedules:
  - id: primary
    time_zone: UTC
    layers:
      - name: always-alice
        rotation: {{type: daily, handoff: "00:00"}}
        start: 2026-01-01T00:00
        users: [alice]
  - id: empty
    time_zone: UTC
    layers:
      - name: far-future
        rotation: {{type: daily, handoff: "00:00"}}
        start: 2030-01-01T00:00
        users: [nobody-home]
escalation_policies:
  - id: ladder
    repeat: 1
    levels:
      - {{targets: [schedule:primary], escalate_after: 5m}}
      - {{targets: [user:bob], escalate_after: 10m}}
    open_triggers:
      - {{severities: [SEV1], after: 15m, targets: [user:gina]}}
  - id: gap
    levels:
      - {{targets: [schedule:empty], escalate_after: 5m}}
      - {{targets: [user:carol], escalate_after: 5m}}
  - id: timeout
    ack_timeout: 30m
    levels:
      - {{targets: [user:alice], escalate_after: 5m}}
      - {{targets: [user:bob]}}
services:
  - id: checkout
    name: Checkout
    escalation_policy: ladder
    integration_keys: [{{name: main, key: "{CHECKOUT_KEY}"}}]
  - id: gappy
    name: Gappy
    escalation_policy: gap
    integration_keys: [{{name: main, key: "{'a' * 32}"}}]
  - id: sticky
    name: Sticky
    escalation_policy: timeout
    integration_keys: [{{name: main, key: "{'b' * 32}"}}]
"""
