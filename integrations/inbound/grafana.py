"""Grafana Alerting webhook contact point (`version` "1"): one event per notification group.

Grafana's payload is Alertmanager's, extended: the same groupKey, status, alerts[], labels and
annotations, plus orgId, title, state and message on the body and silenceURL, dashboardURL,
panelURL, imageURL, values and valueString on each alert. So this reuses the Alertmanager reading:
groupKey is the dedup key, `status: resolved` resolves, the alerts are in details["alerts"] as
Grafana sent them, and orgId/title/state/message are kept in details. The pre-9 "legacy alerting"
webhook (ruleId, evalMatches) is a different format and is refused with a message that says so.
"""

from __future__ import annotations

from integrations.inbound.alertmanager import group_event, read_alert_group
from integrations.inbound.event import InboundEvent, InvalidEvent

VERSION = "1"
ALERT_LINKS = {
    "generatorURL": "Alert rule",
    "silenceURL": "Silence",
    "dashboardURL": "Dashboard",
    "panelURL": "Panel",
    "imageURL": "Image",
}
_EXTRA_FIELDS = ("orgId", "title", "state", "message")


def parse_grafana(body: object) -> InboundEvent:
    """Parse a Grafana Alerting webhook body into the one event for its notification group."""
    if _is_legacy(body):
        problem = (
            "this is a legacy Grafana alerting webhook (ruleId, evalMatches); "
            'use a Grafana Alerting webhook contact point (payload version "1")'
        )
        raise InvalidEvent(f"invalid Grafana webhook: {problem}", [f"version: {problem}"])
    group = read_alert_group(body, tool="Grafana", version=VERSION)
    extra = {name: group.raw[name] for name in _EXTRA_FIELDS if name in group.raw}
    return group_event(group, integration="grafana", link_fields=ALERT_LINKS, extra_details=extra)


def _is_legacy(body: object) -> bool:
    """Grafana's pre-9 alerting webhook: ruleId / evalMatches and no alerts[]."""
    if not isinstance(body, dict) or "alerts" in body:
        return False
    return "ruleId" in body or "evalMatches" in body
