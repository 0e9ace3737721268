"""`klaxon apply` refusals: a bad file or a forbidden delete names the problem and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.configuration import ConfigError
from app.models import ApiToken, Incident, Notification, ScheduleOverride
from tests.integration.configuration.configs import EXAMPLE, NOW, apply_text, as_yaml, example, run_cli, snapshot

Sessions = Callable[[], Session]


def _break(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        target = data
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
    return change


BAD_FILES = [
    (_break(("schedules", 1, "layers", 0, "users", 2), "bbo"), "schedules[1].layers[0].users[2]: unknown user 'bbo'"),
    (_break(("users", 0, "phone"), "+1555"), "users[0].phone: not an E.164 number '+1555'"),
    (_break(("escalation_policies", 0, "levels", 1, "escalate_after"), "5x"),
     "escalation_policies[0].levels[1].escalate_after: bad duration '5x': use a number with s, m, h or d, such as 5m"),
    (_break(("services", 0, "escalation_policy"), "chekout"),
     "services[0].escalation_policy: unknown escalation policy 'chekout'"),
    (_break(("services", 1, "integration_keys", 0, "key"), "0123456789abcdef0123456789abcdef"),
     "services[1].integration_keys[0].key: the same key as services[0].integration_keys[0]; "
     "every key routes to one service"),
]


@pytest.mark.parametrize(("change", "expected"), BAD_FILES, ids=[case[1].split(":")[0] for case in BAD_FILES])
def test_bad_file_names_the_path_and_changes_nothing(
    sessions: Sessions, cfg_engine: Engine, tmp_path: Path, change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    apply_text(sessions, EXAMPLE.read_text())
    data = example()
    data["users"][1]["name"] = "Robert"  # a valid change that must not be applied either
    change(data)
    before = snapshot(cfg_engine)
    code, out, err = run_cli(sessions, tmp_path, as_yaml(data))
    assert (code, out, err) == (1, "", expected + "\n")
    assert snapshot(cfg_engine) == before


def test_yaml_syntax_error_changes_nothing(sessions: Sessions, cfg_engine: Engine, tmp_path: Path) -> None:
    before = snapshot(cfg_engine)
    code, out, err = run_cli(sessions, tmp_path, "users:\n  - {id: alice\n")
    assert code == 1 and out == "" and err.startswith("line 3, column 1: ")
    assert snapshot(cfg_engine) == before


def test_unreadable_file_is_an_error(sessions: Sessions, tmp_path: Path) -> None:
    import io

    from app.configuration import run_apply

    err = io.StringIO()
    assert run_apply(sessions, str(tmp_path / "missing.yaml"), False, io.StringIO(), err) == 1
    assert "missing.yaml: cannot read" in err.getvalue()


def _without_payments(data: dict[str, Any]) -> None:
    data["services"] = data["services"][:1]


def _without_gina(data: dict[str, Any]) -> None:
    data["users"] = [u for u in data["users"] if u["id"] != "gina"]
    data["escalation_policies"][0]["open_triggers"][0]["targets"] = ["slack:#major-incidents"]
    data["escalation_policies"][1]["levels"][1]["targets"] = ["schedule:checkout-secondary"]
    del data["accounts"][0]["account_director"]


def _without_payments_policy(data: dict[str, Any]) -> None:
    data["escalation_policies"] = data["escalation_policies"][:1]
    data["services"][1]["escalation_policy"] = "checkout"


def _without_secondary_schedule(data: dict[str, Any]) -> None:
    data["schedules"] = data["schedules"][:1]
    data["escalation_policies"][0]["levels"][1]["targets"] = ["user:erin"]
    data["escalation_policies"][1]["levels"][1]["targets"] = ["user:gina"]


def _incident(status: str = "triggered") -> Incident:
    return Incident(service_id="payments", title="down", severity="SEV1", status=status, dedup_key="k",
                    open_dedup_key=None if status == "resolved" else "k", created_at=NOW,
                    escalation_policy_id="payments")


def _api_override(user_id: str, schedule_id: str) -> ScheduleOverride:
    return ScheduleOverride(schedule_id=schedule_id, user_id=user_id, start_at=NOW, end_at=NOW.replace(day=23),
                            source="api", created_at=NOW)


GUARDED = [
    ("service with an incident", lambda: [_incident("resolved")], _without_payments,
     "services: service 'payments' is not in the file but cannot be deleted: 1 incident refers to it; "
     "keep it in the file"),
    ("user holding an API token", lambda: [ApiToken(user_id="gina", role="admin", token_hash="0" * 64, created_at=NOW)],
     _without_gina, "users: user 'gina' is not in the file but cannot be deleted: 1 API token refers to it"),
    ("user with an API override", lambda: [_api_override("gina", "checkout-primary")], _without_gina,
     "users: user 'gina' is not in the file but cannot be deleted: 1 API-created override refers to it"),
    ("policy of an open incident", lambda: [_incident("acknowledged")], _without_payments_policy,
     "escalation_policies: escalation policy 'payments' is not in the file but cannot be deleted: 1 open incident"),
    ("schedule with an API override", lambda: [_api_override("bob", "checkout-secondary")], _without_secondary_schedule,
     "schedules: schedule 'checkout-secondary' is not in the file but cannot be deleted: 1 API-created override"),
]


@pytest.mark.parametrize(
    ("rows", "change", "expected"), [case[1:] for case in GUARDED], ids=[case[0] for case in GUARDED]
)
def test_delete_of_something_still_used_is_refused_and_changes_nothing(
    sessions: Sessions, cfg_engine: Engine, tmp_path: Path, rows: Callable[[], list[Any]],
    change: Callable[[dict[str, Any]], None], expected: str,
) -> None:
    apply_text(sessions, EXAMPLE.read_text())
    with sessions() as session:
        session.add_all(rows())
        session.commit()
    data = example()
    change(data)
    before = snapshot(cfg_engine)
    for dry_run in (True, False):
        code, out, err = run_cli(sessions, tmp_path, as_yaml(data), dry_run=dry_run)
        assert (code, out) == (1, "") and err.startswith(expected), err
    assert snapshot(cfg_engine) == before


def test_policy_of_a_resolved_incident_can_be_deleted(sessions: Sessions) -> None:
    apply_text(sessions, EXAMPLE.read_text())
    with sessions() as session:
        session.add(_incident("resolved"))
        session.commit()
    data = example()
    _without_payments_policy(data)
    assert "delete escalation policy payments" in [str(c) for c in apply_text(sessions, as_yaml(data)).changes]


def test_user_with_notifications_is_not_deleted(sessions: Sessions) -> None:
    apply_text(sessions, EXAMPLE.read_text())
    with sessions() as session:
        incident = _incident()
        session.add(incident)
        session.flush()
        assert incident.id is not None
        session.add(Notification(incident_id=incident.id, step_key="esc:0", recipient="user:gina", user_id="gina",
                                 channel="sms", created_at=NOW, due_at=NOW))
        session.commit()
    data = example()
    _without_gina(data)
    with pytest.raises(ConfigError) as caught:
        apply_text(sessions, as_yaml(data))
    assert caught.value.errors == [
        "users: user 'gina' is not in the file but cannot be deleted: 1 notification refers to it; keep it in the file"
    ]


def test_explicit_key_equal_to_a_kept_generated_key_is_refused(sessions: Sessions) -> None:
    data = example()
    data["services"][0]["integration_keys"].append({"name": "datadog"})
    generated = apply_text(sessions, as_yaml(data)).generated_keys[0].key
    data["services"][1]["integration_keys"].append({"name": "copy", "key": generated})
    with pytest.raises(ConfigError) as caught:
        apply_text(sessions, as_yaml(data))
    assert caught.value.errors == [
        "services[1].integration_keys[1].key: already the stored key of checkout/datadog; give one of them another key"
    ]


def test_a_failure_midway_rolls_back_everything(sessions: Sessions, cfg_engine: Engine) -> None:
    # A naive `now` is refused only when the override rows are flushed, after users, policies and
    # schedules were already written in the same transaction: all of them must roll back.
    from sqlalchemy.exc import StatementError

    from app.configuration import apply_config, load_config

    before = snapshot(cfg_engine)
    with sessions() as session, pytest.raises(StatementError):
        apply_config(session, load_config(EXAMPLE.read_text()), now=NOW.replace(tzinfo=None))
    assert snapshot(cfg_engine) == before
