"""load_config: the whole file checked at once, every problem named by its YAML path."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.configuration import DEFAULT_NOTIFY_RULES, ConfigError, load_config
from app.configuration.document import notify_rules

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "klaxon.yaml"

BASE: dict[str, Any] = {
    "users": [
        {"id": "alice", "name": "Alice", "phone": "+15005550006", "time_zone": "America/New_York"},
        {"id": "bob", "name": "Bob", "phone": "+15005550007"},
        {"id": "carol", "name": "Carol"},
    ],
    "schedules": [
        {"id": "primary", "time_zone": "America/New_York",
         "layers": [{"name": "weekly", "rotation": {"type": "weekly", "handoff": "monday 09:00"},
                     "start": "2026-01-05T09:00", "users": ["alice", "bob"]}]},
        {"id": "secondary", "time_zone": "Europe/London",
         "layers": [{"name": "daily", "rotation": {"type": "daily", "handoff": "09:00"},
                     "start": "2026-01-05T09:00", "users": ["alice", "bob", "carol"]}]},
    ],
    "escalation_policies": [
        {"id": "checkout", "repeat": 1,
         "levels": [{"targets": ["schedule:primary"], "escalate_after": "5m"},
                    {"targets": ["schedule:secondary", "user:carol"], "escalate_after": "10m"},
                    {"targets": ["user:bob"]}],
         "open_triggers": [{"severities": ["SEV1"], "after": "15m", "targets": ["user:carol", "slack:#major"]}]},
    ],
    "accounts": [
        {"id": "acme", "name": "ACME Retail", "account_director": "carol", "stakeholders": ["bob"]},
        {"id": "globex", "account_director": "alice"},
    ],
    "services": [
        {"id": "checkout", "name": "Checkout", "escalation_policy": "checkout", "account": "acme",
         "integration_keys": [{"name": "prometheus", "key": "0123456789abcdef0123456789abcdef"}]},
        {"id": "payments", "escalation_policy": "checkout",
         "integration_keys": [{"name": "grafana", "key": "fedcba9876543210fedcba9876543210"}]},
    ],
}


def errors_of(text: str) -> list[str]:
    """The errors load_config reports for `text` (failing the test when it accepts it)."""
    with pytest.raises(ConfigError) as caught:
        load_config(text)
    return caught.value.errors


def mutated(change: Callable[[dict[str, Any]], None]) -> str:
    """The base config, changed by `change`, as YAML text."""
    data = copy.deepcopy(BASE)
    change(data)
    return yaml.safe_dump(data, sort_keys=False)


def test_base_config_is_valid() -> None:
    config = load_config(mutated(lambda d: None))
    assert [u.id for u in config.users] == ["alice", "bob", "carol"]
    assert config.escalation_policies[0].levels[0].escalate_after == 300


def test_example_file_loads() -> None:
    config = load_config(EXAMPLE.read_text())
    assert {s.id for s in config.services} == {"checkout", "payments"}
    assert config.schedules[0].overrides[0].user_id == "dave"


def test_user_without_notify_gets_contract_default_rules() -> None:
    config = load_config(mutated(lambda d: None))
    assert notify_rules(config.users[0]) == list(DEFAULT_NOTIFY_RULES)
    assert DEFAULT_NOTIFY_RULES[2] == {"channel": "voice", "after_seconds": 120, "severities": ["SEV1"]}


def test_contract_spelling_of_slack_target_is_normalised() -> None:
    # As CONTRACT section 3 writes it: the quotes stay part of the scalar in a YAML flow list.
    text = mutated(lambda d: None).replace("- slack:#major", '- slack:"#major-incidents"')
    config = load_config(text)
    assert config.escalation_policies[0].open_triggers[0].targets == ["user:carol", "slack:#major-incidents"]


UNQUOTED = """
users:
  - {id: alice, name: Alice, phone: +15005550006}
