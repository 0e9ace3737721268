"""Restrictions: a layer is on only inside its local windows, edges included at start, excluded at end."""

from __future__ import annotations

import pytest

from schedules import Restriction, oncall_at, shifts_between
from tests.unit.schedules.builders import LONDON, NEW_YORK, SYDNEY, daily, layer, restrict, schedule, utc

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
WEEKDAYS = {MON, TUE, WED, THU, FRI}
BUSINESS = (restrict(WEEKDAYS, "09:00", "17:00"),)
FRIDAY_NIGHT = (restrict({FRI}, "22:00", "06:00"),)

# (zone, restrictions, instant in UTC, is the layer on?)
CASES = [
    # Business hours, winter (EST, UTC-5) and summer (EDT, UTC-4).
    (NEW_YORK, BUSINESS, "2026-01-05T13:59:59", False),
    (NEW_YORK, BUSINESS, "2026-01-05T14:00:00", True),
    (NEW_YORK, BUSINESS, "2026-01-05T14:00:01", True),
    (NEW_YORK, BUSINESS, "2026-01-05T21:59:59", True),
    (NEW_YORK, BUSINESS, "2026-01-05T22:00:00", False),
    (NEW_YORK, BUSINESS, "2026-01-10T17:00:00", False),  # Saturday noon
    (NEW_YORK, BUSINESS, "2026-07-06T12:59:59", False),
    (NEW_YORK, BUSINESS, "2026-07-06T13:00:00", True),
    (NEW_YORK, BUSINESS, "2026-07-06T20:59:59", True),
    (NEW_YORK, BUSINESS, "2026-07-06T21:00:00", False),
    # 22:00-06:00 on Friday belongs to Friday and runs into Saturday morning only.
    (NEW_YORK, FRIDAY_NIGHT, "2026-01-10T02:59:59", False),
    (NEW_YORK, FRIDAY_NIGHT, "2026-01-10T03:00:00", True),
    (NEW_YORK, FRIDAY_NIGHT, "2026-01-10T05:00:00", True),  # Saturday 00:00
    (NEW_YORK, FRIDAY_NIGHT, "2026-01-10T10:59:59", True),
    (NEW_YORK, FRIDAY_NIGHT, "2026-01-10T11:00:00", False),
    (NEW_YORK, FRIDAY_NIGHT, "2026-01-11T03:00:00", False),  # Saturday 22:00: Saturday not listed
    (NEW_YORK, FRIDAY_NIGHT, "2026-01-09T05:00:00", False),  # Friday 00:00: Thursday not listed
    # A night window over spring forward ends at 06:00 EDT, not 06:00 EST.
    (NEW_YORK, (restrict({SAT}, "22:00", "06:00"),), "2026-03-08T03:00:00", True),
    (NEW_YORK, (restrict({SAT}, "22:00", "06:00"),), "2026-03-08T09:59:59", True),
    (NEW_YORK, (restrict({SAT}, "22:00", "06:00"),), "2026-03-08T10:00:00", False),
    # A window ending inside the missing hour ends at the transition.
    (NEW_YORK, (restrict({SUN}, "00:00", "02:30"),), "2026-03-08T06:59:59", True),
    (NEW_YORK, (restrict({SUN}, "00:00", "02:30"),), "2026-03-08T07:00:00", False),
    # A window starting inside the repeated hour starts at its first occurrence and runs through the second.
    (NEW_YORK, (restrict({SUN}, "01:30", "02:30"),), "2026-11-01T05:29:59", False),
    (NEW_YORK, (restrict({SUN}, "01:30", "02:30"),), "2026-11-01T05:30:00", True),
    (NEW_YORK, (restrict({SUN}, "01:30", "02:30"),), "2026-11-01T06:15:00", True),  # 01:15 EST, second pass
    (NEW_YORK, (restrict({SUN}, "01:30", "02:30"),), "2026-11-01T07:29:59", True),
    (NEW_YORK, (restrict({SUN}, "01:30", "02:30"),), "2026-11-01T07:30:00", False),
    # from == to is a whole 24 h from that time; 00:00-00:00 is the whole day.
    (NEW_YORK, (restrict({MON}, "09:00", "09:00"),), "2026-01-05T13:59:59", False),
    (NEW_YORK, (restrict({MON}, "09:00", "09:00"),), "2026-01-05T14:00:00", True),
    (NEW_YORK, (restrict({MON}, "09:00", "09:00"),), "2026-01-06T13:59:59", True),
    (NEW_YORK, (restrict({MON}, "09:00", "09:00"),), "2026-01-06T14:00:00", False),
    (NEW_YORK, (restrict({SAT}, "00:00", "00:00"),), "2026-01-10T05:00:00", True),
    (NEW_YORK, (restrict({SAT}, "00:00", "00:00"),), "2026-01-11T04:59:59", True),
    (NEW_YORK, (restrict({SAT}, "00:00", "00:00"),), "2026-01-11T05:00:00", False),
    # Several restrictions are a union.
    (
        NEW_YORK,
        (restrict({MON}, "09:00", "12:00"), restrict({MON}, "13:00", "17:00")),
        "2026-01-05T17:30:00",
        False,
    ),
    (
        NEW_YORK,
        (restrict({MON}, "09:00", "12:00"), restrict({MON}, "13:00", "17:00")),
        "2026-01-05T18:00:00",
        True,
    ),
    # London and Sydney nights over their fall-back changes.
    (LONDON, (restrict({SAT}, "22:00", "06:00"),), "2026-10-24T20:59:59", False),
    (LONDON, (restrict({SAT}, "22:00", "06:00"),), "2026-10-24T21:00:00", True),
    (LONDON, (restrict({SAT}, "22:00", "06:00"),), "2026-10-25T05:59:59", True),
    (LONDON, (restrict({SAT}, "22:00", "06:00"),), "2026-10-25T06:00:00", False),
    (SYDNEY, (restrict({SAT}, "22:00", "06:00"),), "2026-04-04T10:59:59", False),
    (SYDNEY, (restrict({SAT}, "22:00", "06:00"),), "2026-04-04T11:00:00", True),
    (SYDNEY, (restrict({SAT}, "22:00", "06:00"),), "2026-04-04T19:59:59", True),
    (SYDNEY, (restrict({SAT}, "22:00", "06:00"),), "2026-04-04T20:00:00", False),
]


