"""Time the schedule math: `python bench/oncall.py`.

A 3-layer America/New_York schedule (weekly base; business-hours daily; nightly 12 h custom shifts
across midnight) with 200 overrides, some stacked. Targets: oncall_at under 50 us per call, one year
of shifts_between under 50 ms. Garbage collection is off while timing, as timeit does.
"""

from __future__ import annotations

import gc
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from datetime import time as clock
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from schedules import (
    Layer,
    Override,
    Restriction,
    Rotation,
    Schedule,
    oncall_at,
    shifts_between,
)  # noqa: E402

UTC = timezone.utc
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
YEAR_END = datetime(2027, 1, 1, tzinfo=UTC)
OVERRIDES = 200
ONCALL_CALLS = 20_000
FRESH_RUNS = 2_000
YEAR_RUNS = 100


def build_schedule(rng: random.Random) -> Schedule:
    """The benchmark schedule: three layers and OVERRIDES overrides spread over 2026."""
    weekdays = frozenset(range(5))
    layers = (
        Layer(
            "weekly",
            Rotation("weekly", clock(9), 0),
            datetime(2026, 1, 5, 9),
            ("ann", "ben", "cat", "dan", "eve"),
        ),
        Layer(
            "business-hours",
            Rotation("daily", clock(9)),
            datetime(2026, 1, 5, 9),
            ("fay", "gus", "hal"),
            (Restriction(weekdays, clock(9), clock(17)),),
        ),
        Layer(
            "nights",
            Rotation("custom", shift=timedelta(hours=12)),
            datetime(2026, 1, 5, 8),
            ("ivy", "jon"),
            (Restriction(frozenset(range(7)), clock(20), clock(8)),),
        ),
    )
    overrides = []
    for seq in range(OVERRIDES):
        start_at = YEAR_START + timedelta(minutes=rng.randrange(365 * 24 * 60))
        length = timedelta(minutes=rng.randrange(60, 48 * 60))
        overrides.append(Override(rng.choice(["kim", "lee", "max"]), start_at, start_at + length, seq))
    return Schedule("bench", "America/New_York", layers, tuple(overrides))


def percentile(samples: list[float], fraction: float) -> float:
    """The value below which `fraction` of the sorted samples fall."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def timed(runs: int, call: Callable[[int], object]) -> list[float]:
    """Seconds taken by each of `runs` calls of call(i), with the garbage collector off."""
    samples = []
    gc.disable()
    try:
        for i in range(runs):
            begin = time.perf_counter()
            call(i)
            samples.append(time.perf_counter() - begin)
    finally:
        gc.enable()
    return samples


def report(name: str, samples: list[float], unit: str, scale: float, target: float | None = None) -> None:
    """Print median and p99, and how they compare with the target when there is one."""
    median, p99 = statistics.median(samples) * scale, percentile(samples, 0.99) * scale
    line = f"{name:<42} median {median:8.2f} {unit}   p99 {p99:8.2f} {unit}"
    if target is not None:
        verdicts = ["ok" if value < target else "OVER" for value in (median, p99)]
        line += f"   target < {target:g} {unit}: median {verdicts[0]}, p99 {verdicts[1]}"
    print(line)


def main() -> None:
    """Run every measurement and print the figures."""
    rng = random.Random(20260105)
    schedule = build_schedule(rng)
    instants = [YEAR_START + timedelta(seconds=rng.randrange(365 * 86400)) for _ in range(ONCALL_CALLS)]
    # Fresh copies have no plan yet: overrides unstacked, clocks unbuilt, every cache cold.
    fresh = [schedule.with_overrides(schedule.overrides) for _ in range(FRESH_RUNS + YEAR_RUNS)]
    print(
        f"python {sys.version.split()[0]}; 3 layers, {OVERRIDES} overrides; "
        f"{len(shifts_between(schedule, YEAR_START, YEAR_END))} shifts in 2026"
    )

    report(
        "plan: first oncall_at on a new Schedule",
        timed(FRESH_RUNS, lambda i: oncall_at(fresh[i], instants[i])),
        "ms",
        1e3,
    )
    # Each copy now has a plan; a lookup on another day still computes its windows and handoffs.
    report(
        "oncall_at, planned but uncached day",
        timed(FRESH_RUNS, lambda i: oncall_at(fresh[i], instants[-1 - i])),
        "us",
        1e6,
        50,
    )
    report(
        f"oncall_at, warm ({ONCALL_CALLS} calls)",
        timed(ONCALL_CALLS, lambda i: oncall_at(schedule, instants[i])),
        "us",
        1e6,
        50,
    )
    report(
        "shifts_between 2026, new Schedule each run",
        timed(YEAR_RUNS, lambda i: shifts_between(fresh[FRESH_RUNS + i], YEAR_START, YEAR_END)),
        "ms",
        1e3,
        50,
    )
    report(
        "shifts_between 2026, same Schedule",
        timed(YEAR_RUNS, lambda i: shifts_between(schedule, YEAR_START, YEAR_END)),
        "ms",
        1e3,
        50,
    )


if __name__ == "__main__":
    main()
