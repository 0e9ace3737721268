"""`klaxon simulate`: the real ladder, schedules and rules, printed; nothing written."""

from __future__ import annotations

from typing import Any

from sqlmodel import func, select

from app.models import Incident, Notification
from cli.commands import main
from tests.support.config import apply_test_config
from tests.support.ladder_config import LADDER_CONFIG


def run(flask_app: Any, *args: str) -> Any:
    return flask_app.test_cli_runner().invoke(main, list(args))


def test_simulate_prints_the_whole_unacknowledged_ladder(runtime: Any, flask_app: Any) -> None:
    apply_test_config(runtime, LADDER_CONFIG)
    result = run(flask_app, "simulate", "--service", "checkout", "--severity", "SEV1", "--at", "2026-11-23T03:00:00Z")
    assert result.exit_code == 0, result.output
    rows = [" ".join(line.split()[i] for i in (0, 2, 3, 4)) for line in result.output.splitlines()[1:]]
    assert rows == ["+0s level 1 alice", "+5m level 2 bob", "+15m trigger gina slack", "+15m level 1 alice",
                    "+20m level 2 bob"]
    with runtime.session() as session:
        assert session.exec(select(func.count()).select_from(Incident)).one() == 0
        assert session.exec(select(func.count()).select_from(Notification)).one() == 0


def test_simulate_shows_a_gap_and_the_next_level_at_once(runtime: Any, flask_app: Any) -> None:
    apply_test_config(runtime, LADDER_CONFIG)
    result = run(flask_app, "simulate", "--service", "gappy", "--severity", "SEV1", "--json",
                 "--at", "2026-11-23T03:00:00Z")
    import json

    pages = json.loads(result.output)
    assert [(p["level"], p["recipient"], p["channel"], p["at"]) for p in pages] == [
        (1, "-", "-", "2026-11-23T03:00:00Z"), (2, "carol", "slack", "2026-11-23T03:00:00Z"),
        (2, "carol", "sms", "2026-11-23T03:01:00Z")]


def test_simulate_rejects_bad_input(runtime: Any, flask_app: Any) -> None:
    apply_test_config(runtime, LADDER_CONFIG)
    assert "unknown service" in run(flask_app, "simulate", "--service", "nope", "--severity", "SEV1").output
    assert "severity must be" in run(flask_app, "simulate", "--service", "checkout", "--severity", "SEV7").output
    bad_at = run(flask_app, "simulate", "--service", "checkout", "--severity", "SEV1", "--at", "tomorrow")
    assert bad_at.exit_code != 0 and "ISO 8601" in bad_at.output