schedules:
  - id: primary
    time_zone: America/New_York
    layers:
      - name: weekdays
        rotation: {type: daily, handoff: 09:00}
        start: 2026-01-05T09:00:00
        users: [alice]
        restrict:
          - {days: [mon, tue], from: 09:00, to: 17:00}
"""


def test_unquoted_clock_times_and_phones_keep_their_text() -> None:
    # YAML 1.1 would read 17:00 as 1020, the start as a naive datetime and the phone as an integer.
    config = load_config(UNQUOTED)
    assert config.users[0].phone == "+15005550006"
    layer = config.schedules[0].definition["layers"][0]
    assert layer["restrict"] == [{"days": ["mon", "tue"], "from": "09:00", "to": "17:00"}]
    assert layer["start"] == "2026-01-05T09:00:00" and layer["rotation"]["handoff"] == "09:00"


def test_phone_is_normalised_to_e164() -> None:
    config = load_config(mutated(lambda d: d["users"][0].update(phone="+1 (500) 555-0006")))
    assert config.users[0].phone == "+15005550006"


def test_override_times_are_local_to_the_schedule_and_stored_utc() -> None:
    override = {"user": "carol", "start": "2026-12-24T18:00", "end": "2026-12-26T09:00"}
    config = load_config(mutated(lambda d: d["schedules"][0].update(overrides=[override])))
    entry = config.schedules[0]
    assert entry.overrides[0].start_at == datetime(2026, 12, 24, 23, 0, tzinfo=timezone.utc)
    assert "overrides" not in entry.definition


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A mutation setting a dotted/indexed path, e.g. `users[0].phone`."""
    def change(data: dict[str, Any]) -> None:
        parts = path.replace("[", ".").replace("]", "").split(".")
        target: Any = data
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        last = parts[-1]
        target[int(last) if last.isdigit() else last] = value
    return change


