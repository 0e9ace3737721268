"""Durations as the configuration writes them: `30s`, `5m`, `2h`, `1d`, or a sum such as `1h30m`."""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"(\d+)([smhd])")
_WHOLE = re.compile(r"(?:\d+[smhd])+")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class DurationError(ValueError):
    """A duration string that does not read as `<number><s|m|h|d>`."""


def parse_duration(text: object) -> timedelta:
    """Parse `5m`, `90s`, `1h30m`; a bare 0 means no delay. Anything else raises DurationError."""
    if text == 0 or text == "0":
        return timedelta(0)
    if not isinstance(text, str) or not _WHOLE.fullmatch(text.strip()):
        raise DurationError(f"bad duration {text!r}: use a number with s, m, h or d, such as 5m")
    seconds = sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _PART.findall(text.strip()))
    return timedelta(seconds=seconds)


def format_duration(span: timedelta) -> str:
    """The shortest config spelling of a duration (`90s` -> `1m30s`)."""
    seconds = int(span.total_seconds())
    if seconds == 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
