"""`klaxon oncall` and `klaxon schedules gaps` give the API's and the pure functions' answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.platform.clock import utc_now
from cli.commands import main
from schedules import gaps_between, oncall_at
from tests.integration.schedules_app.support import iso, stored_schedule, utc
from tests.support.config import apply_test_config, make_token

SAMPLES = ["2026-01-12T13:59:59Z", "2026-01-12T14:00:00Z", "2026-03-30T08:00:00Z", "2026-11-08T03:00:00Z"]


def klaxon(flask_app: Any, *args: str) -> Any:
    """Run `klaxon ARGS` against the test's app and database."""
    return flask_app.test_cli_runner().invoke(main, list(args))


@pytest.mark.parametrize("schedule_id", ["checkout-primary", "support-hours"])
def test_oncall_prints_the_pure_answer_one_id_per_line(api: Any, flask_app: Any, runtime: Any, schedule_id: str) -> None:
    schedule = stored_schedule(runtime, schedule_id)
    for at in SAMPLES:
        result = klaxon(flask_app, "oncall", schedule_id, "--at", at)
        assert result.exit_code == 0, result.output
        assert result.stdout == "".join(f"{user}\n" for user in oncall_at(schedule, utc(at)))


def test_oncall_json_is_byte_for_byte_the_apis(api: Any, flask_app: Any, responder: dict[str, str]) -> None:
    for at in SAMPLES:
        result = klaxon(flask_app, "oncall", "support-hours", "--at", at, "--json")
        assert result.exit_code == 0, result.output
        answer = api.get(f"/api/v1/schedules/support-hours/oncall?at={at}", headers=responder)
        assert result.stdout.encode() == answer.get_data()


def test_oncall_with_nobody_prints_nothing_and_says_why_on_stderr(api: Any, flask_app: Any) -> None:
    result = klaxon(flask_app, "oncall", "support-hours", "--at", "2026-11-08T03:00:00Z")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "nobody is on call for support-hours at 2026-11-08T03:00:00Z\n"


def test_oncall_defaults_to_now(api: Any, flask_app: Any, runtime: Any) -> None:
    result = klaxon(flask_app, "oncall", "checkout-primary", "--json")
    body = json.loads(result.stdout)
    assert body["oncall"] == list(oncall_at(stored_schedule(runtime, "checkout-primary"), utc(body["at"])))


def test_oncall_of_an_unknown_schedule_fails_saying_so(api: Any, flask_app: Any) -> None:
    result = klaxon(flask_app, "oncall", "nope")
    assert result.exit_code == 1
    assert "unknown schedule 'nope'" in result.stderr


def test_oncall_with_a_bad_at_is_a_usage_error(api: Any, flask_app: Any) -> None:
    result = klaxon(flask_app, "oncall", "checkout-primary", "--at", "noonish")
    assert result.exit_code == 2
    assert "--at" in result.stderr and "'noonish' is not an ISO 8601 instant" in result.stderr


def test_gaps_lists_every_schedules_coming_gaps(api: Any, flask_app: Any, runtime: Any) -> None:
    start = "2026-03-27T12:00:00Z"  # a Friday, into the weekend BST starts
    result = klaxon(flask_app, "schedules", "gaps", "--start", start, "--days", "4")
    assert result.exit_code == 0, result.output
    gaps = gaps_between(stored_schedule(runtime, "support-hours"), utc(start), utc(start) + timedelta(days=4))
    assert len(gaps) == 2  # Friday 17:00 to Monday 09:00 (now BST), and Monday night
    lines = result.stdout.splitlines()
    assert [line.split("  ")[:2] for line in lines] == [["support-hours", f"{iso(b)} -> {iso(e)}"] for b, e in gaps]
    assert lines == ["support-hours  2026-03-27T17:00:00Z -> 2026-03-30T08:00:00Z  (2d 15h 0m)",
                     "support-hours  2026-03-30T16:00:00Z -> 2026-03-31T08:00:00Z  (16h 0m)"]


def test_gaps_says_no_gaps_when_there_are_none(runtime: Any, flask_app: Any) -> None:
    apply_test_config(runtime)  # checkout-primary alone: someone is always on call
    result = klaxon(flask_app, "schedules", "gaps")
    assert result.exit_code == 0
    assert result.stdout == "no gaps in the next 7 days\n"


def test_gaps_looks_seven_days_ahead_by_default(api: Any, flask_app: Any, runtime: Any) -> None:
    result = klaxon(flask_app, "schedules", "gaps")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    # Any seven days of weekday 09:00-17:00 London cover hold at least five gaps: four weeknights and a
    # weekend (which takes Friday night in). Gaps start at most 3 days and an hour apart (Friday to
    # Monday across a DST change), so the last one starts in the last 3.5 days of the week ahead.
    assert len(lines) >= 5
    assert all(line.startswith("support-hours  ") for line in lines)
    last_start = datetime.fromisoformat(lines[-1].split()[1].replace("Z", "+00:00"))
    assert utc_now() + timedelta(days=3.5) <= last_start <= utc_now() + timedelta(days=7)


@pytest.mark.parametrize("days", ["0", "367", "many"])
def test_gaps_refuses_a_silly_number_of_days(api: Any, flask_app: Any, days: str) -> None:
    result = klaxon(flask_app, "schedules", "gaps", "--days", days)
    assert result.exit_code == 2 and "--days" in result.stderr


def test_an_override_shows_in_the_cli_as_in_the_api(api: Any, flask_app: Any, runtime: Any) -> None:
    start = (utc_now() + timedelta(days=3)).replace(microsecond=0)
    body = {"user": "gina", "start": iso(start), "end": iso(start + timedelta(hours=2))}
    created = api.post("/api/v1/schedules/checkout-primary/overrides", json=body,
                       headers=make_token(runtime, "bob", "commander"))
    assert created.status_code == 201
    result = klaxon(flask_app, "oncall", "checkout-primary", "--at", iso(start + timedelta(hours=1)))
    assert result.stdout == "gina\n"


def test_the_installed_klaxon_command_answers_the_same(api: Any, runtime: Any, responder: dict[str, str]) -> None:
    env = {**os.environ, "DATABASE_URL": runtime.settings.database_url, "REDIS_URL": runtime.settings.redis_url}
    command = [str(Path(sys.executable).parent / "klaxon"), "oncall", "checkout-primary", "--at", SAMPLES[1], "--json"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    answer = api.get(f"/api/v1/schedules/checkout-primary/oncall?at={SAMPLES[1]}", headers=responder)
    assert done.stdout.encode() == answer.get_data()