ERROR_CASES = [
    ("services[0].account", "acmee", "services[0].account: unknown account 'acmee'"),
    ("accounts[0].account_director", "zed", "accounts[0].account_director: 'zed' is not a user; the director must be one"),
    ("accounts[0].stakeholders[0]", "zed", "accounts[0].stakeholders[0]: unknown user 'zed'"),
    ("accounts[1].id", "acme", "accounts[1].id: duplicate id 'acme' (also accounts[0])"),
    ("escalation_policies[0].levels[0].targets[0]", "account:ceo",
     "escalation_policies[0].levels[0].targets[0]: unknown target 'account:ceo'"),
    ("escalation_policies[0].levels[0].name", "", "escalation_policies[0].levels[0].name: "),
    ("users[2].status_channel", "sms", "users[2].status_channel: sms needs the user's phone, and user 'carol' has none"),
    ("users[0].status_channel", "voice", "users[0].status_channel: must be 'slack', 'sms' or 'email', not 'voice'"),
    ("users[0].notify", [{"channel": "email"}],
     "users[0].notify[0].channel: email needs the user's email, and user 'alice' has none"),
    ("schedules[1].layers[0].users[2]", "bbo", "schedules[1].layers[0].users[2]: unknown user 'bbo'"),
    ("users[0].phone", "+1555", "users[0].phone: not an E.164 number '+1555'"),
    ("escalation_policies[0].levels[1].escalate_after", "5x",
     "escalation_policies[0].levels[1].escalate_after: bad duration '5x'"),
    ("services[0].escalation_policy", "chekout", "services[0].escalation_policy: unknown escalation policy 'chekout'"),
    ("users[1].id", "alice", "users[1].id: duplicate id 'alice' (also users[0])"),
    ("schedules[1].id", "primary", "schedules[1].id: duplicate id 'primary' (also schedules[0])"),
    ("services[1].id", "checkout", "services[1].id: duplicate id 'checkout' (also services[0])"),
    ("escalation_policies[0].levels[0].targets[0]", "team:x",
     "escalation_policies[0].levels[0].targets[0]: unknown target 'team:x'"),
    ("escalation_policies[0].levels[0].targets[0]", "schedule:nope",
     "escalation_policies[0].levels[0].targets[0]: unknown schedule 'nope'"),
    ("escalation_policies[0].open_triggers[0].targets[0]", "user:zed",
     "escalation_policies[0].open_triggers[0].targets[0]: unknown user 'zed'"),
    ("escalation_policies[0].open_triggers[0].targets[1]", "slack:major",
     "escalation_policies[0].open_triggers[0].targets[1]: not a Slack channel target 'slack:major'"),
    ("users[0].time_zone", "Mars/Olympus", "users[0].time_zone: unknown time zone 'Mars/Olympus'"),
    ("schedules[0].time_zone", "Mars/Olympus", "schedules[0].time_zone: unknown time zone 'Mars/Olympus'"),
    ("escalation_policies[0].open_triggers[0].severities[0]", "P1",
     "escalation_policies[0].open_triggers[0].severities[0]: must be 'SEV1', 'SEV2', 'SEV3' or 'SEV4', not 'P1'"),
    ("escalation_policies[0].escalate_severities", ["SEV5"],
     "escalation_policies[0].escalate_severities[0]: must be 'SEV1', 'SEV2', 'SEV3' or 'SEV4', not 'SEV5'"),
    ("users[0].notify", [{"channel": "pager"}],
     "users[0].notify[0].channel: must be 'slack', 'sms', 'voice' or 'email', not 'pager'"),
    ("users[0].notify", [], "users[0].notify: must not be empty"),
    ("users[2].notify", [{"channel": "voice", "after": "1m"}],
     "users[2].notify[0].channel: voice needs the user's phone, and user 'carol' has none"),
    ("services[0].integration_keys[0].key", "0123456789abcdef0123456789abcde",
     "services[0].integration_keys[0].key: must be exactly 32 letters or digits (this one has 31 characters)"),
    ("services[0].integration_keys[0].key", "0123456789abcdef-0123456789abcde",
     "services[0].integration_keys[0].key: must be exactly 32 letters or digits (this one has other characters)"),
    ("services[1].integration_keys[0].key", "0123456789abcdef0123456789abcdef",
     "services[1].integration_keys[0].key: the same key as services[0].integration_keys[0]"),
    ("services[0].integration_keys", [{"name": "p"}, {"name": "p"}],
     "services[0].integration_keys[1].name: duplicate key name 'p' (also services[0].integration_keys[0])"),
    ("services[0].integration_keys[0].rate_limit", "10/x",
     "services[0].integration_keys[0].rate_limit: bad rate limit '10/x'"),
    ("services[0].integration_keys[0].rate_limit", "0/m",
     "services[0].integration_keys[0].rate_limit: bad rate limit '0/m'"),
    ("escalation_policies[0].id", "checkout x", "escalation_policies[0].id: not a valid id 'checkout x'"),
    ("services[0].slack_channel", "checkout", "services[0].slack_channel: not a Slack channel 'checkout'"),
    ("escalation_policies[0].repeat", -1, "escalation_policies[0].repeat: input should be greater than or equal to 0"),
    ("escalation_policies[0].levels[0].targets", [], "escalation_policies[0].levels[0].targets: must not be empty"),
    ("escalation_policies[0].levels", [], "escalation_policies[0].levels: must not be empty"),
    ("users[0].emial", "a@example.com", "users[0].emial: unknown field (did you mean 'email'?)"),
    ("users[0].email", "not-an-address", "users[0].email: not an email address 'not-an-address'"),
    ("users[0].id", "Alice Ng", "users[0].id: not a valid id 'Alice Ng'"),
    ("schedules[0].id", "has space", "schedules[0].id: not a valid id 'has space'"),
    ("schedules[0].overrides", [{"user": "zed", "start": "2026-12-24T18:00", "end": "2026-12-26T09:00"}],
     "schedules[0].overrides[0].user: unknown user 'zed'"),
    ("schedules[0].layers[0].rotation.handoff", "someday", "schedules[0].layers[0].rotation.handoff: "),
    ("schedules[0].layerz", [], "schedules[0].layerz: "),
    ("classification", {"rules": [{"name": "x", "when": {}, "set": "SEV9"}]}, "classification.rules[0]"),
    ("users[0]", "alice", "users[0]: must be a mapping, not 'alice'"),
    ("users", {"alice": {}}, "users: must be a list of entries, not a dict"),
    ("servces", [], "servces: unknown section (did you mean 'services'?)"),
]


