"""Build a Schedule from one entry of the YAML `schedules:` list (CONTRACT section 3), after PyYAML.

Errors name the path inside the entry (`layers[0].rotation.handoff`); the caller prefixes
`schedules[N].`. Whether the user ids exist is the caller's business, not ours.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from schedules.duration import DurationError, parse_duration
from schedules.model import Layer, Override, Restriction, Rotation, Schedule
from schedules.spec_values import ScheduleSpecError, parse_clock, parse_days, parse_moment, parse_weekly
from schedules.wallclock import UTC, load_zone, to_instant, to_local

__all__ = ["ScheduleSpecError", "schedule_from_dict"]

# `name` and `description` are for people reading the file; anything else unknown is most likely a
# typo (`overides:`) that would otherwise drop part of the schedule without a word.
_SCHEDULE_KEYS = {"id", "time_zone", "layers", "overrides", "name", "description"}
_LAYER_KEYS = {"name", "rotation", "start", "users", "restrict"}
_ROTATION_KEYS = {"weekly": {"handoff"}, "daily": {"handoff"}, "hourly": set(), "custom": {"shift"}}
_RESTRICT_KEYS = {"days", "from", "to"}
_OVERRIDE_KEYS = {"user", "start", "end"}


def schedule_from_dict(data: dict[str, Any]) -> Schedule:
    """The Schedule one `schedules:` entry describes; ScheduleSpecError names what is wrong and where."""
    _mapping(data, "", _SCHEDULE_KEYS)
    schedule_id = _text(_required(data, "id", ""), "id")
    zone_name = _text(_required(data, "time_zone", ""), "time_zone")
    try:
        zone = load_zone(zone_name)
    except ValueError:
        raise ScheduleSpecError("time_zone", f"unknown time zone {zone_name!r}") from None
    layers = tuple(
        _layer(entry, f"layers[{i}]", zone_name) for i, entry in enumerate(_list(data, "layers", ""))
    )
    _check_unique_names(layers)
    overrides = tuple(
        _override(entry, f"overrides[{i}]", i, zone) for i, entry in enumerate(_list(data, "overrides", ""))
    )
    return Schedule(id=schedule_id, time_zone=zone_name, layers=layers, overrides=overrides)


def _layer(data: object, path: str, zone_name: str) -> Layer:
    entry = _mapping(data, path, _LAYER_KEYS)
    name = _text(_required(entry, "name", path), f"{path}.name")
    rotation = _rotation(_required(entry, "rotation", path), f"{path}.rotation")
    start = parse_moment(_required(entry, "start", path), f"{path}.start")
    if start.tzinfo is not None:
        # An explicit offset names an instant; the layer anchors on its wall-clock time here
        # (fold is kept, so an instant in a repeated hour keeps its own occurrence).
        start = to_local(start, load_zone(zone_name))
    users = _required(entry, "users", path)
    if not isinstance(users, list) or not users:
        raise ScheduleSpecError(f"{path}.users", "must be a non-empty list of user ids")
    user_ids = tuple(_text(user, f"{path}.users[{i}]") for i, user in enumerate(users))
    restrictions = tuple(
        _restriction(item, f"{path}.restrict[{i}]") for i, item in enumerate(_list(entry, "restrict", path))
    )
    return Layer(name=name, rotation=rotation, start=start, users=user_ids, restrictions=restrictions)


def _rotation(data: object, path: str) -> Rotation:
    kind = _required(_mapping(data, path, None), "type", path)
    if not isinstance(kind, str) or kind not in _ROTATION_KEYS:
        raise ScheduleSpecError(
            f"{path}.type", f"unknown rotation type {kind!r}; use weekly, daily, hourly or custom"
        )
    entry = _mapping(data, path, {"type"} | _ROTATION_KEYS[kind])
    if kind == "weekly" and "handoff" in entry:
        weekday, handoff = parse_weekly(entry["handoff"], f"{path}.handoff")
        return Rotation(kind, handoff=handoff, handoff_weekday=weekday)
    if kind == "daily" and "handoff" in entry:
        return Rotation(kind, handoff=parse_clock(entry["handoff"], f"{path}.handoff"))
    if kind == "custom":
        try:
            shift = parse_duration(_required(entry, "shift", path))
        except DurationError as error:
            raise ScheduleSpecError(f"{path}.shift", str(error)) from None
        if shift.total_seconds() <= 0:
            raise ScheduleSpecError(f"{path}.shift", "must be longer than zero")
        return Rotation(kind, shift=shift)
    return Rotation(kind)  # hourly, or daily/weekly handing off at the start's own time


def _restriction(data: object, path: str) -> Restriction:
    entry = _mapping(data, path, _RESTRICT_KEYS)
    days = parse_days(entry["days"], f"{path}.days") if "days" in entry else frozenset(range(7))
    start = parse_clock(_required(entry, "from", path), f"{path}.from")
    end = parse_clock(_required(entry, "to", path), f"{path}.to", allow_24=True)
    return Restriction(days=days, start=start, end=end)


def _override(data: object, path: str, position: int, zone: ZoneInfo) -> Override:
    entry = _mapping(data, path, _OVERRIDE_KEYS)
    user = _text(_required(entry, "user", path), f"{path}.user")
    start_at = _instant(parse_moment(_required(entry, "start", path), f"{path}.start"), zone)
    end_at = _instant(parse_moment(_required(entry, "end", path), f"{path}.end"), zone)
    if end_at <= start_at:
        raise ScheduleSpecError(f"{path}.end", "must be after start")
    # Later entries in the file win where overrides overlap.
    return Override(user=user, start_at=start_at, end_at=end_at, seq=position)


def _instant(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo is not None else to_instant(moment, zone)


def _check_unique_names(layers: tuple[Layer, ...]) -> None:
    seen: set[str] = set()
    for i, layer in enumerate(layers):
        if layer.name in seen:
            raise ScheduleSpecError(f"layers[{i}].name", f"duplicate layer name {layer.name!r}")
        seen.add(layer.name)


def _mapping(data: object, path: str, allowed: set[str] | None) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ScheduleSpecError(path, f"must be a mapping, got {type(data).__name__}")
    for key in data:
        if allowed is not None and key not in allowed:
            where = f"{path}.{key}" if path else str(key)
            raise ScheduleSpecError(where, f"unknown key; expected one of {', '.join(sorted(allowed))}")
    return data


def _required(data: dict[str, Any], key: str, path: str) -> Any:
    if data.get(key) is None:
        raise ScheduleSpecError(f"{path}.{key}" if path else key, "is required")
    return data[key]


def _list(data: dict[str, Any], key: str, path: str) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ScheduleSpecError(f"{path}.{key}" if path else key, "must be a list")
    return value


def _text(value: object, path: str) -> str:
    if isinstance(value, bool):
        raise ScheduleSpecError(path, f"must be a string; quote it (YAML read yes/no/on/off as {value})")
    if not isinstance(value, str) or not value.strip():
        raise ScheduleSpecError(path, f"must be a non-empty string, got {value!r}")
    return value
