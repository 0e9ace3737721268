"""The schedules used by these tests, and the pure answers the app's must agree with."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import yaml

from app.escalation.oncall import load_schedule
from app.platform.clock import isoformat
from schedules import Schedule
from tests.support.config import TEST_CONFIG

# checkout-primary (from TEST_CONFIG): weekly alice/bob, Monday 09:00 America/New_York, no gaps.
# support-hours: daily bob/carol at 09:00 Europe/London, weekdays 09:00-17:00 only, so nights and
# weekends are gaps; one override from the configuration file.
SUPPORT_HOURS: dict[str, Any] = {
    "id": "support-hours",
    "time_zone": "Europe/London",
    "layers": [{
        "name": "days",
        "rotation": {"type": "daily", "handoff": "09:00"},
        "start": "2026-01-05T09:00",
        "users": ["bob", "carol"],
        "restrict": [{"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:00"}],
    }],
    "overrides": [{"user": "gina", "start": "2027-01-04T09:00", "end": "2027-01-05T09:00"}],
}


def schedules_config() -> str:
    """TEST_CONFIG plus the support-hours schedule."""
    document = yaml.safe_load(TEST_CONFIG)
    document["schedules"].append(SUPPORT_HOURS)
    return yaml.safe_dump(document, sort_keys=False)


def stored_schedule(runtime: Any, schedule_id: str) -> Schedule:
    """The schedule as the app stores it, overrides included (what the pure functions are asked)."""
    with runtime.session() as session:
        return load_schedule(session, schedule_id)


def utc(text: str) -> datetime:
    """An aware UTC instant from `2026-01-12T14:00:00Z`."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def iso(value: datetime) -> str:
    """The API's spelling of an instant."""
    text = isoformat(value)
    assert text is not None
    return text
