"""Layers, overrides and the range views: later layers win, the newest override wins, gaps are reported."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from schedules import Override, Schedule, Shift, gaps_between, oncall_at, shifts_between
from tests.unit.schedules.builders import NEW_YORK, daily, layer, override, restrict, schedule, utc, weekly

MON = 0
WEEKDAYS = {0, 1, 2, 3, 4}
BASE = layer(weekly("09:00", MON), "2026-01-05T09:00", ("ann",))
BUSINESS_HOURS = layer(daily("09:00"), "2026-01-05T09:00", ("ben",), (restrict(WEEKDAYS, "09:00", "17:00"),))
# ann until Monday 2026-01-12 09:00 EST (14:00 UTC), then ben.
HANDOFF = layer(weekly("09:00", MON), "2026-01-05T09:00", ("ann", "ben"))


@pytest.mark.parametrize(
    ("layers", "at", "expected"),
    [
        ((BASE, BUSINESS_HOURS), "2026-01-06T15:00", "ben"),  # Tuesday 10:00: the later layer
        ((BASE, BUSINESS_HOURS), "2026-01-06T21:59:59", "ben"),
        ((BASE, BUSINESS_HOURS), "2026-01-06T22:00:00", "ann"),  # 17:00: back to the earlier layer
        ((BASE, BUSINESS_HOURS), "2026-01-10T15:00", "ann"),  # Saturday
        ((BUSINESS_HOURS, BASE), "2026-01-06T15:00", "ann"),  # order decides, not restriction
        (
            (BASE, layer(daily("09:00"), "2026-02-02T09:00", ("ben",))),
            "2026-01-06T15:00",
            "ann",
        ),  # not started yet
        ((layer(daily("09:00"), "2026-02-02T09:00", ("ann",)), BUSINESS_HOURS), "2026-01-06T22:00", None),
        (
            (BASE, BUSINESS_HOURS, layer(daily("09:00"), "2026-01-05T09:00", ("cat",))),
            "2026-01-06T15:00",
            "cat",
        ),
    ],
)
def test_later_layer_wins_where_it_has_someone_else_earlier_layer(layers, at, expected) -> None:
    assert oncall_at(schedule(NEW_YORK, *layers), utc(at)) == ((expected,) if expected else ())


@pytest.mark.parametrize(
    ("overrides", "at", "expected"),
    [
        # An override covering the handoff replaces both sides of it.
        ((override("cat", "2026-01-12T13:00", "2026-01-12T15:00"),), "2026-01-12T12:59:59", "ann"),
        ((override("cat", "2026-01-12T13:00", "2026-01-12T15:00"),), "2026-01-12T13:00:00", "cat"),
        ((override("cat", "2026-01-12T13:00", "2026-01-12T15:00"),), "2026-01-12T14:00:00", "cat"),
        ((override("cat", "2026-01-12T13:00", "2026-01-12T15:00"),), "2026-01-12T14:59:59", "cat"),
        ((override("cat", "2026-01-12T13:00", "2026-01-12T15:00"),), "2026-01-12T15:00:00", "ben"),
    ],
)
def test_override_covering_handoff_wins(overrides, at, expected) -> None:
    assert oncall_at(schedule(NEW_YORK, HANDOFF, overrides=overrides), utc(at)) == (expected,)


STACK = (
    override("dan", "2026-01-12T12:00", "2026-01-12T18:00", seq=1),
    override("eve", "2026-01-12T13:00", "2026-01-12T14:00", seq=2),
)


@pytest.mark.parametrize(
    ("overrides", "at", "expected"),
    [
        (STACK, "2026-01-12T12:30", "dan"),
        (STACK, "2026-01-12T13:00", "eve"),
        (STACK, "2026-01-12T13:59:59", "eve"),
        (STACK, "2026-01-12T14:00", "dan"),  # the newer one ended: the older one shows again
        (STACK, "2026-01-12T18:00", "ben"),
        (STACK[::-1], "2026-01-12T13:30", "eve"),  # seq decides, not position
        (
            (
                override("dan", "2026-01-12T12:00", "2026-01-12T18:00", seq=2),
                override("eve", "2026-01-12T13:00", "2026-01-12T14:00", seq=1),
            ),
            "2026-01-12T13:30",
            "dan",
        ),
        (
            (
                override("dan", "2026-01-12T12:00", "2026-01-12T18:00"),
                override("eve", "2026-01-12T13:00", "2026-01-12T14:00"),
            ),
            "2026-01-12T13:30",
            "eve",
        ),  # equal seq: later listed
    ],
)
def test_stacked_overrides_newest_wins(overrides, at, expected) -> None:
    assert oncall_at(schedule(NEW_YORK, HANDOFF, overrides=overrides), utc(at)) == (expected,)


def test_override_covers_a_gap() -> None:
    night = override("dan", "2026-01-06T03:00", "2026-01-06T05:00")
    restricted = schedule(NEW_YORK, BUSINESS_HOURS, overrides=(night,))
    assert oncall_at(restricted, utc("2026-01-06T04:00")) == ("dan",)
    assert gaps_between(restricted, utc("2026-01-06T00:00"), utc("2026-01-06T14:00")) == [
        (utc("2026-01-06T00:00"), utc("2026-01-06T03:00")),
        (utc("2026-01-06T05:00"), utc("2026-01-06T14:00")),
    ]


def test_empty_schedule_has_nobody_and_one_whole_gap() -> None:
    empty = Schedule(id="empty", time_zone=NEW_YORK, layers=())
    start_at, end_at = utc("2026-01-01T00:00"), utc("2027-01-01T00:00")
    assert oncall_at(empty, utc("2026-06-01T12:00")) == ()
    assert shifts_between(empty, start_at, end_at) == []
    assert gaps_between(empty, start_at, end_at) == [(start_at, end_at)]


def test_override_only_schedule_is_on_call_during_its_overrides() -> None:
    only = Schedule(
        id="o",
        time_zone=NEW_YORK,
        layers=(),
        overrides=(override("dan", "2026-01-06T03:00", "2026-01-06T05:00"),),
    )
    assert shifts_between(only, utc("2026-01-06T00:00"), utc("2026-01-07T00:00")) == [
        Shift(utc("2026-01-06T03:00"), utc("2026-01-06T05:00"), ("dan",))
    ]


def test_shifts_between_joins_continuing_people_and_clips_to_the_range() -> None:
    layered = schedule(
        NEW_YORK, HANDOFF, overrides=(override("cat", "2026-01-12T13:00", "2026-01-12T15:00"),)
    )
    assert shifts_between(layered, utc("2026-01-10T00:00"), utc("2026-01-20T00:00")) == [
        Shift(utc("2026-01-10T00:00"), utc("2026-01-12T13:00"), ("ann",)),
        Shift(utc("2026-01-12T13:00"), utc("2026-01-12T15:00"), ("cat",)),
        Shift(utc("2026-01-12T15:00"), utc("2026-01-19T14:00"), ("ben",)),
        Shift(utc("2026-01-19T14:00"), utc("2026-01-20T00:00"), ("ann",)),
    ]


def test_one_person_rotation_is_one_shift_across_handoffs() -> None:
    single = schedule(NEW_YORK, BASE)
    assert shifts_between(single, utc("2026-01-01T00:00"), utc("2026-02-01T00:00")) == [
        Shift(utc("2026-01-05T14:00"), utc("2026-02-01T00:00"), ("ann",))
    ]
    assert gaps_between(single, utc("2026-01-01T00:00"), utc("2026-02-01T00:00")) == [
        (utc("2026-01-01T00:00"), utc("2026-01-05T14:00"))
    ]


def test_override_with_the_person_already_on_call_joins_their_shift() -> None:
    same = schedule(NEW_YORK, BASE, overrides=(override("ann", "2026-01-06T00:00", "2026-01-07T00:00"),))
    assert len(shifts_between(same, utc("2026-01-05T14:00"), utc("2026-01-08T00:00"))) == 1


def test_instants_in_other_zones_are_the_same_instants() -> None:
    eastern = timezone(timedelta(hours=-5))
    assert oncall_at(schedule(NEW_YORK, HANDOFF), datetime(2026, 1, 12, 9, 0, tzinfo=eastern)) == ("ben",)
    shifts = shifts_between(
        schedule(NEW_YORK, HANDOFF),
        datetime(2026, 1, 12, 8, 0, tzinfo=eastern),
        datetime(2026, 1, 12, 10, 0, tzinfo=eastern),
    )
    assert [s.start_at for s in shifts] == [utc("2026-01-12T13:00"), utc("2026-01-12T14:00")]
    assert all(s.start_at.tzinfo is timezone.utc for s in shifts)


def test_naive_instants_are_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        oncall_at(schedule(NEW_YORK, BASE), datetime(2026, 1, 12, 9, 0))
    with pytest.raises(ValueError, match="timezone-aware"):
        shifts_between(schedule(NEW_YORK, BASE), datetime(2026, 1, 12), utc("2026-01-13T00:00"))


def test_range_ending_before_it_starts_is_rejected_and_empty_range_is_empty() -> None:
    with pytest.raises(ValueError, match="before start_at"):
        gaps_between(schedule(NEW_YORK, BASE), utc("2026-01-13T00:00"), utc("2026-01-12T00:00"))
    assert shifts_between(schedule(NEW_YORK, BASE), utc("2026-01-13T00:00"), utc("2026-01-13T00:00")) == []
    assert gaps_between(schedule(NEW_YORK, BASE), utc("2026-01-13T00:00"), utc("2026-01-13T00:00")) == []


def test_with_overrides_returns_a_copy_with_only_the_new_overrides() -> None:
    original = schedule(
        NEW_YORK, HANDOFF, overrides=(override("cat", "2026-01-12T13:00", "2026-01-12T15:00"),)
    )
    oncall_at(original, utc("2026-01-12T13:30"))  # builds the plan; the copy must not reuse it
    copy = original.with_overrides([override("dan", "2026-01-12T13:00", "2026-01-12T15:00")])
    assert oncall_at(copy, utc("2026-01-12T13:30")) == ("dan",)
    assert oncall_at(original, utc("2026-01-12T13:30")) == ("cat",)
    assert copy.layers == original.layers and copy != original


def test_override_must_end_after_it_starts_and_be_aware() -> None:
    with pytest.raises(ValueError, match="end after"):
        override("dan", "2026-01-12T13:00", "2026-01-12T13:00")
    with pytest.raises(ValueError, match="timezone-aware"):
        Override("dan", datetime(2026, 1, 12, 13), utc("2026-01-12T14:00"))
