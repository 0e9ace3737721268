"""Wall-clock to instant: a missing local time is the transition, a repeated one its first occurrence."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from schedules.wallclock import as_utc, load_zone, to_instant, to_local
from tests.unit.schedules.builders import LONDON, NEW_YORK, SYDNEY, utc, wall

CASES = [
    # (zone, local wall-clock, instant, why)
    (NEW_YORK, "2026-03-08T01:59:59", "2026-03-08T06:59:59", "last second of EST"),
    (NEW_YORK, "2026-03-08T02:00", "2026-03-08T07:00", "start of the missing hour is the transition"),
    (NEW_YORK, "2026-03-08T02:30", "2026-03-08T07:00", "inside the missing hour is the transition"),
    (NEW_YORK, "2026-03-08T03:00", "2026-03-08T07:00", "first EDT time"),
    (NEW_YORK, "2026-11-01T01:30", "2026-11-01T05:30", "repeated hour: first occurrence (EDT)"),
    (NEW_YORK, "2026-11-01T02:00", "2026-11-01T07:00", "after the repeated hour"),
    (LONDON, "2026-03-29T01:30", "2026-03-29T01:00", "missing hour is the transition"),
    (LONDON, "2026-10-25T01:30", "2026-10-25T00:30", "repeated hour: first occurrence (BST)"),
    (SYDNEY, "2026-10-04T02:30", "2026-10-03T16:00", "missing hour is the transition"),
    (SYDNEY, "2026-04-05T02:30", "2026-04-04T15:30", "repeated hour: first occurrence (AEDT)"),
    (SYDNEY, "2026-04-05T03:00", "2026-04-04T17:00", "after the repeated hour (AEST)"),
]


@pytest.mark.parametrize(("zone", "local", "instant", "why"), CASES)
def test_local_time_maps_to_one_instant_by_the_dst_rule(
    zone: str, local: str, instant: str, why: str
) -> None:
    assert to_instant(wall(local), load_zone(zone)) == utc(instant), why


def test_second_occurrence_is_kept_when_the_time_says_fold_1() -> None:
    zone = load_zone(NEW_YORK)
    second = to_local(utc("2026-11-01T06:30"), zone)
    assert second.fold == 1
    assert to_instant(second, zone) == utc("2026-11-01T06:30")


def test_naive_instant_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        as_utc(datetime(2026, 1, 1, 9, 0))


def test_aware_instant_in_any_zone_becomes_utc() -> None:
    at = datetime(2026, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert as_utc(at) == utc("2026-01-01T14:00")
    assert as_utc(at).tzinfo is timezone.utc


def test_unknown_zone_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        load_zone("Mars/Olympus_Mons")
