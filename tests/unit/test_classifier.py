"""Classification: first matching rule wins, else the default map; every answer says why."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.ingest.classification_spec import policy_from_dict, policy_to_dict
from app.ingest.classifier import (
    DEFAULT_POLICY,
    MAX_MATCH_CHARS,
    Classification,
    ClassificationPolicy,
    ClassificationSpecError,
    Condition,
    Rule,
    classify,
    classify_event,
)
from integrations.inbound import parse_alertmanager, parse_pagerduty
from tests.unit.inbound import load_fixture

# CONTRACT section 3's example, plus a source rule.
SPEC: dict[str, Any] = {
    "rules": [
        {"name": "prod-critical", "when": {"severity": ["critical"], "labels": {"env": "prod"}},
         "set": "SEV1"},
        {"name": "outage-words", "when": {"summary": "(?i)outage|unavailable|data loss"},
         "set": "SEV2"},
        {"name": "db-hosts", "when": {"source": "^db-"}, "set": "SEV2"},
    ],
    "default": {"critical": "SEV1", "error": "SEV2", "warning": "SEV3", "info": "SEV4"},
}
POLICY = policy_from_dict(SPEC)


def alert(severity: str | None = None, summary: str = "CPU high", source: str | None = "web-1",
          **labels: str) -> dict[str, Any]:
    return {"severity": severity, "summary": summary, "source": source, "labels": labels}


CASES = [
    # (why this case exists, alert, severity, rule, reason)
    ("severity and label both hold", alert("critical", env="prod"),
     "SEV1", "prod-critical", "prod-critical: severity=critical and labels.env=prod"),
    ("severity matches whatever its case", alert("CRITICAL", env="prod"),
     "SEV1", "prod-critical", "prod-critical: severity=CRITICAL and labels.env=prod"),
    ("a label value matches exactly, case included", alert("critical", env="Prod"),
     "SEV1", None, "default: source severity critical -> SEV1"),
    ("a missing label does not hold", alert("critical"),
     "SEV1", None, "default: source severity critical -> SEV1"),
    ("one of two conditions is not enough", alert("warning", env="prod"),
     "SEV3", None, "default: source severity warning -> SEV3"),
    ("summary regex is searched anywhere", alert("info", summary="EU checkout unavailable now"),
     "SEV2", "outage-words", 'outage-words: summary matches '
     '/(?i)outage|unavailable|data loss/ ("unavailable")'),
    ("inline flags make the summary case-insensitive", alert(None, summary="Major OUTAGE"),
     "SEV2", "outage-words", 'outage-words: summary matches '
     '/(?i)outage|unavailable|data loss/ ("OUTAGE")'),
    ("source regex anchored with ^", alert("info", source="db-7.example.com"),
     "SEV2", "db-hosts", 'db-hosts: source matches /^db-/ ("db-")'),
    ("anchored source does not match in the middle", alert("info", source="prod-db-7"),
     "SEV4", None, "default: source severity info -> SEV4"),
    ("no source never matches a source rule", alert("info", source=None),
     "SEV4", None, "default: source severity info -> SEV4"),
    ("first matching rule wins", alert("critical", summary="data loss", source="db-1", env="prod"),
     "SEV1", "prod-critical", "prod-critical: severity=critical and labels.env=prod"),
    ("default maps error", alert("error"), "SEV2", None, "default: source severity error -> SEV2"),
    ("default maps info", alert("info"), "SEV4", None, "default: source severity info -> SEV4"),
    ("default map is case-insensitive", alert("Warning"),
     "SEV3", None, "default: source severity Warning -> SEV3"),
    ("unknown source severity falls back", alert("high"),
     "SEV3", None, 'default: source severity "high" is not in the default map -> SEV3 (fallback)'),
    ("no source severity falls back", alert(None),
     "SEV3", None, "default: no source severity -> SEV3 (fallback)"),
    ("blank source severity falls back", alert("  "),
     "SEV3", None, "default: no source severity -> SEV3 (fallback)"),
    ("a Klaxon severity from the source is kept", alert("sev1"),
     "SEV1", None, "default: source severity sev1 is a Klaxon severity -> SEV1"),
]


@pytest.mark.parametrize("why, facts, severity, rule, reason", CASES, ids=[c[0] for c in CASES])
def test_classify(why: str, facts: dict[str, Any], severity: str, rule: str | None,
                  reason: str) -> None:
    assert classify(POLICY, **facts) == Classification(severity, rule, reason)


def test_rule_order_decides_between_two_matching_rules() -> None:
    swapped = policy_from_dict({"rules": [SPEC["rules"][1], SPEC["rules"][0]]})
    facts = alert("critical", summary="total outage", env="prod")
    assert classify(POLICY, **facts).rule == "prod-critical"
    assert classify(swapped, **facts).rule == "outage-words"


def test_severity_list_matches_any_of_its_words() -> None:
    policy = policy_from_dict({"rules": [
        {"name": "loud", "when": {"severity": ["critical", "error"]}, "set": "SEV1"}]})
    assert classify(policy, **alert("error")).reason == "loud: severity=error"
    assert classify(policy, **alert("warning")).rule is None


def test_all_label_conditions_must_hold() -> None:
    policy = policy_from_dict({"rules": [
        {"name": "eu-prod", "when": {"labels": {"env": "prod", "region": "eu"}}, "set": "SEV2"}]})
    assert classify(policy, **alert(env="prod", region="eu")).reason == (
        "eu-prod: labels.env=prod and labels.region=eu")
    assert classify(policy, **alert(env="prod", region="us")).rule is None


def test_rule_with_no_conditions_matches_every_alert() -> None:
    policy = policy_from_dict({"rules": [{"name": "all-urgent", "when": {}, "set": "SEV2"}]})
    assert classify(policy, **alert("info")) == Classification(
        "SEV2", "all-urgent", "all-urgent: no conditions (matches every alert)")


def test_regex_searches_only_the_first_4k_of_the_text() -> None:
    early = "outage" + "x" * (MAX_MATCH_CHARS - 6)
    late = "x" * MAX_MATCH_CHARS + "outage"
    assert classify(POLICY, **alert(summary=early)).rule == "outage-words"
    assert classify(POLICY, **alert(summary=late)).rule is None


def test_star_in_default_sets_the_fallback() -> None:
    policy = policy_from_dict({"default": {"*": "SEV2"}})
    assert classify(policy, **alert("page")).severity == "SEV2"
    assert classify(policy, **alert(None)).reason == "default: no source severity -> SEV2 (fallback)"


def test_partial_default_overrides_only_what_it_names() -> None:
    policy = policy_from_dict({"default": {"Warning": "SEV2"}})
    assert classify(policy, **alert("warning")).severity == "SEV2"
    assert classify(policy, **alert("critical")).severity == "SEV1"


def test_classify_event_reads_the_parsed_event() -> None:
    event = parse_alertmanager(load_fixture("alertmanager_firing.json"))
    assert classify_event(POLICY, event).reason == (
        "prod-critical: severity=critical and labels.env=prod")
    _, pd_event = parse_pagerduty(load_fixture("pagerduty_trigger_no_dedup_key.json"))
    assert classify_event(POLICY, pd_event).severity == "SEV4"


def test_no_config_means_the_default_policy() -> None:
    assert policy_from_dict(None) is DEFAULT_POLICY
    assert policy_from_dict({}) == DEFAULT_POLICY
    assert DEFAULT_POLICY.default == {
        "critical": "SEV1", "error": "SEV2", "warning": "SEV3", "info": "SEV4"}
    assert DEFAULT_POLICY.fallback == "SEV3"


def test_policy_to_dict_writes_the_config_back() -> None:
    assert policy_to_dict(POLICY) == SPEC
    assert policy_from_dict(policy_to_dict(POLICY)) == POLICY


def test_round_trip_keeps_a_custom_fallback() -> None:
    policy = policy_from_dict({"default": {"*": "SEV1"}})
    assert policy_to_dict(policy)["default"]["*"] == "SEV1"
    assert policy_from_dict(policy_to_dict(policy)) == policy


def test_convenient_spellings_are_accepted() -> None:
    policy = policy_from_dict({"rules": [{"name": "r", "when": {"severity": "critical"},
                                          "set": "sev1"}]})
    assert policy.rules[0].when.severity == ("critical",)
    assert policy.rules[0].set == "SEV1"


def test_policies_are_frozen_and_hashable() -> None:
    assert hash(POLICY) == hash(policy_from_dict(SPEC))
    with pytest.raises(AttributeError):
        POLICY.rules[0].set = "SEV4"  # type: ignore[misc]


def test_hand_built_policy_classifies_like_a_read_one() -> None:
    rule = Rule("prod-critical", Condition(severity=("critical",), labels={"env": "prod"}), "SEV1")
    rebuilt = ClassificationPolicy(rules=(rule,), default={})
    assert classify(rebuilt, **alert("critical", env="prod")).rule == "prod-critical"
    assert rebuilt.default == DEFAULT_POLICY.default


def test_hand_built_rule_with_unknown_severity_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown severity 'SEV9'"):
        Rule("r", Condition(summary=re.compile("x")), "SEV9")


SPEC_ERRORS = [
    (["rules"], "must be a mapping with rules and default"),
    ({"rule": []}, "rule: unknown key (allowed: rules, default)"),
    ({"rules": {"name": "r"}}, "rules: must be a list of rules"),
    ({"rules": ["r"]}, "rules[0]: must be a mapping with name, when and set"),
    ({"rules": [{"when": {}, "set": "SEV1"}]},
     "rules[0].name: missing or blank: every rule needs a name"),
    ({"rules": [{"name": "r", "when": {}, "set": "SEV1", "stop": True}]},
     "rules[0].stop: unknown key (allowed: name, when, set)"),
    ({"rules": [{"name": "r", "set": "SEV1"}]},
     "rules[0].when: missing (write `when: {}` to match all)"),
    ({"rules": [{"name": "r", "when": ["critical"], "set": "SEV1"}]},
     "rules[0].when: must be a mapping of severity, labels, summary, source"),
    ({"rules": [{"name": "r", "when": {"severty": ["critical"]}, "set": "SEV1"}]},
     "rules[0].when.severty: unknown key (allowed: severity, labels, summary, source)"),
    ({"rules": [{"name": "a", "when": {}, "set": "SEV1"}, {"name": "a", "when": {}, "set": "SEV2"}]},
     "rules[1].name: duplicate rule name 'a' (also rules[0])"),
    ({"rules": [{"name": "r", "when": {}, "set": "SEV9"}]},
     "rules[0].set: unknown severity 'SEV9' (expected SEV1, SEV2, SEV3 or SEV4)"),
    ({"rules": [{"name": "r", "when": {}}]},
     "rules[0].set: missing: expected one of SEV1, SEV2, SEV3, SEV4"),
    ({"rules": [{"name": "r", "when": {"severity": [1]}, "set": "SEV1"}]},
     "rules[0].when.severity: must be a list of source severities: [critical]"),
    ({"rules": [{"name": "r", "when": {"labels": ["env=prod"]}, "set": "SEV1"}]},
     "rules[0].when.labels: must be a mapping of label name to value"),
    ({"rules": [{"name": "r", "when": {"labels": {"version": 2}}, "set": "SEV1"}]},
     'rules[0].when.labels.version: must be a string (quote it: "2")'),
    ({"rules": [{"name": "r", "when": {"labels": {"canary": True}}, "set": "SEV1"}]},
     'rules[0].when.labels.canary: must be a string (quote it: "true")'),
    ({"rules": [SPEC["rules"][0], {"name": "r", "when": {"summary": "(outage"}, "set": "SEV2"}]},
     "rules[1].when.summary: bad regular expression '(outage': missing ), unterminated "
     "subpattern at position 0"),
    ({"rules": [{"name": "r", "when": {"source": "db-[0-"}, "set": "SEV2"}]},
     "rules[0].when.source: bad regular expression 'db-[0-': unterminated character set "
     "at position 3"),
    ({"rules": [{"name": "r", "when": {"summary": ""}, "set": "SEV2"}]},
     "rules[0].when.summary: must be a non-empty regular expression"),
    ({"rules": [{"name": "r", "when": {"summary": r"(\w+\s?)+$"}, "set": "SEV2"}]},
     r"rules[0].when.summary: regular expression '(\\w+\\s?)+$' repeats a repeated group, "
     "such as (a+)+, which can take exponential time on one unlucky alert; repeat a character "
     r"class instead ([\w ]+)"),
    ({"default": ["critical"]}, "default: must be a mapping of source severity to SEVn"),
    ({"default": {"warning": "SEV5"}},
     "default.warning: unknown severity 'SEV5' (expected SEV1, SEV2, SEV3 or SEV4)"),
    ({"default": {"*": "page"}},
     "default.*: unknown severity 'page' (expected SEV1, SEV2, SEV3 or SEV4)"),
]


@pytest.mark.parametrize("data, message", SPEC_ERRORS)
def test_spec_errors_name_the_path(data: Any, message: str) -> None:
    with pytest.raises(ClassificationSpecError) as caught:
        policy_from_dict(data)
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)


def test_spec_error_carries_path_and_message_apart() -> None:
    with pytest.raises(ClassificationSpecError) as caught:
        policy_from_dict({"rules": [{"name": "r", "when": {}, "set": "SEV9"}]})
    assert caught.value.path == "rules[0].set"
    assert caught.value.message.startswith("unknown severity 'SEV9'")


@pytest.mark.parametrize("pattern", [
    "(?i)outage|unavailable|data loss", r"^db-\d+", r"\d+\.\d+", "[a-z]+(-[a-z]+)?",
    "(?:foo|bar)+", r"(ab){2,5}", ".*timeout.*", "[(+)]+",
])
def test_ordinary_patterns_are_accepted(pattern: str) -> None:
    policy_from_dict({"rules": [{"name": "r", "when": {"summary": pattern}, "set": "SEV2"}]})


@pytest.mark.parametrize("pattern", [
    "(a+)+", "(a*)*b", r"(?:x*y?)+", "((ab)*c)+", r"(\d+)*$", "(a+?)+",
])
def test_nested_unbounded_repeats_are_refused(pattern: str) -> None:
    with pytest.raises(ClassificationSpecError, match="repeats a repeated group"):
        policy_from_dict({"rules": [{"name": "r", "when": {"source": pattern}, "set": "SEV2"}]})
