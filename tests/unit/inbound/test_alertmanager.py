"""Alertmanager webhook version 4: one event per alert group."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from integrations.inbound import InvalidEvent, parse_alertmanager
from integrations.inbound.alertmanager import MAX_ERRORS, MAX_LINKS
from tests.unit.inbound import load_fixture

GROUP_KEY = '{}/{team="checkout"}:{alertname="HighRequestLatency", env="prod"}'
GENERATOR_URL = (
    "http://prometheus-0:9090/graph?g0.expr=histogram_quantile%280.99%2C+sum+by+%28le%2C+instance"
    "%29+%28rate%28http_request_duration_seconds_bucket%7Bjob%3D%22checkout-api%22%7D%5B5m%5D%29"
    "%29%29+%3E+2&g0.tab=1"
)


def test_firing_group_is_one_trigger_keyed_by_its_group_key() -> None:
    body = load_fixture("alertmanager_firing.json")
    event = parse_alertmanager(body)
    assert event.action == "trigger"
    assert event.dedup_key == GROUP_KEY
    assert event.summary == "p99 latency above 2s on checkout-api"
    assert event.severity == "critical"
    assert event.labels == body["commonLabels"]
    assert event.source == "checkout-api"  # commonLabels.job: the instances differ
    assert event.integration == "alertmanager"
    assert event.occurred_at == "2026-03-02T14:04:52.118Z"  # the earliest startsAt
    assert event.raw == body


def test_group_alerts_are_attached_as_sent() -> None:
    body = load_fixture("alertmanager_firing.json")
    details = parse_alertmanager(body).details
    assert details["alerts"] == body["alerts"]
    assert [a["fingerprint"] for a in details["alerts"]] == [  # type: ignore[attr-defined]
        "7a2f1c9e4b0d3a61", "c41e0b7d92f5a803",
    ]
    assert {k: v for k, v in details.items() if k != "alerts"} == {
        "group_key": GROUP_KEY,
        "status": "firing",
        "receiver": "klaxon-checkout",
        "group_labels": {"alertname": "HighRequestLatency", "env": "prod"},
        "common_annotations": body["commonAnnotations"],
        "external_url": "http://alertmanager-0:9093",
        "truncated_alerts": 0,
        "firing": 2,
        "resolved": 0,
    }


def test_links_are_each_distinct_generator_url_then_alertmanager() -> None:
    event = parse_alertmanager(load_fixture("alertmanager_firing.json"))
    assert event.links == (
        {"href": GENERATOR_URL, "text": "Source"},
        {"href": "http://alertmanager-0:9093", "text": "Alertmanager"},
    )


def test_resolved_group_resolves_the_same_dedup_key() -> None:
    event = parse_alertmanager(load_fixture("alertmanager_resolved.json"))
    assert (event.action, event.dedup_key) == ("resolve", GROUP_KEY)
    assert event.occurred_at == "2026-03-02T14:33:22.118Z"  # the latest endsAt
    assert event.details["resolved"] == 2


def test_group_without_common_severity_takes_its_worst_firing_alert() -> None:
    event = parse_alertmanager(load_fixture("alertmanager_mixed.json"))
    assert event.severity == "critical"
    assert event.details["firing"] == 2 and event.details["resolved"] == 1
    assert event.source == "node"


def test_resolved_alerts_do_not_raise_a_firing_group_severity() -> None:
    body = load_fixture("alertmanager_mixed.json")
    body["alerts"][1]["labels"]["severity"] = "warning"  # db-3, resolved, stays critical
    assert parse_alertmanager(body).severity == "warning"


def test_unknown_severity_words_are_kept_when_no_known_one_exists() -> None:
    body = load_fixture("alertmanager_mixed.json")
    for alert in body["alerts"]:
        alert["labels"]["severity"] = "page"
    assert parse_alertmanager(body).severity == "page"


def test_no_severity_anywhere_is_none() -> None:
    body = load_fixture("alertmanager_mixed.json")
    for alert in body["alerts"]:
        del alert["labels"]["severity"]
    assert parse_alertmanager(body).severity is None


def test_summary_falls_back_to_the_first_firing_alerts_summary() -> None:
    body = load_fixture("alertmanager_mixed.json")
    body["alerts"].insert(0, body["alerts"].pop())  # the resolved db-3 alert first
    assert parse_alertmanager(body).summary == "Disk /var/lib/postgresql on db-1 fills in 4 hours"


def test_summary_falls_back_to_alertname_and_group_labels() -> None:
    body = load_fixture("alertmanager_firing.json")
    body["commonAnnotations"] = {}
    for alert in body["alerts"]:
        alert["annotations"] = {}
    assert parse_alertmanager(body).summary == "HighRequestLatency (env=prod)"


def test_summary_without_any_alertname_names_the_group() -> None:
    body = load_fixture("alertmanager_firing.json")
    body["commonAnnotations"], body["commonLabels"], body["groupLabels"] = {}, {}, {}
    for alert in body["alerts"]:
        alert["annotations"], alert["labels"] = {}, {}
    assert parse_alertmanager(body).summary == f"Alertmanager alert group {GROUP_KEY}"


def test_long_summary_is_cut_to_1024_characters_not_refused() -> None:
    body = load_fixture("alertmanager_firing.json")
    body["commonAnnotations"]["summary"] = "latency " * 300
    summary = parse_alertmanager(body).summary
    assert len(summary) == 1024 and summary.endswith("…")


def test_group_key_over_255_characters_becomes_a_stable_hash() -> None:
    body = load_fixture("alertmanager_firing.json")
    long_key = "{}:{" + ", ".join(f'label{i}="value{i}"' for i in range(30)) + "}"
    body["groupKey"] = long_key
    event = parse_alertmanager(body)
    assert event.dedup_key == "sha256:" + hashlib.sha256(long_key.encode()).hexdigest()
    assert event.details["group_key"] == long_key


def test_links_are_capped_for_alert_storms() -> None:
    body = load_fixture("alertmanager_firing.json")
    template = body["alerts"][0]
    body["alerts"] = [dict(template, generatorURL=f"http://p:9090/graph?g{i}") for i in range(50)]
    links = parse_alertmanager(body).links
    assert len(links) == MAX_LINKS and links[0]["href"] == "http://p:9090/graph?g0"


def _change(body: Any, path: str, value: Any) -> None:
    """Set (or, with DELETE, remove) a dotted path; numeric parts index into arrays."""
    parts: list[Any] = [int(p) if p.isdigit() else p for p in path.split(".")]
    for part in parts[:-1]:
        body = body[part]
    if value is DELETE:
        del body[parts[-1]]
    else:
        body[parts[-1]] = value


DELETE = object()

INVALID = [
    ("version", DELETE, 'version: is missing (expected "4", the Alertmanager webhook version)'),
    ("version", "3", 'version: unsupported Alertmanager webhook version "3" (expected "4")'),
    ("version", 4, 'version: unsupported Alertmanager webhook version 4 (expected "4")'),
    ("groupKey", DELETE, "groupKey: is missing or blank"),
    ("groupKey", " ", "groupKey: is missing or blank"),
    ("groupKey", 12, "groupKey: must be a string, got number"),
    ("status", "pending", 'status: must be "firing" or "resolved", got "pending"'),
    ("status", DELETE, 'status: must be "firing" or "resolved", got null'),
    ("alerts", [], "alerts: must be a non-empty array of alerts, got an empty array"),
    ("alerts", {"0": {}}, "alerts: must be a non-empty array of alerts, got object"),
    ("alerts.1", "HighRequestLatency", "alerts[1]: must be an object, got string"),
    ("alerts.0.status", "pending", 'alerts[0].status: must be "firing" or "resolved"'),
    ("alerts.0.labels", ["severity"], "alerts[0].labels: must be an object of strings, got array"),
    ("alerts.1.labels.severity", 1, "alerts[1].labels.severity: must be a string, got number"),
    ("alerts.0.annotations.summary", None, "alerts[0].annotations.summary: must be a string, got null"),
    ("commonLabels.env", True, "commonLabels.env: must be a string, got boolean"),
    ("groupLabels", "alertname", "groupLabels: must be an object of strings, got string"),
    ("commonAnnotations", 5, "commonAnnotations: must be an object of strings, got number"),
    ("externalURL", 9093, "externalURL: must be a string, got number"),
    ("receiver", ["klaxon"], "receiver: must be a string, got array"),
    ("truncatedAlerts", -1, "truncatedAlerts: must be a whole number, got -1"),
    ("truncatedAlerts", "2", 'truncatedAlerts: must be a whole number, got "2"'),
]


@pytest.mark.parametrize("path, value, error", INVALID)
def test_invalid_payload_is_refused_naming_the_field(path: str, value: Any, error: str) -> None:
    body = load_fixture("alertmanager_firing.json")
    _change(body, path, value)
    with pytest.raises(InvalidEvent) as caught:
        parse_alertmanager(body)
    assert caught.value.errors == [error]
    assert str(caught.value) == f"invalid Alertmanager webhook: {error}"


@pytest.mark.parametrize("body, got", [([], "array"), ("firing", "string"), (None, "null")])
def test_body_that_is_not_an_object_is_refused(body: Any, got: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_alertmanager(body)
    assert caught.value.errors[0] == f"body: must be a JSON object, got {got}"


def test_a_storm_of_bad_alerts_reports_the_first_problems_and_a_count() -> None:
    body = load_fixture("alertmanager_firing.json")
    body["alerts"] = [{"status": "firing", "labels": {"severity": 1}} for _ in range(30)]
    with pytest.raises(InvalidEvent) as caught:
        parse_alertmanager(body)
    assert len(caught.value.errors) == MAX_ERRORS + 1
    assert caught.value.errors[-1] == "... and 10 more problems"