@pytest.mark.parametrize(("zone", "restrictions", "at", "on"), CASES)
def test_restricted_layer_is_on_only_inside_its_local_windows(
    zone: str, restrictions: tuple[Restriction, ...], at: str, on: bool
) -> None:
    restricted = schedule(zone, layer(daily("09:00"), "2026-01-01T09:00", ("ann",), restrictions))
    assert oncall_at(restricted, utc(at)) == (("ann",) if on else ())
    # The range view must agree with the point view at the same instant.
    one_second = shifts_between(restricted, utc(at), utc(at).replace(microsecond=1))
    assert bool(one_second) is on


def test_business_hours_week_is_five_separate_shifts() -> None:
    restricted = schedule(NEW_YORK, layer(daily("09:00"), "2026-01-01T09:00", ("ann",), BUSINESS))
    shifts = shifts_between(restricted, utc("2026-01-05T00:00"), utc("2026-01-12T00:00"))
    assert [(s.start_at, s.end_at) for s in shifts] == [
        (utc(f"2026-01-{day:02d}T14:00"), utc(f"2026-01-{day:02d}T22:00")) for day in range(5, 10)
    ]


def test_restriction_does_not_pause_the_rotation() -> None:
    # Handoffs keep their rhythm outside the windows: the next window belongs to whoever is on by then.
    restricted = schedule(NEW_YORK, layer(daily("09:00"), "2026-01-05T09:00", ("ann", "ben"), BUSINESS))
    assert oncall_at(restricted, utc("2026-01-09T15:00")) == ("ann",)  # Friday, day 4
    assert oncall_at(restricted, utc("2026-01-12T15:00")) == ("ben",)  # Monday, day 7


def test_window_starting_tomorrow_covers_a_repeated_hour_that_spans_midnight() -> None:
    # Goose Bay fell back at 00:01 on 2010-11-07: 23:01 Saturday came again after Sunday 00:00 had begun,
    # so 23:30 Saturday (second pass) is already inside a window that starts Sunday 00:00.
    sunday = schedule(
        "America/Goose_Bay",
        layer(daily("09:00"), "2010-11-01T09:00", ("ann",), (restrict({6}, "00:00", "01:00"),)),
    )
    assert oncall_at(sunday, utc("2010-11-07T02:59:59")) == ()
    assert oncall_at(sunday, utc("2010-11-07T03:00:00")) == ("ann",)
    assert oncall_at(sunday, utc("2010-11-07T03:30:00")) == ("ann",)  # Saturday 23:30, second pass
    assert oncall_at(sunday, utc("2010-11-07T04:59:59")) == ("ann",)
    assert oncall_at(sunday, utc("2010-11-07T05:00:00")) == ()
