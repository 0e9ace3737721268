"""Prometheus Alertmanager webhook (`version` "4"): one event per alert group.

Alertmanager notifies per group (`groupKey`), so the group is the incident: `dedup_key` is the
groupKey (or `sha256:<hex>` of it when longer than 255 characters, the dedup key limit; the full key
stays in details["group_key"]). `status: resolved` (every alert of the group resolved) resolves it;
anything else triggers, and a trigger for an open group attaches to its incident.

The individual alerts are in `details["alerts"]`, each exactly as the tool sent it (status, labels,
annotations, startsAt, endsAt, generatorURL, fingerprint, ...). Other details: group_key, status,
receiver, group_labels, common_annotations, external_url, truncated_alerts, firing, resolved.

Grafana's contact point payload is this format extended, so grafana.py reuses `read_alert_group`
and `group_event`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from integrations.inbound.event import InboundEvent, InvalidEvent
from integrations.inbound.generic import MAX_DEDUP_KEY, MAX_SUMMARY, json_type, string_map

VERSION = "4"
STATUSES = ("firing", "resolved")
MAX_LINKS = 20  # a storm of 500 alerts must not become 500 links; every alert stays in details
MAX_ERRORS = 20  # one bad field repeated in every alert of a big group is one problem, not 500
# Most severe first: when the alerts of a group disagree, the group is as severe as its worst.
SEVERITY_ORDER = ("critical", "error", "warning", "info")


@dataclass(frozen=True)
class AlertGroup:
    """A checked alert-group notification (Alertmanager or Grafana)."""

    tool: str
    status: str
    group_key: str
    alerts: list[dict[str, object]]
    alert_labels: list[dict[str, str]]
    alert_annotations: list[dict[str, str]]
    group_labels: dict[str, str]
    common_labels: dict[str, str]
    common_annotations: dict[str, str]
    external_url: str | None
    receiver: str | None
    truncated_alerts: int
    raw: dict[str, object]


def parse_alertmanager(body: object) -> InboundEvent:
    """Parse an Alertmanager webhook body into the one event for its alert group."""
    group = read_alert_group(body, tool="Alertmanager", version=VERSION)
    return group_event(group, integration="alertmanager", link_fields={"generatorURL": "Source"})


def read_alert_group(body: object, *, tool: str, version: str) -> AlertGroup:
    """Check the alert-group fields common to Alertmanager and Grafana; raise InvalidEvent."""
    errors: list[str] = []
    if not isinstance(body, dict):
        errors.append(f"body: must be a JSON object, got {json_type(body)}")
        body = {}
    _check_version(body.get("version"), tool, version, errors)
    group_key = _required_text(body, "groupKey", errors)
    status = body.get("status")
    if status not in STATUSES:
        errors.append(f'status: must be "firing" or "resolved", got {json.dumps(status)}')
    alerts = _alerts(body.get("alerts"), errors)
    labels = [string_map(a.get("labels"), f"alerts[{i}].labels", errors) for i, a in alerts]
    notes = [
        string_map(a.get("annotations"), f"alerts[{i}].annotations", errors) for i, a in alerts
    ]
    group = AlertGroup(
        tool=tool,
        status=str(status),
        group_key=group_key,
        alerts=[alert for _, alert in alerts],
        alert_labels=labels,
        alert_annotations=notes,
        group_labels=string_map(body.get("groupLabels"), "groupLabels", errors),
        common_labels=string_map(body.get("commonLabels"), "commonLabels", errors),
        common_annotations=string_map(body.get("commonAnnotations"), "commonAnnotations", errors),
        external_url=_optional_text(body, "externalURL", errors),
        receiver=_optional_text(body, "receiver", errors),
        truncated_alerts=_count(body.get("truncatedAlerts"), errors),
        raw=dict(body),
    )
    if errors:
        shown = errors[:MAX_ERRORS]
        if len(errors) > MAX_ERRORS:
            shown.append(f"... and {len(errors) - MAX_ERRORS} more problems")
        raise InvalidEvent(f"invalid {tool} webhook: {'; '.join(shown)}", shown)
    return group


def group_event(
    group: AlertGroup,
    *,
    integration: str,
    link_fields: dict[str, str],
    extra_details: dict[str, object] | None = None,
) -> InboundEvent:
    """The one event for a checked group; link_fields maps an alert's URL field to a link text."""
    details: dict[str, object] = {
        "group_key": group.group_key,
        "status": group.status,
        "receiver": group.receiver,
        "group_labels": group.group_labels,
        "common_annotations": group.common_annotations,
        "external_url": group.external_url,
        "truncated_alerts": group.truncated_alerts,
        "firing": sum(1 for alert in group.alerts if alert.get("status") != "resolved"),
        "resolved": sum(1 for alert in group.alerts if alert.get("status") == "resolved"),
        **(extra_details or {}),
        "alerts": group.alerts,
    }
    resolved = group.status == "resolved"
    return InboundEvent(
        action="resolve" if resolved else "trigger",
        summary=group_summary(group),
        severity=group_severity(group),
        source=_source(group, integration),
        dedup_key=_dedup_key(group.group_key),
        labels=dict(group.common_labels),
        details=details,
        links=_links(group, link_fields),
        occurred_at=_occurred_at(group.alerts, "endsAt" if resolved else "startsAt", resolved),
        integration=integration,
        raw=group.raw,
    )


