"""Forcing an interleaving: wait until other connections are seen blocked on a lock the test holds."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import text


def wait_for_lock_waits(runtime: Any, count: int = 1) -> None:
    """Until `count` other backends of this PostgreSQL database wait on a lock."""
    deadline = time.monotonic() + 30
    with runtime.engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                        "AND datname = current_database()")).scalar()
            conn.rollback()
            if (waiting or 0) >= count:
                return
            time.sleep(0.01)
    raise AssertionError(f"{count} connection(s) never waited on the test's lock")
