"""schedule_from_dict: CONTRACT section 3 in, a Schedule out, or an error that names the path."""

from __future__ import annotations

import copy
from datetime import datetime, time, timedelta
from typing import Any

import pytest
import yaml

from schedules import Override, Restriction, Rotation, ScheduleSpecError, oncall_at, schedule_from_dict
from tests.unit.schedules.builders import utc

CONTRACT_ENTRY = """
id: checkout-primary
time_zone: America/New_York
layers:
  - name: weekly
    rotation: {type: weekly, handoff: "monday 09:00"}
    start: 2026-01-05T09:00
    users: [alice, bob, carol]
    restrict:
      - {days: [mon, tue, wed, thu, fri], from: "09:00", to: "17:00"}
overrides:
  - {user: dave, start: 2026-12-24T18:00, end: 2026-12-26T09:00}
"""


def _entry() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(CONTRACT_ENTRY)
    return loaded


def test_contract_example_builds_the_schedule_it_describes() -> None:
    schedule = schedule_from_dict(_entry())
    assert (schedule.id, schedule.time_zone) == ("checkout-primary", "America/New_York")
    (weekly,) = schedule.layers
    assert weekly.name == "weekly"
    assert weekly.rotation == Rotation("weekly", handoff=time(9, 0), handoff_weekday=0)
    assert weekly.start == datetime(2026, 1, 5, 9, 0)
    assert weekly.users == ("alice", "bob", "carol")
    assert weekly.restrictions == (Restriction(frozenset({0, 1, 2, 3, 4}), time(9, 0), time(17, 0)),)
    # Local wall-clock (EST) turned into UTC.
    assert schedule.overrides == (Override("dave", utc("2026-12-24T23:00"), utc("2026-12-26T14:00"), seq=0),)
    assert oncall_at(schedule, utc("2026-12-25T12:00")) == ("dave",)


@pytest.mark.parametrize(
    ("rotation", "expected"),
    [
        ({"type": "daily", "handoff": "09:00"}, Rotation("daily", handoff=time(9, 0))),
        ({"type": "daily"}, Rotation("daily")),
        (
            {"type": "weekly", "handoff": "Sunday 18:30"},
            Rotation("weekly", handoff=time(18, 30), handoff_weekday=6),
        ),
        (
            {"type": "weekly", "handoff": "fri 9:00"},
            Rotation("weekly", handoff=time(9, 0), handoff_weekday=4),
        ),
        ({"type": "hourly"}, Rotation("hourly")),
        ({"type": "custom", "shift": "12h"}, Rotation("custom", shift=timedelta(hours=12))),
        ({"type": "custom", "shift": "1d12h"}, Rotation("custom", shift=timedelta(hours=36))),
    ],
)
def test_every_rotation_type_reads_as_written(rotation: dict[str, Any], expected: Rotation) -> None:
    entry = _entry()
    entry["layers"][0]["rotation"] = rotation
    assert schedule_from_dict(entry).layers[0].rotation == expected


@pytest.mark.parametrize(
    ("start", "expected_local"),
    [
        ("2026-01-05T09:00", datetime(2026, 1, 5, 9, 0)),  # no offset: local wall-clock
        ("2026-01-05T14:00Z", datetime(2026, 1, 5, 9, 0)),  # offset: converted into the zone
        ("2026-01-05T15:00+01:00", datetime(2026, 1, 5, 9, 0)),
        (datetime(2026, 1, 5, 9, 0), datetime(2026, 1, 5, 9, 0)),  # what YAML gives for 2026-01-05 09:00:00
        (yaml.safe_load("2026-01-05"), datetime(2026, 1, 5, 0, 0)),  # a bare date is local midnight
    ],
)
def test_layer_start_is_local_wall_clock_unless_it_carries_an_offset(
    start: object, expected_local: datetime
) -> None:
    entry = _entry()
    entry["layers"][0]["start"] = start
    assert schedule_from_dict(entry).layers[0].start == expected_local


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("2026-03-08T02:30", utc("2026-03-08T07:00")),  # missing local time: the transition
        ("2026-11-01T01:30", utc("2026-11-01T05:30")),  # repeated local time: the first one
        ("2026-11-01T01:30-05:00", utc("2026-11-01T06:30")),  # an offset picks the second
        (yaml.safe_load("2026-11-01 06:30:00+00:00"), utc("2026-11-01T06:30")),
    ],
)
def test_override_times_follow_the_dst_rule_or_their_offset(start: object, expected: datetime) -> None:
    entry = _entry()
    entry["overrides"] = [{"user": "dave", "start": start, "end": "2026-12-01T00:00"}]
    assert schedule_from_dict(entry).overrides[0].start_at == expected


def test_later_override_in_the_file_wins_where_they_overlap() -> None:
    entry = _entry()
    entry["overrides"] = [
        {"user": "dave", "start": "2026-02-01T00:00", "end": "2026-02-10T00:00"},
        {"user": "erin", "start": "2026-02-03T00:00", "end": "2026-02-04T00:00"},
    ]
    schedule = schedule_from_dict(entry)
    assert [o.seq for o in schedule.overrides] == [0, 1]
    assert oncall_at(schedule, utc("2026-02-03T12:00")) == ("erin",)


def test_restriction_defaults_and_spellings() -> None:
    entry = _entry()
    entry["layers"][0]["restrict"] = [
        {"from": "22:00", "to": "06:00"},
        {"days": ["Saturday", "SUN"], "from": "10:00", "to": "24:00"},
    ]
    first, second = schedule_from_dict(entry).layers[0].restrictions
    assert first == Restriction(frozenset(range(7)), time(22, 0), time(6, 0))
    assert second == Restriction(frozenset({5, 6}), time(10, 0), time(0, 0))
    assert second.crosses_midnight