@pytest.mark.parametrize(
    ("path", "value", "expected"), ERROR_CASES, ids=[f"{c[2].split(':')[0]}={c[1]!r:.20}" for c in ERROR_CASES]
)
def test_error_names_its_yaml_path(path: str, value: Any, expected: str) -> None:
    errors = errors_of(mutated(_set(path, value)))
    assert any(error.startswith(expected) for error in errors), errors


def test_missing_required_field_is_named() -> None:
    errors = errors_of(mutated(lambda d: d["services"][0].pop("escalation_policy")))
    assert errors == ["services[0].escalation_policy: required"]


def test_duplicate_policy_ids_are_errors() -> None:
    errors = errors_of(mutated(lambda d: d["escalation_policies"].append(copy.deepcopy(d["escalation_policies"][0]))))
    assert errors == ["escalation_policies[1].id: duplicate id 'checkout' (also escalation_policies[0])"]


def test_every_error_is_reported_not_just_the_first() -> None:
    def break_several(data: dict[str, Any]) -> None:
        data["users"][0]["phone"] = "+1555"
        data["schedules"][1]["layers"][0]["users"][2] = "bbo"
        data["escalation_policies"][0]["levels"][1]["escalate_after"] = "5x"
        data["services"][0]["escalation_policy"] = "chekout"

    errors = errors_of(mutated(break_several))
    assert len(errors) == 4
    assert "users[0].phone: not an E.164 number '+1555'" in errors
    assert "schedules[1].layers[0].users[2]: unknown user 'bbo'" in errors
    assert "services[0].escalation_policy: unknown escalation policy 'chekout'" in errors


def test_one_bad_entry_does_not_make_references_to_it_unknown() -> None:
    # bob's entry is invalid, but he is still declared: no cascade of "unknown user 'bob'".
    errors = errors_of(mutated(_set("users[1].phone", "+1555")))
    assert errors == ["users[1].phone: not an E.164 number '+1555'"]


def test_a_malformed_section_does_not_make_every_reference_to_it_unknown() -> None:
    errors = errors_of(mutated(_set("users", {"alice": {}})))
    assert errors == ["users: must be a list of entries, not a dict"]


def test_yaml_syntax_error_names_line_and_column() -> None:
    errors = errors_of("users:\n  - {id: alice, name: [Alice}\n")
    assert len(errors) == 1 and errors[0].startswith("line 2, column ")


def test_duplicate_yaml_keys_are_errors() -> None:
    errors = errors_of("users:\n  - id: alice\n    name: A\n    name: B\n")
    assert errors == ["line 4, column 5: duplicate key 'name'"]


@pytest.mark.parametrize("text", ["- users\n", "just text\n", "42\n"])
def test_top_level_must_be_a_mapping(text: str) -> None:
    [error] = errors_of(text)
    assert error.startswith("the top level must be a mapping of sections")


def test_empty_file_is_refused_rather_than_deleting_everything() -> None:
    [error] = errors_of("# nothing here\n")
    assert error.startswith("the file is empty")


def test_explicit_empty_sections_are_allowed() -> None:
    config = load_config("users: []\nservices: []\n")
    assert config.users == () and config.services == ()
