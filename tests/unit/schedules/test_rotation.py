"""Rotation math at every handoff, a second either side, across the 2026 DST changes of three zones."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from schedules import Layer, Rotation, oncall_at
from schedules.rotation import handoffs_between, participant_at
from schedules.wallclock import load_zone, to_local
from tests.unit.schedules.builders import (
    LONDON,
    NEW_YORK,
    SYDNEY,
    USERS,
    custom,
    daily,
    hourly,
    layer,
    schedule,
    utc,
    weekly,
)

MON, SUN = 0, 6

# (zone, rotation, layer start in local wall-clock, instant in UTC, who is on: ann/ben/cat or None)
WEEKLY_MONDAY_0900_STAYS_0900_LOCAL = [
    (NEW_YORK, weekly("09:00", MON), "2026-03-02T09:00", "2026-03-02T13:59:59", None),
    (NEW_YORK, weekly("09:00", MON), "2026-03-02T09:00", "2026-03-02T14:00:00", "ann"),
    (NEW_YORK, weekly("09:00", MON), "2026-03-02T09:00", "2026-03-09T12:59:59", "ann"),
    (NEW_YORK, weekly("09:00", MON), "2026-03-02T09:00", "2026-03-09T13:00:00", "ben"),
    (NEW_YORK, weekly("09:00", MON), "2026-03-02T09:00", "2026-03-09T13:00:01", "ben"),
    (NEW_YORK, weekly("09:00", MON), "2026-03-02T09:00", "2026-11-02T13:00:00", "ben"),
    (NEW_YORK, weekly("09:00", MON), "2026-03-02T09:00", "2026-11-02T13:59:59", "ben"),
    (NEW_YORK, weekly("09:00", MON), "2026-03-02T09:00", "2026-11-02T14:00:00", "cat"),
    (NEW_YORK, weekly("09:00", MON), "2026-03-02T09:00", "2026-11-02T14:00:01", "cat"),
    (LONDON, weekly("09:00", MON), "2026-03-23T09:00", "2026-03-30T07:59:59", "ann"),
    (LONDON, weekly("09:00", MON), "2026-03-23T09:00", "2026-03-30T08:00:00", "ben"),
    (LONDON, weekly("09:00", MON), "2026-03-23T09:00", "2026-03-30T08:00:01", "ben"),
    (LONDON, weekly("09:00", MON), "2026-03-23T09:00", "2026-10-26T08:59:59", "ann"),
    (LONDON, weekly("09:00", MON), "2026-03-23T09:00", "2026-10-26T09:00:00", "ben"),
    (SYDNEY, weekly("09:00", MON), "2026-03-30T09:00", "2026-04-05T22:59:59", "ann"),
    (SYDNEY, weekly("09:00", MON), "2026-03-30T09:00", "2026-04-05T23:00:00", "ben"),
    (SYDNEY, weekly("09:00", MON), "2026-03-30T09:00", "2026-04-05T23:00:01", "ben"),
    (SYDNEY, weekly("09:00", MON), "2026-03-30T09:00", "2026-10-04T21:59:59", "cat"),
    (SYDNEY, weekly("09:00", MON), "2026-03-30T09:00", "2026-10-04T22:00:00", "ann"),
]

DAILY_0900_STAYS_0900_LOCAL = [
    (NEW_YORK, daily("09:00"), "2026-03-07T09:00", "2026-03-08T12:59:59", "ann"),
    (NEW_YORK, daily("09:00"), "2026-03-07T09:00", "2026-03-08T13:00:00", "ben"),
    (NEW_YORK, daily("09:00"), "2026-03-07T09:00", "2026-03-08T13:00:01", "ben"),
    (NEW_YORK, daily("09:00"), "2026-03-07T09:00", "2026-03-09T13:00:00", "cat"),
    (NEW_YORK, daily("09:00"), "2026-10-31T09:00", "2026-11-01T13:59:59", "ann"),
    (NEW_YORK, daily("09:00"), "2026-10-31T09:00", "2026-11-01T14:00:00", "ben"),
    (LONDON, daily("09:00"), "2026-03-28T09:00", "2026-03-29T07:59:59", "ann"),
    (LONDON, daily("09:00"), "2026-03-28T09:00", "2026-03-29T08:00:00", "ben"),
    (LONDON, daily("09:00"), "2026-10-24T09:00", "2026-10-25T09:00:00", "ben"),
    (LONDON, daily("09:00"), "2026-10-24T09:00", "2026-10-25T08:59:59", "ann"),
    (SYDNEY, daily("09:00"), "2026-04-04T09:00", "2026-04-04T22:59:59", "ann"),
    (SYDNEY, daily("09:00"), "2026-04-04T09:00", "2026-04-04T23:00:00", "ben"),
    (SYDNEY, daily("09:00"), "2026-10-03T09:00", "2026-10-03T22:30:00", "ben"),  # 24 h later would be 23:00
    (SYDNEY, daily("09:00"), "2026-10-03T09:00", "2026-10-03T22:00:00", "ben"),
    (SYDNEY, daily("09:00"), "2026-10-03T09:00", "2026-10-03T21:59:59", "ann"),
]

HANDOFF_IN_MISSING_HOUR_HAPPENS_AT_THE_TRANSITION = [
    (NEW_YORK, daily("02:30"), "2026-03-07T02:30", "2026-03-08T06:59:59", "ann"),
    (NEW_YORK, daily("02:30"), "2026-03-07T02:30", "2026-03-08T07:00:00", "ben"),
    (NEW_YORK, daily("02:30"), "2026-03-07T02:30", "2026-03-08T07:00:01", "ben"),
    (NEW_YORK, daily("02:30"), "2026-03-07T02:30", "2026-03-09T06:29:59", "ben"),
    (NEW_YORK, daily("02:30"), "2026-03-07T02:30", "2026-03-09T06:30:00", "cat"),
    (NEW_YORK, weekly("02:30", SUN), "2026-03-01T02:30", "2026-03-08T06:59:59", "ann"),
    (NEW_YORK, weekly("02:30", SUN), "2026-03-01T02:30", "2026-03-08T07:00:00", "ben"),
    (LONDON, daily("01:30"), "2026-03-28T01:30", "2026-03-29T00:59:59", "ann"),
    (LONDON, daily("01:30"), "2026-03-28T01:30", "2026-03-29T01:00:00", "ben"),
    (LONDON, daily("01:30"), "2026-03-28T01:30", "2026-03-29T01:00:01", "ben"),
    (LONDON, daily("01:30"), "2026-03-28T01:30", "2026-03-30T00:30:00", "cat"),
    (SYDNEY, daily("02:30"), "2026-10-03T02:30", "2026-10-03T15:59:59", "ann"),
    (SYDNEY, daily("02:30"), "2026-10-03T02:30", "2026-10-03T16:00:00", "ben"),
    (SYDNEY, daily("02:30"), "2026-10-03T02:30", "2026-10-03T16:00:01", "ben"),
    (SYDNEY, daily("02:30"), "2026-10-03T02:30", "2026-10-04T15:30:00", "cat"),
]

HANDOFF_IN_REPEATED_HOUR_HAPPENS_AT_THE_FIRST_OCCURRENCE = [
    (NEW_YORK, daily("01:30"), "2026-10-31T01:30", "2026-11-01T05:29:59", "ann"),
    (NEW_YORK, daily("01:30"), "2026-10-31T01:30", "2026-11-01T05:30:00", "ben"),
    (NEW_YORK, daily("01:30"), "2026-10-31T01:30", "2026-11-01T05:30:01", "ben"),
    (NEW_YORK, daily("01:30"), "2026-10-31T01:30", "2026-11-01T06:30:00", "ben"),  # 01:30 again: no handoff
    (NEW_YORK, daily("01:30"), "2026-10-31T01:30", "2026-11-02T06:29:59", "ben"),
    (NEW_YORK, daily("01:30"), "2026-10-31T01:30", "2026-11-02T06:30:00", "cat"),
    (LONDON, daily("01:30"), "2026-10-24T01:30", "2026-10-25T00:29:59", "ann"),
    (LONDON, daily("01:30"), "2026-10-24T01:30", "2026-10-25T00:30:00", "ben"),
    (LONDON, daily("01:30"), "2026-10-24T01:30", "2026-10-25T01:30:00", "ben"),
    (LONDON, daily("01:30"), "2026-10-24T01:30", "2026-10-26T01:30:00", "cat"),
    (SYDNEY, daily("02:30"), "2026-04-04T02:30", "2026-04-04T15:29:59", "ann"),
    (SYDNEY, daily("02:30"), "2026-04-04T02:30", "2026-04-04T15:30:00", "ben"),
    (SYDNEY, daily("02:30"), "2026-04-04T02:30", "2026-04-04T16:30:00", "ben"),
    (SYDNEY, daily("02:30"), "2026-04-04T02:30", "2026-04-05T16:29:59", "ben"),
    (SYDNEY, daily("02:30"), "2026-04-04T02:30", "2026-04-05T16:30:00", "cat"),
]

HOURLY_COUNTS_ELAPSED_HOURS = [
    (NEW_YORK, hourly(), "2026-03-08T00:00", "2026-03-08T06:59:59", "ben"),  # 01:59:59 EST
    (NEW_YORK, hourly(), "2026-03-08T00:00", "2026-03-08T07:00:00", "cat"),  # 03:00 EDT: third hour
    (NEW_YORK, hourly(), "2026-03-08T00:00", "2026-03-08T07:00:01", "cat"),
    (NEW_YORK, hourly(), "2026-03-08T00:00", "2026-03-08T08:00:00", "ann"),
    (NEW_YORK, hourly(), "2026-11-01T00:00", "2026-11-01T05:00:00", "ben"),  # 01:00 EDT
    (NEW_YORK, hourly(), "2026-11-01T00:00", "2026-11-01T06:00:00", "cat"),  # 01:00 EST, again
    (NEW_YORK, hourly(), "2026-11-01T00:00", "2026-11-01T06:59:59", "cat"),
    (NEW_YORK, hourly(), "2026-11-01T00:00", "2026-11-01T07:00:00", "ann"),
    (LONDON, hourly(), "2026-03-29T00:00", "2026-03-29T00:59:59", "ann"),
    (LONDON, hourly(), "2026-03-29T00:00", "2026-03-29T01:00:00", "ben"),  # 02:00 BST
    (LONDON, hourly(), "2026-10-25T00:00", "2026-10-25T01:00:00", "cat"),  # 01:00 GMT, again
    (SYDNEY, hourly(), "2026-04-05T00:00", "2026-04-04T15:00:00", "cat"),  # 02:00 AEDT
    (SYDNEY, hourly(), "2026-04-05T00:00", "2026-04-04T16:00:00", "ann"),  # 02:00 AEST, again
    (SYDNEY, hourly(), "2026-10-04T00:00", "2026-10-03T16:00:00", "cat"),  # 03:00 AEDT
    (NEW_YORK, hourly(), "2026-01-01T09:30", "2026-01-01T15:29:59", "ann"),
    (NEW_YORK, hourly(), "2026-01-01T09:30", "2026-01-01T15:30:00", "ben"),
]

CUSTOM_SHIFTS = [
    # 12 h splits a day in two: from 09:00 EST it hands off at 21:00 EST, then 09:00 and 21:00 EDT.
    (NEW_YORK, custom(timedelta(hours=12)), "2026-03-07T09:00", "2026-03-08T01:59:59", "ann"),
    (NEW_YORK, custom(timedelta(hours=12)), "2026-03-07T09:00", "2026-03-08T02:00:00", "ben"),
    (NEW_YORK, custom(timedelta(hours=12)), "2026-03-07T09:00", "2026-03-08T12:59:59", "ben"),
    (NEW_YORK, custom(timedelta(hours=12)), "2026-03-07T09:00", "2026-03-08T13:00:00", "cat"),
    (NEW_YORK, custom(timedelta(hours=12)), "2026-03-07T09:00", "2026-03-08T13:00:01", "cat"),
    (NEW_YORK, custom(timedelta(hours=12)), "2026-03-07T09:00", "2026-03-09T00:59:59", "cat"),
    (NEW_YORK, custom(timedelta(hours=12)), "2026-03-07T09:00", "2026-03-09T01:00:00", "ann"),
    (NEW_YORK, custom(timedelta(hours=12)), "2026-10-31T09:00", "2026-11-01T13:59:59", "ben"),
    (NEW_YORK, custom(timedelta(hours=12)), "2026-10-31T09:00", "2026-11-01T14:00:00", "cat"),
    (SYDNEY, custom(timedelta(hours=12)), "2026-10-03T09:00", "2026-10-03T10:59:59", "ann"),
    (SYDNEY, custom(timedelta(hours=12)), "2026-10-03T09:00", "2026-10-03T11:00:00", "ben"),
    (SYDNEY, custom(timedelta(hours=12)), "2026-10-03T09:00", "2026-10-03T21:59:59", "ben"),
    (SYDNEY, custom(timedelta(hours=12)), "2026-10-03T09:00", "2026-10-03T22:00:00", "cat"),
    # The day/night rotation, 02:30/14:30 in Sydney across the April change: 02:30 on the
    # change day is ambiguous (its first pass, AEDT, is the handoff) and 14:30 AEST follows, not 13:30.
    (SYDNEY, custom(timedelta(hours=12)), "2026-04-04T02:30", "2026-04-04T15:29:59", "ben"),
    (SYDNEY, custom(timedelta(hours=12)), "2026-04-04T02:30", "2026-04-04T15:30:00", "cat"),
    (SYDNEY, custom(timedelta(hours=12)), "2026-04-04T02:30", "2026-04-05T03:30:00", "cat"),
    (SYDNEY, custom(timedelta(hours=12)), "2026-04-04T02:30", "2026-04-05T04:29:59", "cat"),
    (SYDNEY, custom(timedelta(hours=12)), "2026-04-04T02:30", "2026-04-05T04:30:00", "ann"),
    # 8 h splits a day in three: 06:00/14:00/22:00 London time on both sides of the March change.
    (LONDON, custom(timedelta(hours=8)), "2026-03-28T06:00", "2026-03-29T04:59:59", "cat"),
    (LONDON, custom(timedelta(hours=8)), "2026-03-28T06:00", "2026-03-29T05:00:00", "ann"),
    (LONDON, custom(timedelta(hours=8)), "2026-03-28T06:00", "2026-03-29T12:59:59", "ann"),
    (LONDON, custom(timedelta(hours=8)), "2026-03-28T06:00", "2026-03-29T13:00:00", "ben"),
    # 5 h does not divide a day: elapsed time, 5 h of real time a shift across the change.
    (NEW_YORK, custom(timedelta(hours=5)), "2026-03-07T22:00", "2026-03-08T07:59:59", "ann"),
    (NEW_YORK, custom(timedelta(hours=5)), "2026-03-07T22:00", "2026-03-08T08:00:00", "ben"),
    (NEW_YORK, custom(timedelta(hours=5)), "2026-03-07T22:00", "2026-03-08T13:00:00", "cat"),
    # Whole days keep the wall-clock time, like daily.
    (NEW_YORK, custom(timedelta(days=2)), "2026-03-07T09:00", "2026-03-09T12:59:59", "ann"),
    (NEW_YORK, custom(timedelta(days=2)), "2026-03-07T09:00", "2026-03-09T13:00:00", "ben"),
    (NEW_YORK, custom(timedelta(days=2)), "2026-03-07T09:00", "2026-03-09T13:00:01", "ben"),
    (LONDON, custom(timedelta(days=2)), "2026-10-24T09:00", "2026-10-26T08:59:59", "ann"),
    (LONDON, custom(timedelta(days=2)), "2026-10-24T09:00", "2026-10-26T09:00:00", "ben"),
]

START_AND_HANDOFF_DISAGREE_FIRST_SHIFT_RUNS_TO_FIRST_HANDOFF = [
    (NEW_YORK, weekly("09:00", MON), "2026-01-07T12:00", "2026-01-07T16:59:59", None),
    (NEW_YORK, weekly("09:00", MON), "2026-01-07T12:00", "2026-01-07T17:00:00", "ann"),
    (NEW_YORK, weekly("09:00", MON), "2026-01-07T12:00", "2026-01-12T13:59:59", "ann"),
    (NEW_YORK, weekly("09:00", MON), "2026-01-07T12:00", "2026-01-12T14:00:00", "ben"),
    (NEW_YORK, weekly("09:00", MON), "2026-01-07T12:00", "2026-01-19T14:00:00", "cat"),
    (NEW_YORK, daily("09:00"), "2026-01-05T00:00", "2026-01-05T13:59:59", "ann"),
    (NEW_YORK, daily("09:00"), "2026-01-05T00:00", "2026-01-05T14:00:00", "ben"),
    # No handoff given: the start's own time (and weekday) is the handoff.
    (NEW_YORK, Rotation("daily"), "2026-01-05T09:00", "2026-01-06T13:59:59", "ann"),
    (NEW_YORK, Rotation("daily"), "2026-01-05T09:00", "2026-01-06T14:00:00", "ben"),
    (NEW_YORK, Rotation("weekly"), "2026-01-07T12:00", "2026-01-14T16:59:59", "ann"),
    (NEW_YORK, Rotation("weekly"), "2026-01-07T12:00", "2026-01-14T17:00:00", "ben"),
]


def _check(zone: str, rotation: Rotation, start: str, at: str, expected: str | None) -> None:
    rotating = layer(rotation, start)
    assert oncall_at(schedule(zone, rotating), utc(at)) == ((expected,) if expected else ())
    # The rotation alone agrees whenever the layer has started.
    assert participant_at(rotating, zone, utc(at)) == expected


@pytest.mark.parametrize(("zone", "rotation", "start", "at", "expected"), WEEKLY_MONDAY_0900_STAYS_0900_LOCAL)
def test_weekly_handoff_stays_0900_local_across_dst(zone, rotation, start, at, expected) -> None:
    _check(zone, rotation, start, at, expected)


@pytest.mark.parametrize(("zone", "rotation", "start", "at", "expected"), DAILY_0900_STAYS_0900_LOCAL)
def test_daily_handoff_stays_0900_local_across_dst(zone, rotation, start, at, expected) -> None:
    _check(zone, rotation, start, at, expected)


@pytest.mark.parametrize(
    ("zone", "rotation", "start", "at", "expected"), HANDOFF_IN_MISSING_HOUR_HAPPENS_AT_THE_TRANSITION
)
def test_handoff_inside_missing_hour_happens_at_the_transition(zone, rotation, start, at, expected) -> None:
    _check(zone, rotation, start, at, expected)


@pytest.mark.parametrize(
    ("zone", "rotation", "start", "at", "expected"), HANDOFF_IN_REPEATED_HOUR_HAPPENS_AT_THE_FIRST_OCCURRENCE
)
def test_handoff_inside_repeated_hour_happens_once_at_first_occurrence(
    zone, rotation, start, at, expected
) -> None:
    _check(zone, rotation, start, at, expected)


@pytest.mark.parametrize(("zone", "rotation", "start", "at", "expected"), HOURLY_COUNTS_ELAPSED_HOURS)
def test_hourly_rotation_hands_off_every_elapsed_hour(zone, rotation, start, at, expected) -> None:
    _check(zone, rotation, start, at, expected)


@pytest.mark.parametrize(("zone", "rotation", "start", "at", "expected"), CUSTOM_SHIFTS)
def test_custom_shifts_splitting_a_day_equally_keep_local_handoffs_and_others_count_elapsed_time(zone, rotation, start, at, expected) -> None:
    _check(zone, rotation, start, at, expected)


@pytest.mark.parametrize(
    ("zone", "rotation", "start", "at", "expected"),
    START_AND_HANDOFF_DISAGREE_FIRST_SHIFT_RUNS_TO_FIRST_HANDOFF,
)
def test_first_shift_runs_from_start_to_first_handoff_after_it(zone, rotation, start, at, expected) -> None:
    _check(zone, rotation, start, at, expected)


@pytest.mark.parametrize(
    ("zone", "day_start", "day_end", "count"),
    [
        (NEW_YORK, "2026-03-08T05:00", "2026-03-09T04:00", 23),
        (NEW_YORK, "2026-11-01T04:00", "2026-11-02T05:00", 25),
        (LONDON, "2026-03-29T00:00", "2026-03-29T23:00", 23),
        (LONDON, "2026-10-24T23:00", "2026-10-26T00:00", 25),
        (SYDNEY, "2026-04-04T13:00", "2026-04-05T14:00", 25),
        (SYDNEY, "2026-10-03T14:00", "2026-10-04T13:00", 23),
    ],
)
def test_hourly_rotation_has_one_shift_per_elapsed_hour_of_a_dst_day(zone, day_start, day_end, count) -> None:
    rotating = layer(hourly(), "2026-01-01T00:00")
    assert len(handoffs_between(rotating, zone, utc(day_start), utc(day_end))) == count


@pytest.mark.parametrize(
    ("zone", "start"),
    [(NEW_YORK, "2026-01-05T09:00"), (LONDON, "2026-01-05T09:00"), (SYDNEY, "2026-01-05T09:00")],
)
def test_every_weekly_handoff_of_the_year_is_monday_0900_local(zone: str, start: str) -> None:
    handoffs = handoffs_between(
        layer(weekly("09:00", MON), start), zone, utc("2026-01-01T00:00"), utc("2027-01-01T00:00")
    )
    locals_ = [to_local(at, load_zone(zone)) for at in handoffs]
    assert len(handoffs) == 52
    assert {(local.weekday(), local.time()) for local in locals_} == {(MON, time(9, 0))}


def test_handoffs_between_includes_the_first_shift_and_excludes_the_end() -> None:
    rotating = layer(daily("09:00"), "2026-01-05T09:00")
    handoffs = handoffs_between(rotating, NEW_YORK, utc("2026-01-01T00:00"), utc("2026-01-07T14:00"))
    assert handoffs == [utc("2026-01-05T14:00"), utc("2026-01-06T14:00")]


def test_start_in_second_pass_of_repeated_hour_keeps_a_real_first_shift() -> None:
    # 01:30 EST (fold=1) starts after the first 01:45 (EDT) has passed: the next 01:45 hands off.
    rotating = Layer("l", daily("01:45"), datetime(2026, 11, 1, 1, 30, fold=1), USERS)
    second_pass = schedule(NEW_YORK, rotating)
    assert oncall_at(second_pass, utc("2026-11-01T06:29:59")) == ()
    assert oncall_at(second_pass, utc("2026-11-01T06:30:00")) == ("ann",)
    assert oncall_at(second_pass, utc("2026-11-01T06:50:00")) == ("ann",)
    assert oncall_at(second_pass, utc("2026-11-02T06:44:59")) == ("ann",)
    assert oncall_at(second_pass, utc("2026-11-02T06:45:00")) == ("ben",)


def test_start_and_handoff_in_the_same_missing_hour_do_not_make_an_empty_shift() -> None:
    same_gap = schedule(NEW_YORK, layer(daily("02:45"), "2026-03-08T02:15"))
    assert oncall_at(same_gap, utc("2026-03-08T07:00:00")) == ("ann",)
    assert oncall_at(same_gap, utc("2026-03-09T06:44:59")) == ("ann",)
    assert oncall_at(same_gap, utc("2026-03-09T06:45:00")) == ("ben",)
