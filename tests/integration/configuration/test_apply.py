"""`klaxon apply`: the example applies, re-applying changes nothing, dry runs write nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.configuration import DEFAULT_NOTIFY_RULES
from app.escalation.oncall import oncall_users
from app.models import Account, ConfigDocument, EscalationPolicy, IntegrationKey, ScheduleOverride, ScheduleRecord, Service, User
from tests.integration.configuration.configs import EXAMPLE, NOW, apply_text, as_yaml, example, lines, run_cli, snapshot

Sessions = Callable[[], Session]


def test_example_applies_cleanly(sessions: Sessions, tmp_path: Path) -> None:
    code, out, err = run_cli(sessions, tmp_path, EXAMPLE.read_text())
    assert (code, err) == (0, "")
    assert "create user alice" in lines(out) and lines(out)[-1].endswith("changes applied")
    with sessions() as session:
        assert len(session.exec(select(User)).all()) == 8
        bob, alice = session.get(User, "bob"), session.get(User, "alice")
        assert bob is not None and bob.notify == list(DEFAULT_NOTIFY_RULES)
        assert alice is not None and alice.phone == "+15005550006"
        key = session.exec(select(IntegrationKey).where(IntegrationKey.name == "prometheus")).one()
        assert key.service_id == "checkout"
        assert key.key_hash == hashlib.sha256(b"0123456789abcdef0123456789abcdef").hexdigest()
        policy = session.get(EscalationPolicy, "checkout")
        assert policy is not None and policy.levels[0] == {"name": "Tier 1 on call",
                                                           "targets": ["schedule:checkout-primary"],
                                                           "escalate_after_seconds": 300}
        assert policy.open_triggers[0]["targets"] == ["account:director", "slack:#major-incidents"]
        acme, checkout = session.get(Account, "acme"), session.get(Service, "checkout")
        assert acme is not None and (acme.name, acme.account_director, acme.stakeholders) == ("ACME Retail", "gina",
                                                                                              ["hank"])
        assert checkout is not None and checkout.account_id == "acme"
        hank = session.get(User, "hank")
        assert hank is not None and (hank.status_channel, bob.status_channel) == ("email", "slack")
        [override] = session.exec(select(ScheduleOverride)).all()
        assert (override.user_id, override.source) == ("dave", "config")
        assert override.start_at == datetime(2026, 12, 24, 23, 0, tzinfo=timezone.utc)
        document = session.get(ConfigDocument, "classification")
        assert document is not None and document.body["rules"][0]["name"] == "prod-critical"


@pytest.mark.parametrize("at", ["2026-11-23T15:00:00+00:00", "2026-11-24T03:00:00+00:00", "2026-11-28T12:00:00+00:00"])
def test_example_always_has_someone_on_level_one(sessions: Sessions, at: str) -> None:
    # A newcomer running `make run` should see a page whatever the hour.
    apply_text(sessions, EXAMPLE.read_text())
    with sessions() as session:
        assert oncall_users(session, "checkout-primary", datetime.fromisoformat(at))


def test_applying_the_same_file_twice_changes_nothing(sessions: Sessions, cfg_engine: Engine, tmp_path: Path) -> None:
    apply_text(sessions, EXAMPLE.read_text())
    before = snapshot(cfg_engine)
    code, out, err = run_cli(sessions, tmp_path, EXAMPLE.read_text())
    assert (code, out, err) == (0, "no changes\n", "")
    assert snapshot(cfg_engine) == before


def test_dry_run_lists_changes_and_writes_nothing(sessions: Sessions, cfg_engine: Engine, tmp_path: Path) -> None:
    before = snapshot(cfg_engine)
    code, out, err = run_cli(sessions, tmp_path, EXAMPLE.read_text(), dry_run=True)
    assert (code, err) == (0, "")
    assert "create integration key checkout/prometheus" in lines(out)
    assert "create override checkout-primary: dave from 2026-12-24T23:00Z to 2026-12-26T14:00Z" in lines(out)
    assert lines(out)[-1].endswith("planned (dry run: nothing was changed)")
    assert snapshot(cfg_engine) == before


def test_update_names_the_fields_that_changed(sessions: Sessions, cfg_engine: Engine, tmp_path: Path) -> None:
    apply_text(sessions, EXAMPLE.read_text())
    data = example()
    data["users"][1]["name"] = "Robert Okafor"
    data["escalation_policies"][0]["repeat"] = 2
    before = snapshot(cfg_engine)
    code, out, _ = run_cli(sessions, tmp_path, as_yaml(data), dry_run=True)
    assert lines(out) == ["update user bob: name", "update escalation policy checkout: repeat",
                          "2 changes planned (dry run: nothing was changed)"]
    assert snapshot(cfg_engine) == before
    assert [str(c) for c in apply_text(sessions, as_yaml(data)).changes] == lines(out)[:2]


def test_removed_objects_are_deleted(sessions: Sessions) -> None:
    apply_text(sessions, EXAMPLE.read_text())
    data = example()
    data["users"] = [u for u in data["users"] if u["id"] != "gina"]
    data["schedules"] = [s for s in data["schedules"] if s["id"] != "checkout-secondary"]
    data["escalation_policies"] = data["escalation_policies"][:1]
    data["escalation_policies"][0]["levels"][1]["targets"] = ["user:erin"]
    data["escalation_policies"][0]["open_triggers"][0]["targets"] = ["slack:#major-incidents"]
    data["services"] = data["services"][:1]
    del data["accounts"], data["services"][0]["account"]
    changes = [str(c) for c in apply_text(sessions, as_yaml(data)).changes]
    for line in ("delete user gina", "delete schedule checkout-secondary", "delete escalation policy payments",
                 "delete service payments", "delete integration key payments/grafana", "delete account acme",
                 "update service checkout: account_id"):
        assert line in changes
    with sessions() as session:
        assert session.get(User, "gina") is None and session.get(Service, "payments") is None
        assert session.get(Account, "acme") is None
        assert session.get(ScheduleRecord, "checkout-secondary") is None
        assert session.get(EscalationPolicy, "payments") is None
        assert [k.name for k in session.exec(select(IntegrationKey)).all()] == ["prometheus"]


def test_generated_key_is_printed_once_and_kept_on_reapply(sessions: Sessions, tmp_path: Path) -> None:
    data = example()
    data["services"][0]["integration_keys"].append({"name": "datadog"})
    code, out, _ = run_cli(sessions, tmp_path, as_yaml(data))
    assert code == 0 and "create integration key checkout/datadog: key generated" in lines(out)
    [shown] = [line for line in lines(out) if line.startswith("integration key checkout/datadog")]
    key = shown.rsplit(": ", 1)[1]
    assert len(key) == 32 and key.isalnum()
    stored_hash = hashlib.sha256(key.encode()).hexdigest()
    code, out, _ = run_cli(sessions, tmp_path, as_yaml(data))
    assert (code, out) == (0, "no changes\n")
    with sessions() as session:
        row = session.exec(select(IntegrationKey).where(IntegrationKey.name == "datadog")).one()
        assert row.key_hash == stored_hash


def test_api_overrides_survive_a_reapply(sessions: Sessions) -> None:
    apply_text(sessions, EXAMPLE.read_text())
    with sessions() as session:
        api = ScheduleOverride(schedule_id="checkout-primary", user_id="bob", source="api", created_at=NOW,
                               start_at=datetime(2026, 12, 1, tzinfo=timezone.utc),
                               end_at=datetime(2026, 12, 2, tzinfo=timezone.utc))
        session.add(api)
        session.commit()
        api_row = (api.id, api.user_id, api.start_at, api.end_at, api.source)
    data = example()
    data["schedules"][0]["overrides"] = [{"user": "erin", "start": "2026-12-31T18:00", "end": "2027-01-01T09:00"}]
    changes = [str(c) for c in apply_text(sessions, as_yaml(data)).changes]
    assert changes == ["delete override checkout-primary: dave from 2026-12-24T23:00Z to 2026-12-26T14:00Z",
                       "create override checkout-primary: erin from 2026-12-31T23:00Z to 2027-01-01T14:00Z"]
    with sessions() as session:
        rows = session.exec(select(ScheduleOverride).order_by(ScheduleOverride.id)).all()  # type: ignore[arg-type]
        assert [(r.id, r.user_id, r.start_at, r.end_at, r.source) for r in rows if r.source == "api"] == [api_row]
        assert [r.user_id for r in rows if r.source == "config"] == ["erin"]


def test_unchanged_config_overrides_keep_their_rows(sessions: Sessions) -> None:
    apply_text(sessions, EXAMPLE.read_text())
    with sessions() as session:
        first_id = session.exec(select(ScheduleOverride)).one().id
    data = example()
    data["schedules"][0]["overrides"].append({"user": "erin", "start": "2026-12-31T18:00", "end": "2027-01-01T09:00"})
    changes = apply_text(sessions, as_yaml(data)).changes
    assert [c.action for c in changes] == ["create"]
    with sessions() as session:
        rows = session.exec(select(ScheduleOverride).order_by(ScheduleOverride.id)).all()  # type: ignore[arg-type]
        assert [(r.id == first_id, r.user_id) for r in rows] == [(True, "dave"), (False, "erin")]


def test_two_keys_can_swap_values(sessions: Sessions) -> None:
    data = example()
    keys = data["services"][0]["integration_keys"]
    keys.append({"name": "grafana", "key": "A" * 32})
    apply_text(sessions, as_yaml(data))
    keys[0]["key"], keys[1]["key"] = keys[1]["key"], keys[0]["key"]
    changes = [str(c) for c in apply_text(sessions, as_yaml(data)).changes]
    assert changes == ["update integration key checkout/prometheus: key",
                       "update integration key checkout/grafana: key"]
    with sessions() as session:
        row = session.exec(select(IntegrationKey).where(IntegrationKey.service_id == "checkout",
                                                        IntegrationKey.name == "prometheus")).one()
        assert row.key_hash == hashlib.sha256(b"A" * 32).hexdigest()


def test_a_key_can_move_to_another_service(sessions: Sessions) -> None:
    apply_text(sessions, EXAMPLE.read_text())
    data = example()
    moved = data["services"][0].pop("integration_keys")
    data["services"][1]["integration_keys"] += moved
    apply_text(sessions, as_yaml(data))
    with sessions() as session:
        row = session.exec(select(IntegrationKey).where(IntegrationKey.name == "prometheus")).one()
        assert row.service_id == "payments"


def test_rate_limit_change_keeps_the_key(sessions: Sessions) -> None:
    apply_text(sessions, EXAMPLE.read_text())
    data = example()
    data["services"][1]["integration_keys"][0]["rate_limit"] = "10/s"
    changes = [str(c) for c in apply_text(sessions, as_yaml(data)).changes]
    assert changes == ["update integration key payments/grafana: rate_limit"]
    with sessions() as session:
        row = session.exec(select(IntegrationKey).where(IntegrationKey.name == "grafana")).one()
        assert row.rate_limit == "10/s"
        assert row.key_hash == hashlib.sha256(b"fedcba9876543210fedcba9876543210").hexdigest()


def test_apply_leaves_sms_enabled_alone_unless_the_phone_changes(sessions: Sessions) -> None:
    apply_text(sessions, EXAMPLE.read_text())
    with sessions() as session:
        bob = session.get(User, "bob")
        assert bob is not None
        bob.sms_enabled = False  # bob replied STOP
        session.commit()
    assert apply_text(sessions, EXAMPLE.read_text()).changes == []
    data = example()
    data["users"][1]["phone"] = "+15005550009"
    apply_text(sessions, as_yaml(data))
    with sessions() as session:
        bob = session.get(User, "bob")
        assert bob is not None and bob.sms_enabled and bob.phone == "+15005550009"
