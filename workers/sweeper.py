"""The sweeper: every few seconds, run what Redis lost (DESIGN rule 4).

It claims due escalation steps, open-time triggers and outbox rows straight from the database,
through the same compare-and-set claims as the jobs, so running it beside the jobs (or on several
hosts at once) can never page twice. It leaves a short grace after each due time so that, while
Redis is healthy, the jobs do the work and the sweeper finds nothing.
"""

from __future__ import annotations

import logging
import signal
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from app.clock import utc_now
from app.delivery import deliver, due_pending, reset_stuck
from app.escalation import engine
from app.runtime import Runtime

log = logging.getLogger(__name__)

GRACE = timedelta(seconds=2)


@dataclass
class SweepReport:
    """What one sweep found and ran."""

    steps: int = 0
    triggers: int = 0
    deliveries: int = 0
    unstuck: int = 0

    @property
    def total(self) -> int:
        """How many lost timers and rows this sweep ran."""
        return self.steps + self.triggers + self.deliveries + self.unstuck


def sweep_due_timers(runtime: Runtime, grace: timedelta = GRACE) -> SweepReport:
    """One sweep: overdue steps, overdue triggers, stuck and overdue outbox rows."""
    report = SweepReport()
    cutoff = utc_now() - grace
    with runtime.session() as session:
        due = engine.due_incidents(session, cutoff)
    for incident_id, token, step in due:
        with runtime.session() as session:
            if engine.wake(session, incident_id=incident_id, token=token, step=step, now=utc_now()):
                report.steps += 1
            session.commit()
    with runtime.session() as session:
        triggers = engine.due_triggers(session, cutoff)
    for trigger_id in triggers:
        with runtime.session() as session:
            if engine.fire_trigger(session, trigger_id=trigger_id, now=utc_now()):
                report.triggers += 1
            session.commit()
    with runtime.session() as session:
        report.unstuck = len(reset_stuck(session, utc_now()))
        session.commit()
    with runtime.session() as session:
        overdue = due_pending(session, utc_now(), grace)
    for notification_id, _channel in overdue:
        if deliver(runtime.session, runtime.notifiers, notification_id, utc_now, runtime.settings.public_url) != "skipped":
            report.deliveries += 1
    return report


def run_sweeper(runtime: Runtime, period: float, burst: bool = False) -> None:
    """Sweep every `period` seconds until SIGTERM/SIGINT (or once, with `burst`)."""
    stopping = {"now": False}

    def stop(*_: Any) -> None:
        stopping["now"] = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("sweeper started, every %.1fs", period)
    while not stopping["now"]:
        started = time.monotonic()
        try:
            report = sweep_due_timers(runtime)
            if report.total:
                log.warning("sweeper ran %s lost timers or rows", report)
        except Exception:  # noqa: BLE001 - a database outage must not kill the sweeper; retry next period
            log.exception("sweep failed; retrying in %.1fs", period)
        if burst:
            return
        time.sleep(max(0.1, period - (time.monotonic() - started)))