def test_unknown_user_ids_are_left_to_the_caller() -> None:
    entry = _entry()
    entry["layers"][0]["users"] = ["nobody-knows-me"]
    assert schedule_from_dict(entry).layers[0].users == ("nobody-knows-me",)


def test_schedule_without_layers_is_valid() -> None:
    schedule = schedule_from_dict({"id": "empty", "time_zone": "UTC"})
    assert schedule.layers == () and schedule.overrides == ()


DELETE = object()


def _set(entry: dict[str, Any], path: tuple[Any, ...], value: object) -> dict[str, Any]:
    changed = copy.deepcopy(entry)
    target: Any = changed
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return changed


SECOND_LAYER = {
    "name": "weekly",
    "rotation": {"type": "hourly"},
    "start": "2026-01-05T09:00",
    "users": ["bob"],
}
ERRORS = [
    (("time_zone",), "Mars/Olympus_Mons", "time_zone", "unknown time zone"),
    (("time_zone",), DELETE, "time_zone", "is required"),
    (("id",), DELETE, "id", "is required"),
    (("id",), "", "id", "non-empty string"),
    (("overides",), [], "overides", "unknown key"),
    (("layers",), {"name": "x"}, "layers", "must be a list"),
    (("layers", 0), "weekly", "layers[0]", "must be a mapping"),
    (("layers", 0, "name"), DELETE, "layers[0].name", "is required"),
    (("layers", 0, "restrictions"), [], "layers[0].restrictions", "unknown key"),
    (("layers", 0, "rotation"), DELETE, "layers[0].rotation", "is required"),
    (("layers", 0, "rotation", "type"), "fortnightly", "layers[0].rotation.type", "unknown rotation type"),
    (("layers", 0, "rotation", "type"), ["weekly"], "layers[0].rotation.type", "unknown rotation type"),
    (("layers", 0, "rotation", "handoff"), "monday 9am", "layers[0].rotation.handoff", "HH:MM"),
    (("layers", 0, "rotation", "handoff"), "funday 09:00", "layers[0].rotation.handoff", "unknown day"),
    (("layers", 0, "rotation", "handoff"), "09:00", "layers[0].rotation.handoff", "<day> HH:MM"),
    (
        ("layers", 0, "rotation"),
        {"type": "daily", "handoff": "25:00"},
        "layers[0].rotation.handoff",
        "no such time",
    ),
    (("layers", 0, "rotation"), {"type": "daily", "handoff": 1020}, "layers[0].rotation.handoff", "quotes"),
    (
        ("layers", 0, "rotation"),
        {"type": "custom", "shift": "0s"},
        "layers[0].rotation.shift",
        "longer than zero",
    ),
    (
        ("layers", 0, "rotation"),
        {"type": "custom", "shift": "12 hours"},
        "layers[0].rotation.shift",
        "bad duration",
    ),
    (("layers", 0, "rotation"), {"type": "custom"}, "layers[0].rotation.shift", "is required"),
    (
        ("layers", 0, "rotation"),
        {"type": "hourly", "handoff": "09:00"},
        "layers[0].rotation.handoff",
        "unknown key",
    ),
    (("layers", 0, "start"), "next monday", "layers[0].start", "date-time"),
    (("layers", 0, "start"), DELETE, "layers[0].start", "is required"),
    (("layers", 0, "users"), [], "layers[0].users", "non-empty list"),
    (("layers", 0, "users"), "alice", "layers[0].users", "non-empty list"),
    (("layers", 0, "users", 1), "", "layers[0].users[1]", "non-empty string"),
    (("layers", 0, "users", 2), True, "layers[0].users[2]", "quote"),
    (("layers", 0, "restrict", 0, "days"), ["mon", "funday"], "layers[0].restrict[0].days[1]", "unknown day"),
    (("layers", 0, "restrict", 0, "days"), [], "layers[0].restrict[0].days", "non-empty list"),
    (("layers", 0, "restrict", 0, "from"), "9am", "layers[0].restrict[0].from", "HH:MM"),
    (("layers", 0, "restrict", 0, "to"), "17:60", "layers[0].restrict[0].to", "no such time"),
    (("layers", 0, "restrict", 0, "to"), DELETE, "layers[0].restrict[0].to", "is required"),
    (("layers", 1), SECOND_LAYER, "layers[1].name", "duplicate layer name 'weekly'"),
    (("overrides", 0, "user"), DELETE, "overrides[0].user", "is required"),
    (("overrides", 0, "start"), "soon", "overrides[0].start", "date-time"),
    (("overrides", 0, "end"), "2026-12-24T18:00", "overrides[0].end", "after start"),
    (("overrides", 0, "end"), "2026-12-24T12:00", "overrides[0].end", "after start"),
]


@pytest.mark.parametrize(("where", "value", "path", "fragment"), ERRORS)
def test_spec_error_names_the_path_inside_the_entry(
    where: tuple[Any, ...], value: object, path: str, fragment: str
) -> None:
    entry = _entry()
    if where[:2] == ("layers", 1):
        entry["layers"].append(None)
    with pytest.raises(ScheduleSpecError) as caught:
        schedule_from_dict(_set(entry, where, value))
    assert caught.value.path == path
    assert fragment in caught.value.message
    assert str(caught.value) == f"{path}: {caught.value.message}"
    assert isinstance(caught.value, ValueError)


def test_entry_that_is_not_a_mapping_is_an_error_without_a_path() -> None:
    with pytest.raises(ScheduleSpecError) as caught:
        schedule_from_dict(["not", "a", "mapping"])  # type: ignore[arg-type]
    assert caught.value.path == ""
    assert str(caught.value) == "must be a mapping, got list"
