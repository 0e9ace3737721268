"""PagerDuty Events API v2: PagerDuty's own rules and error wording."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from integrations.inbound import InvalidEvent, parse_pagerduty
from integrations.inbound.pagerduty import INVALID_EVENT_MESSAGE, REDACTED
from tests.unit.inbound import load_fixture

KEY = "e93facc04764012d7bfb002500d5d1a6"


def test_trigger_keeps_every_field_where_the_app_reads_it() -> None:
    body = load_fixture("pagerduty_trigger.json")
    routing_key, event = parse_pagerduty(body)
    assert routing_key == KEY
    assert event.action == "trigger"
    assert event.summary == "DISK at 99% on machine prod-datapipe03.example.com"
    assert event.severity == "critical"
    assert event.source == "prod-datapipe03.example.com"
    assert event.dedup_key == "srv01/mysql"
    assert event.occurred_at == "2015-07-17T08:42:58.315+0000"
    assert event.integration == "pagerduty"
    assert event.labels == {}
    assert event.details == {
        "component": "mysql",
        "group": "prod-datapipe",
        "class": "disk",
        "custom_details": {"free space": "1%", "ping time": "1500ms", "load avg": 0.75},
        "images": body["images"],
        "client": "Sample Monitoring Service",
        "client_url": "https://monitoring.service.com",
    }
    assert event.links == (
        {"href": "http://pagerduty.example.com", "text": "An example link."},
        {"href": "https://monitoring.service.com", "text": "View in Sample Monitoring Service"},
    )


def test_stored_copy_of_the_event_never_holds_the_routing_key() -> None:
    body = load_fixture("pagerduty_trigger.json")
    _, event = parse_pagerduty(body)
    assert event.raw["routing_key"] == REDACTED
    assert {k: v for k, v in event.raw.items() if k != "routing_key"} == {
        k: v for k, v in body.items() if k != "routing_key"
    }
    assert body["routing_key"] == KEY  # the caller's dict is left alone


def test_trigger_without_dedup_key_leaves_it_for_the_app_to_generate() -> None:
    _, event = parse_pagerduty(load_fixture("pagerduty_trigger_no_dedup_key.json"))
    assert event.dedup_key is None
    assert event.severity == "info"
    assert event.occurred_at is None


def test_blank_dedup_key_on_trigger_counts_as_none() -> None:
    body = load_fixture("pagerduty_trigger_no_dedup_key.json")
    body["dedup_key"] = ""
    assert parse_pagerduty(body)[1].dedup_key is None


@pytest.mark.parametrize("name, action", [
    ("pagerduty_acknowledge.json", "acknowledge"),
    ("pagerduty_resolve.json", "resolve"),
])
def test_acknowledge_and_resolve_need_only_key_action_and_dedup_key(name: str, action: str) -> None:
    routing_key, event = parse_pagerduty(load_fixture(name))
    assert (routing_key, event.action, event.dedup_key) == (KEY, action, "srv01/mysql")
    assert (event.summary, event.severity, event.source) == ("", None, None)


def test_acknowledge_ignores_its_payload_as_pagerduty_does() -> None:
    body = load_fixture("pagerduty_acknowledge.json")
    body["payload"] = {"summary": 42, "severity": "catastrophic"}
    assert parse_pagerduty(body)[1].action == "acknowledge"


def test_event_as_alertmanager_sends_it_is_accepted() -> None:
    _, event = parse_pagerduty(load_fixture("pagerduty_from_alertmanager.json"))
    assert event.summary.startswith("[FIRING:1] HighRequestLatency")
    assert event.dedup_key is not None and len(event.dedup_key) == 64
    assert event.details["custom_details"]["num_firing"] == "1"  # type: ignore[index]
    assert event.links == (
        {"href": "http://alertmanager:9093/#/alerts?receiver=pagerduty",
         "text": "View in Alertmanager"},
    )


def test_timestamp_in_basic_offset_and_z_forms_is_accepted() -> None:
    for stamp in ("2015-07-17T08:42:58.315+0000", "2026-03-02T14:05:37Z"):
        body = load_fixture("pagerduty_trigger.json")
        body["payload"]["timestamp"] = stamp
        assert parse_pagerduty(body)[1].occurred_at == stamp


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A change to a valid trigger body: set (or, with value DELETE, remove) a dotted path."""
    def change(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for part in parents:
            body = body[part]
        if value is DELETE:
            body.pop(last, None)
        else:
            body[last] = value
    return change


DELETE = object()
TOO_LONG_SUMMARY = "x" * 1025

INVALID = [
    ("routing_key", DELETE, "'routing_key' is missing or blank"),
    ("routing_key", "", "'routing_key' is missing or blank"),
    ("routing_key", 12345, "'routing_key' must be a string"),
    ("routing_key", "abc123", "Length of 'routing_key' is incorrect (should be 32 characters)"),
    ("event_action", DELETE, "'event_action' is missing or blank"),
    ("event_action", "create",
     "'event_action' is invalid (must be one of the following: "
     "'trigger', 'acknowledge' or 'resolve')"),
    ("event_action", "TRIGGER",
     "'event_action' is invalid (must be one of the following: "
     "'trigger', 'acknowledge' or 'resolve')"),
    ("dedup_key", "k" * 256, "'dedup_key' is too long (maximum is 255 characters)"),
    ("dedup_key", 17, "'dedup_key' must be a string"),
    ("payload", DELETE, "'payload' is missing (required to trigger)"),
    ("payload", "DISK at 99%", "'payload' must be an object"),
    ("payload.summary", DELETE, "'payload.summary' is missing or blank"),
    ("payload.summary", "   ", "'payload.summary' is missing or blank"),
    ("payload.summary", ["DISK"], "'payload.summary' must be a string"),
    ("payload.summary", TOO_LONG_SUMMARY,
     "'payload.summary' is too long (maximum is 1024 characters)"),
    ("payload.source", DELETE, "'payload.source' is missing or blank"),
    ("payload.source", 1, "'payload.source' must be a string"),
    ("payload.severity", DELETE, "'payload.severity' is missing or blank"),
    ("payload.severity", "Critical",
     "'payload.severity' is invalid (must be one of the following: "
     "'critical', 'error', 'warning' or 'info')"),
    ("payload.severity", "high",
     "'payload.severity' is invalid (must be one of the following: "
     "'critical', 'error', 'warning' or 'info')"),
    ("payload.timestamp", "yesterday at noon",
     "'payload.timestamp' is invalid (must be an ISO 8601 date and time)"),
    ("payload.timestamp", 1437122578,
     "'payload.timestamp' is invalid (must be an ISO 8601 date and time)"),
    ("payload.component", {"name": "mysql"}, "'payload.component' must be a string"),
    ("payload.class", 3, "'payload.class' must be a string"),
    ("links", {"href": "https://x"}, "'links' must be an array"),
    ("links", ["https://x"], "'links[0]' must be an object"),
    ("links", [{"text": "no href"}], "'links[0].href' is missing or blank"),
    ("links", [{"href": "https://x", "text": 5}], "'links[0].text' must be a string"),
    ("images", [{"href": "https://x"}], "'images[0].src' is missing or blank"),
    ("images", [{"src": "https://x", "alt": False}], "'images[0].alt' must be a string"),
    ("images", "https://x/chart.png", "'images' must be an array"),
    ("client", 7, "'client' must be a string"),
    ("client_url", ["https://x"], "'client_url' must be a string"),
]


@pytest.mark.parametrize("path, value, error", INVALID)
def test_invalid_trigger_is_refused_naming_the_field(path: str, value: Any, error: str) -> None:
    body = load_fixture("pagerduty_trigger.json")
    _set(path, value)(body)
    with pytest.raises(InvalidEvent) as caught:
        parse_pagerduty(body)
    assert caught.value.errors == [error]
    assert str(caught.value) == f"{INVALID_EVENT_MESSAGE}: {error}"


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
@pytest.mark.parametrize("dedup_key", [DELETE, "", None])
def test_acknowledge_and_resolve_without_dedup_key_are_refused(action: str, dedup_key: Any) -> None:
    body = load_fixture(f"pagerduty_{action}.json")
    _set("dedup_key", dedup_key)(body)
    with pytest.raises(InvalidEvent) as caught:
        parse_pagerduty(body)
    assert caught.value.errors == [f"'dedup_key' is missing or blank (required to {action})"]


def test_every_problem_is_reported_at_once() -> None:
    body = {"routing_key": "short", "event_action": "trigger", "payload": {"summary": "disk"}}
    with pytest.raises(InvalidEvent) as caught:
        parse_pagerduty(body)
    assert caught.value.errors == [
        "Length of 'routing_key' is incorrect (should be 32 characters)",
        "'payload.source' is missing or blank",
        "'payload.severity' is missing or blank",
    ]


@pytest.mark.parametrize("body", [[], "event", None, 3])
def test_body_that_is_not_an_object_is_unrecognized(body: Any) -> None:
    with pytest.raises(InvalidEvent, match="^Event object format is unrecognized"):
        parse_pagerduty(body)