def group_summary(group: AlertGroup) -> str:
    """commonAnnotations.summary, else the lead alert's summary, else alertname (group labels)."""
    lead = _lead(group)
    text = group.common_annotations.get("summary") or (
        group.alert_annotations[lead].get("summary") if group.alerts else None
    )
    if not text:
        name = group.common_labels.get("alertname") or (
            group.alert_labels[lead].get("alertname") if group.alerts else None
        )
        others = [f"{k}={v}" for k, v in sorted(group.group_labels.items()) if k != "alertname"]
        suffix = f" ({', '.join(others)})" if others else ""
        text = f"{name}{suffix}" if name else f"{group.tool} alert group {group.group_key}"
    # We cannot reject a tool's long annotation the way PagerDuty rejects a long summary: cut it.
    return text if len(text) <= MAX_SUMMARY else text[: MAX_SUMMARY - 1] + "…"


def group_severity(group: AlertGroup) -> str | None:
    """commonLabels.severity; else the most severe among the (firing) alerts' severity labels."""
    if group.common_labels.get("severity"):
        return group.common_labels["severity"]
    firing = [
        labels for alert, labels in zip(group.alerts, group.alert_labels)
        if alert.get("status") != "resolved"
    ]
    candidates = firing or group.alert_labels
    words = [labels["severity"] for labels in candidates if labels.get("severity")]
    known = [word for word in words if word.lower() in SEVERITY_ORDER]
    if known:
        return min(known, key=lambda word: SEVERITY_ORDER.index(word.lower()))
    return words[0] if words else None


def _source(group: AlertGroup, integration: str) -> str:
    """The common instance, else job, else the tool's URL: what a `source` rule should test."""
    labels = group.common_labels
    return labels.get("instance") or labels.get("job") or group.external_url or integration


def _lead(group: AlertGroup) -> int:
    """The index of the first firing alert (else 0): the one a human reads first."""
    for index, alert in enumerate(group.alerts):
        if alert.get("status") != "resolved":
            return index
    return 0


def _check_version(value: object, tool: str, version: str, errors: list[str]) -> None:
    if value is None:
        errors.append(f'version: is missing (expected "{version}", the {tool} webhook version)')
    elif value != version:
        errors.append(
            f"version: unsupported {tool} webhook version {json.dumps(value)} "
            f'(expected "{version}")'
        )


def _required_text(body: dict[str, object], key: str, errors: list[str]) -> str:
    value = body.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        errors.append(f"{key}: is missing or blank")
        return ""
    if not isinstance(value, str):
        errors.append(f"{key}: must be a string, got {json_type(value)}")
        return ""
    return value


def _optional_text(body: dict[str, object], key: str, errors: list[str]) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        errors.append(f"{key}: must be a string, got {json_type(value)}")
        return None
    return value or None


def _count(value: object, errors: list[str]) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        errors.append(f"truncatedAlerts: must be a whole number, got {json.dumps(value)}")
        return 0
    return value


def _alerts(value: object, errors: list[str]) -> list[tuple[int, dict[str, object]]]:
    """(index, alert) for each alert object; every other element is noted as an error."""
    if not isinstance(value, list) or not value:
        got = "an empty array" if value == [] else json_type(value)
        errors.append(f"alerts: must be a non-empty array of alerts, got {got}")
        return []
    alerts = []
    for index, alert in enumerate(value):
        if not isinstance(alert, dict):
            errors.append(f"alerts[{index}]: must be an object, got {json_type(alert)}")
        elif alert.get("status") not in (None, *STATUSES):
            errors.append(f'alerts[{index}].status: must be "firing" or "resolved"')
        else:
            alerts.append((index, alert))
    return alerts


def _dedup_key(group_key: str) -> str:
    if len(group_key) <= MAX_DEDUP_KEY:
        return group_key
    # Stable across notifications, so the same group still finds its incident.
    return "sha256:" + hashlib.sha256(group_key.encode()).hexdigest()


def _links(group: AlertGroup, link_fields: dict[str, str]) -> tuple[dict[str, str], ...]:
    """Each distinct alert URL (generatorURL, silenceURL, ...) once, then the tool's own URL."""
    links: list[dict[str, str]] = []
    seen: set[str] = set()
    for alert in group.alerts:
        for field, text in link_fields.items():
            url = alert.get(field)
            # URLs are cosmetic: a missing or odd one costs a link, never the page.
            if isinstance(url, str) and url.strip() and url not in seen:
                seen.add(url)
                links.append({"href": url, "text": text})
    if group.external_url and group.external_url not in seen:
        links.append({"href": group.external_url, "text": group.tool})
    return tuple(links[:MAX_LINKS])


def _occurred_at(alerts: list[dict[str, object]], field: str, latest: bool) -> str | None:
    """The earliest startsAt (trigger) or latest endsAt (resolve), as the tool wrote it."""
    stamps: list[tuple[datetime, str]] = []
    for alert in alerts:
        text = alert.get(field)
        if not isinstance(text, str) or text.startswith("0001-"):  # Go's zero time: "not set"
            continue
        try:
            instant = datetime.fromisoformat(text)
        except ValueError:
            continue
        if instant.tzinfo is not None:  # naive and aware instants do not compare
            stamps.append((instant, text))
    if not stamps:
        return None
    pick = max if latest else min
    return pick(stamps, key=lambda stamp: stamp[0])[1]
