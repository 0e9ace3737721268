"""The generic webhook: Klaxon's own small JSON event, strictly typed."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.inbound import InvalidEvent, parse_generic
from tests.unit.inbound import load_fixture


def test_full_event_keeps_every_field() -> None:
    body = load_fixture("generic_trigger.json")
    event = parse_generic(body)
    assert event.action == "trigger"
    assert event.summary == "Nightly backup of orders-db failed"
    assert (event.severity, event.source) == ("error", "backup-runner-2")
    assert event.dedup_key == "backup/orders-db/2026-03-02"
    assert event.labels == {"env": "prod", "team": "storage"}
    assert event.details == body["details"]
    assert event.links == ({"href": "https://ci.example.com/jobs/backup/8812", "text": "Job log"},)
    assert (event.integration, event.raw) == ("generic", body)


def test_summary_alone_is_a_trigger_with_nothing_else() -> None:
    event = parse_generic({"summary": "Checkout is down"})
    assert (event.action, event.severity, event.source, event.dedup_key) == (
        "trigger", None, None, None,
    )
    assert (event.labels, event.details, event.links) == ({}, {}, ())


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_acknowledge_and_resolve_need_only_the_dedup_key(action: str) -> None:
    event = parse_generic({"action": action, "dedup_key": "backup/orders-db"})
    assert (event.action, event.dedup_key, event.summary) == (action, "backup/orders-db", "")


def test_links_may_be_bare_urls() -> None:
    event = parse_generic({"summary": "s", "links": ["https://a.example", {"href": "https://b"}]})
    assert event.links == ({"href": "https://a.example"}, {"href": "https://b"})


def test_blank_optional_strings_count_as_absent() -> None:
    event = parse_generic({"summary": "s", "severity": " ", "source": "", "dedup_key": ""})
    assert (event.severity, event.source, event.dedup_key) == (None, None, None)


def test_null_optional_fields_count_as_absent() -> None:
    body = {"summary": "s", "labels": None, "details": None, "links": None, "action": None}
    event = parse_generic(body)
    assert (event.action, event.labels, event.details, event.links) == ("trigger", {}, {}, ())


INVALID: list[tuple[dict[str, Any], str]] = [
    ({"summary": "s", "lables": {"env": "prod"}},
     "lables: unknown field (allowed: summary, severity, source, dedup_key, action, labels, "
     "details, links)"),
    ({"summary": "s", "action": "close"},
     "action: must be one of trigger, acknowledge or resolve, got 'close'"),
    ({"severity": "critical"}, "summary: is missing or blank (required for trigger)"),
    ({"summary": "   "}, "summary: is missing or blank (required for trigger)"),
    ({"summary": 42}, "summary: must be a string, got number"),
    ({"summary": "x" * 1025}, "summary: is too long (1025 characters, maximum is 1024)"),
    ({"summary": "s", "severity": 1}, "severity: must be a string, got number"),
    ({"summary": "s", "source": ["db-1"]}, "source: must be a string, got array"),
    ({"action": "acknowledge"}, "dedup_key: is missing or blank (required for acknowledge)"),
    ({"action": "resolve", "dedup_key": " "}, "dedup_key: is missing or blank (required for resolve)"),
    ({"summary": "s", "dedup_key": "k" * 256}, "dedup_key: is too long (maximum is 255 characters)"),
    ({"summary": "s", "dedup_key": 7}, "dedup_key: must be a string, got number"),
    ({"summary": "s", "labels": ["env=prod"]}, "labels: must be an object of strings, got array"),
    ({"summary": "s", "labels": {"replicas": 3}}, "labels.replicas: must be a string, got number"),
    ({"summary": "s", "labels": {"canary": True}}, "labels.canary: must be a string, got boolean"),
    ({"summary": "s", "details": "exit 12"}, "details: must be an object, got string"),
    ({"summary": "s", "links": "https://x"}, "links: must be an array of links, got string"),
    ({"summary": "s", "links": [{"text": "log"}]}, "links[0].href: is missing or blank"),
    ({"summary": "s", "links": [{"href": "h", "text": 1}]}, "links[0].text: must be a string, got number"),
    ({"summary": "s", "links": [3]}, "links[0]: must be an object with href, got number"),
]


@pytest.mark.parametrize("body, error", INVALID)
def test_invalid_event_is_refused_naming_the_field(body: dict[str, Any], error: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_generic(body)
    assert caught.value.errors == [error]
    assert str(caught.value) == f"invalid generic event: {error}"


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_generic({"severity": 2, "labels": {"env": None}})
    assert caught.value.errors == [
        "severity: must be a string, got number",
        "summary: is missing or blank (required for trigger)",
        "labels.env: must be a string, got null",
    ]


@pytest.mark.parametrize("body, got", [([], "array"), ("down", "string"), (None, "null")])
def test_body_that_is_not_an_object_is_refused(body: Any, got: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_generic(body)
    assert caught.value.errors == [f"body: must be a JSON object, got {got}"]
