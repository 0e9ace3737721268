"""Retry-After as Slack (whole seconds) and Twilio (seconds or an HTTP date) send it."""

from __future__ import annotations

from datetime import datetime, timezone

from integrations.retry_after import retry_after_seconds

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)


def test_seconds_dates_and_nonsense() -> None:
    assert retry_after_seconds("30", NOW) == 30.0
    assert retry_after_seconds(" 1.5 ", NOW) == 1.5
    assert retry_after_seconds("-4", NOW) == 0.0
    assert retry_after_seconds("Sun, 01 Mar 2026 09:01:00 GMT", NOW) == 60.0
    assert retry_after_seconds("Sun, 01 Mar 2026 08:59:00 GMT", NOW) == 0.0
    assert retry_after_seconds("soon", NOW) is None
    assert retry_after_seconds("inf", NOW) is None and retry_after_seconds("nan", NOW) is None
    assert retry_after_seconds("", NOW) is None
    assert retry_after_seconds(None, NOW) is None
