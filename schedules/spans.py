"""Operations on sorted lists of non-overlapping half-open spans (start_at, end_at, users).

Plain tuples rather than Shift objects: a year of an hourly layer is ~9,000 spans, and these run in
one pass each (two pointers), so shifts_between stays linear in the number of spans.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

Span = tuple[datetime, datetime, tuple[str, ...]]


def overlay(base: list[Span], top: list[Span]) -> list[Span]:
    """`top` wherever it has a span, `base` elsewhere: how a later layer or an override wins."""
    if not top:
        return base
    if not base:
        return top
    return sorted(top + _uncovered(base, top), key=_start)


def intersect(spans: Iterable[Span], windows: list[tuple[datetime, datetime]]) -> list[Span]:
    """The parts of `spans` inside the sorted, merged `windows` (a layer cut by its restrictions)."""
    result: list[Span] = []
    first = 0
    for start_at, end_at, users in spans:
        while first < len(windows) and windows[first][1] <= start_at:
            first += 1
        index = first
        while index < len(windows) and windows[index][0] < end_at:
            window_start, window_end = windows[index]
            result.append((max(start_at, window_start), min(end_at, window_end), users))
            index += 1
    return result


def clip(spans: Iterable[Span], start_at: datetime, end_at: datetime) -> list[Span]:
    """The parts of `spans` inside [start_at, end_at)."""
    return [
        (max(begin, start_at), min(end, end_at), users)
        for begin, end, users in spans
        if end > start_at and begin < end_at
    ]


def join(spans: list[Span]) -> list[Span]:
    """One span where the same people continue without a break."""
    joined: list[Span] = []
    for span in spans:
        if joined and joined[-1][1] == span[0] and joined[-1][2] == span[2]:
            joined[-1] = (joined[-1][0], span[1], span[2])
        else:
            joined.append(span)
    return joined


def complement(spans: list[Span], start_at: datetime, end_at: datetime) -> list[tuple[datetime, datetime]]:
    """The parts of [start_at, end_at) that no span covers."""
    holes: list[tuple[datetime, datetime]] = []
    cursor = start_at
    for begin, end, _ in spans:
        if begin > cursor:
            holes.append((cursor, min(begin, end_at)))
        cursor = max(cursor, end)
        if cursor >= end_at:
            break
    if cursor < end_at:
        holes.append((cursor, end_at))
    return [(begin, end) for begin, end in holes if begin < end]


def _uncovered(base: list[Span], top: list[Span]) -> list[Span]:
    """The parts of `base` that no span of `top` covers."""
    pieces: list[Span] = []
    first = 0
    for start_at, end_at, users in base:
        while first < len(top) and top[first][1] <= start_at:
            first += 1
        cursor = start_at
        index = first
        while index < len(top) and top[index][0] < end_at and cursor < end_at:
            if top[index][0] > cursor:
                pieces.append((cursor, top[index][0], users))
            cursor = top[index][1]  # top spans are sorted and disjoint: each ends after the last
            index += 1
        if cursor < end_at:
            pieces.append((cursor, end_at, users))
    return pieces


def _start(span: Span) -> datetime:
    return span[0]
