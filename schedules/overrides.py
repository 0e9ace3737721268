"""Stacked overrides resolved once into non-overlapping spans, for bisect lookups and range queries.

Where overrides overlap the newest wins: the highest `seq`, and on equal `seq` the one listed later
(the configuration gives its overrides seq = position in the file, so a later entry wins).
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from datetime import datetime

from schedules.model import Override
from schedules.spans import Span, join


class OverrideIndex:
    """The overrides of one schedule as sorted, non-overlapping spans of the winning user."""

    def __init__(self, overrides: tuple[Override, ...]) -> None:
        self.spans = join(_resolve(overrides))
        self._starts = [span[0] for span in self.spans]
        self._ends = [span[1] for span in self.spans]

    def users_at(self, at: datetime) -> tuple[str, ...] | None:
        """The overriding user at aware UTC `at`, or None when no override covers it."""
        index = bisect_right(self._starts, at) - 1
        if index >= 0 and at < self._ends[index]:
            return self.spans[index][2]
        return None

    def between(self, start_at: datetime, end_at: datetime) -> list[Span]:
        """The override spans meeting [start_at, end_at), unclipped."""
        first = bisect_right(self._ends, start_at)
        last = bisect_left(self._starts, end_at)
        return self.spans[first:last]


def _resolve(overrides: tuple[Override, ...]) -> list[Span]:
    """Sweep the start and end instants, keeping the active overrides in a heap by priority."""
    ranked = sorted(
        ((o.start_at, -o.seq, -position, o) for position, o in enumerate(overrides)),
        key=lambda entry: entry[0],
    )
    points = sorted({o.start_at for o in overrides} | {o.end_at for o in overrides})
    active: list[tuple[int, int, datetime, str]] = []
    spans: list[Span] = []
    pending = 0
    for begin, end in zip(points, points[1:]):
        while pending < len(ranked) and ranked[pending][0] <= begin:
            _, seq_key, position_key, override = ranked[pending]
            heapq.heappush(active, (seq_key, position_key, override.end_at, override.user))
            pending += 1
        # Ended overrides are dropped lazily, only when they reach the top of the heap.
        while active and active[0][2] <= begin:
            heapq.heappop(active)
        if active:
            spans.append((begin, end, (active[0][3],)))
    return spans
