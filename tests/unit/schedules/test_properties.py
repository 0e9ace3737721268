"""Properties of the range view, over random schedules around the 2026 DST changes.

shifts_between never overlaps, is sorted and joined, covers exactly what gaps_between does not, and
agrees with oncall_at at every shift and gap edge and at random instants.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schedules import (
    Layer,
    Override,
    Restriction,
    Rotation,
    Schedule,
    Shift,
    gaps_between,
    oncall_at,
    shifts_between,
)
from schedules.wallclock import load_zone, to_local
from tests.unit.schedules.builders import LONDON, NEW_YORK, SYDNEY, utc

ZONES = [NEW_YORK, LONDON, SYDNEY, "UTC"]
# Instants near each 2026 DST change of the three zones, so random schedules straddle them often.
FOCUS = [
    utc(t)
    for t in [
        "2026-03-08T07:00",
        "2026-11-01T06:00",
        "2026-03-29T01:00",
        "2026-10-25T01:00",
        "2026-04-04T16:00",
        "2026-10-03T16:00",
        "2026-06-15T12:00",
    ]
]
# Local times that fall in the missing or repeated hours of those changes, and ordinary ones.
CLOCKS = [
    time(h, m)
    for h, m in [(0, 0), (1, 0), (1, 30), (2, 0), (2, 30), (3, 0), (9, 0), (17, 0), (22, 0), (23, 30)]
]
MICROSECOND = timedelta(microseconds=1)

clocks = st.one_of(st.sampled_from(CLOCKS), st.times().map(lambda t: t.replace(second=0, microsecond=0)))
rotations = st.one_of(
    st.just(Rotation("hourly")),
    st.builds(lambda h: Rotation("daily", handoff=h), st.none() | clocks),
    st.builds(lambda h, d: Rotation("weekly", handoff=h, handoff_weekday=d), clocks, st.integers(0, 6)),
    st.builds(
        lambda m: Rotation("custom", shift=timedelta(minutes=m)),
        st.sampled_from([30, 90, 720, 1440, 2880, 2160, 10080]),
    ),
)
restrictions = st.builds(Restriction, st.frozensets(st.integers(0, 6), min_size=1), clocks, clocks)


@st.composite
def focus_instants(draw: st.DrawFn) -> datetime:
    center = draw(st.sampled_from(FOCUS))
    return center + timedelta(minutes=draw(st.integers(-4 * 1440, 4 * 1440)))


@st.composite
def layers(draw: st.DrawFn, zone: str, index: int) -> Layer:
    # Either the wall-clock time of an instant (fold=1 in a repeated hour, as an explicit offset
    # gives) or a configured-looking local time, which may fall in a missing or repeated hour.
    local = to_local(draw(focus_instants()) - timedelta(days=draw(st.integers(0, 10))), load_zone(zone))
    start = local.replace(second=0) if draw(st.booleans()) else datetime.combine(local.date(), draw(clocks))
    return Layer(
        name=f"layer-{index}",
        rotation=draw(rotations),
        start=start,
        users=tuple(draw(st.lists(st.sampled_from(["ann", "ben", "cat", "dan"]), min_size=1, max_size=3))),
        restrictions=tuple(draw(st.lists(restrictions, max_size=2))),
    )


@st.composite
def overrides(draw: st.DrawFn) -> Override:
    start_at = draw(focus_instants())
    length = timedelta(minutes=draw(st.integers(1, 3 * 1440)))
    return Override(
        draw(st.sampled_from(["eve", "fay", "ann"])), start_at, start_at + length, draw(st.integers(0, 3))
    )


@st.composite
def schedules_and_ranges(draw: st.DrawFn) -> tuple[Schedule, datetime, datetime]:
    zone = draw(st.sampled_from(ZONES))
    count = draw(st.integers(0, 3))
    schedule = Schedule(
        id="random",
        time_zone=zone,
        layers=tuple(draw(layers(zone, i)) for i in range(count)),
        overrides=tuple(draw(st.lists(overrides(), max_size=5))),
    )
    start_at = draw(focus_instants())
    return schedule, start_at, start_at + timedelta(minutes=draw(st.integers(1, 6 * 1440)))


def _expected(shifts: list[Shift], at: datetime) -> tuple[str, ...]:
    for shift in shifts:
        if shift.start_at <= at < shift.end_at:
            return shift.users
    return ()


PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(schedules_and_ranges())
def test_shifts_are_sorted_disjoint_joined_and_inside_the_range(
    case: tuple[Schedule, datetime, datetime],
) -> None:
    schedule, start_at, end_at = case
    shifts = shifts_between(schedule, start_at, end_at)
    for shift in shifts:
        assert start_at <= shift.start_at < shift.end_at <= end_at
        assert shift.users
    for before, after in zip(shifts, shifts[1:]):
        assert before.end_at <= after.start_at
        assert not (before.end_at == after.start_at and before.users == after.users), "not joined"


@PROPERTY
@given(schedules_and_ranges())
def test_shifts_and_gaps_tile_the_range_exactly(case: tuple[Schedule, datetime, datetime]) -> None:
    schedule, start_at, end_at = case
    pieces = [(s.start_at, s.end_at) for s in shifts_between(schedule, start_at, end_at)]
    pieces += gaps_between(schedule, start_at, end_at)
    pieces.sort()
    cursor = start_at
    for begin, end in pieces:
        assert begin == cursor, "a hole or an overlap between shifts and gaps"
        assert begin < end
        cursor = end
    assert cursor == end_at


@PROPERTY
@given(schedules_and_ranges(), st.lists(st.integers(0, 10**6), max_size=20))
def test_shifts_agree_with_oncall_at_at_edges_and_inside(
    case: tuple[Schedule, datetime, datetime], permille: list[int]
) -> None:
    schedule, start_at, end_at = case
    shifts = shifts_between(schedule, start_at, end_at)
    gaps = gaps_between(schedule, start_at, end_at)
    samples = [start_at, end_at - MICROSECOND]
    for begin, end in [(s.start_at, s.end_at) for s in shifts] + gaps:
        samples += [begin, end - MICROSECOND, begin + (end - begin) / 2]
    samples += [start_at + (end_at - start_at) * p / 10**6 for p in permille]
    for at in samples:
        if start_at <= at < end_at:
            assert oncall_at(schedule, at) == _expected(shifts, at), at


@PROPERTY
@given(schedules_and_ranges(), st.integers(1, 10**6 - 1))
def test_splitting_the_range_changes_nothing_but_the_cut(
    case: tuple[Schedule, datetime, datetime], permille: int
) -> None:
    schedule, start_at, end_at = case
    middle = start_at + (end_at - start_at) * permille / 10**6
    whole = gaps_between(schedule, start_at, end_at)
    halves = gaps_between(schedule, start_at, middle) + gaps_between(schedule, middle, end_at)
    joined: list[tuple[datetime, datetime]] = []
    for begin, end in halves:
        if joined and joined[-1][1] == begin:
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((begin, end))
    assert joined == whole
