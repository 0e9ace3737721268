"""On-call schedules: rotations, layers, restrictions and overrides. Pure: standard library only,
and nothing here reads the clock; every instant is passed in, aware UTC."""

from schedules.model import Layer, Override, Restriction, Rotation, Schedule, Shift
from schedules.oncall import gaps_between, oncall_at, shifts_between
from schedules.spec import ScheduleSpecError, schedule_from_dict

__all__ = [
    "Layer",
    "Override",
    "Restriction",
    "Rotation",
    "Schedule",
    "ScheduleSpecError",
    "Shift",
    "gaps_between",
    "oncall_at",
    "schedule_from_dict",
    "shifts_between",
]
