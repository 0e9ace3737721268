"""End to end, with faults: real web, two workers (each with its RQ scheduler and sweeper lanes), and short
real ladders. Whatever breaks mid-ladder, every page goes out exactly once per (incident, level,
user, channel), and the late ones go out within the sweeper period after the fault clears."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from sqlmodel import col, select

from app.models import ConsoleMessage, Incident, Notification
from app.platform.clock import utc_now
from tests.support.config import apply_test_config
from tests.support.faults import FAULTS
from tests.support.processes import KlaxonProcesses, wait_for
from tests.support.redis_server import RedisServer
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.e2e

KEY = "e" * 32
INCIDENTS = 8
LEVELS = 3
SWEEPER_PERIOD = 1.0
STEP = timedelta(seconds=3)
FAST_LADDER = f"""
users:
  - {{id: alice, name: Alice, slack_user_id: UA, notify: [{{channel: slack, after: 0s}}]}}
  - {{id: bob, name: Bob, slack_user_id: UB, notify: [{{channel: slack, after: 0s}}]}}
  - {{id: carol, name: Carol, slack_user_id: UC, notify: [{{channel: slack, after: 0s}}]}}
escalation_policies:
  - id: fast
    levels:
      - {{targets: [user:alice], escalate_after: 3s}}
      - {{targets: [user:bob], escalate_after: 3s}}
      - {{targets: [user:carol]}}
services:
  - id: web
    name: Web
    escalation_policy: fast
    integration_keys: [{{name: main, key: "{KEY}"}}]
"""


class Ladders:
    """Fires incidents and reads back their pages."""

    def __init__(self, runtime: Any, klaxon: KlaxonProcesses) -> None:
        self.runtime, self.klaxon = runtime, klaxon

    def fire(self) -> None:
        for n in range(INCIDENTS):
            body = {"routing_key": KEY, "event_action": "trigger", "dedup_key": f"fault-{n}",
                    "payload": {"summary": f"disk full {n}", "source": "e2e", "severity": "critical"}}
            assert requests.post(f"{self.klaxon.base_url}/v2/enqueue", json=body, timeout=10).status_code == 202

    def sent(self) -> list[Notification]:
        with self.runtime.session() as session:
            return list(session.exec(select(Notification).where(col(Notification.status) == "sent")).all())

    def worst_delay_after(self, cleared_at: datetime) -> float:
        """Seconds from when each page could first go out (its level's due time, or the fault
        clearing if later) to when it went out; the worst of them."""
        with self.runtime.session() as session:
            rows = session.exec(select(Notification, Incident.created_at).join(Incident)
                                .where(col(Notification.status) == "sent")).all()
        return max((row.sent_at - max(created + STEP * (row.level - 1), cleared_at)).total_seconds()
                   for row, created in rows if row.sent_at)

    def complete(self) -> bool:
        return len(self.sent()) >= INCIDENTS * LEVELS

    def assert_exactly_once(self) -> None:
        rows = self.sent()
        keys = Counter((r.incident_id, r.level, r.recipient, r.channel) for r in rows)
        assert len(keys) == INCIDENTS * LEVELS, f"lost pages: {INCIDENTS * LEVELS - len(keys)}"
        assert max(keys.values()) == 1
        with self.runtime.session() as session:
            messages = Counter(m.notification_id for m in session.exec(select(ConsoleMessage)).all())
        assert sorted(messages) == sorted(r.id for r in rows), "every sent page reached the outbox"
        assert max(messages.values()) == 1, "no page was delivered twice"
        levels = Counter((r.incident_id, r.level, r.recipient) for r in rows)
        assert set(levels) == {(i, lvl, f"user:{u}") for i in {r.incident_id for r in rows}
                               for lvl, u in ((1, "alice"), (2, "bob"), (3, "carol"))}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_no_page_is_lost_or_doubled(fault: str, runtime: Any, klaxon: KlaxonProcesses, redis_server: RedisServer,
                                    settings: Any) -> None:
    apply_test_config(runtime, FAST_LADDER)
    proxy, sqlite_path, worker_env = None, None, klaxon.env()
    if settings.database_url.startswith("sqlite:///"):
        sqlite_path = settings.database_url[len("sqlite:///"):]
    elif fault == "database_down":
        host_port = settings.database_url.split("@", 1)[1].split("/", 1)[0]
        proxy = TcpProxy(host_port.split(":")[0], int(host_port.split(":")[1]))
        worker_env["DATABASE_URL"] = settings.database_url.replace(host_port, f"127.0.0.1:{proxy.port}")
    worker_env["KLAXON_SWEEPER_PERIOD"] = str(SWEEPER_PERIOD)
    klaxon.start_web()
    klaxon.start_worker("worker-a", env=worker_env)
    klaxon.start_worker("worker-b", env=worker_env)
    ladders = Ladders(runtime, klaxon)
    ladders.fire()
    wait_for(lambda: len(ladders.sent()) >= INCIDENTS, timeout=20, message="level 1 pages")
    time.sleep(1.5)  # mid-ladder: level 2 falls due in about 1.5 s
    clear = FAULTS[fault](klaxon=klaxon, redis_server=redis_server, proxy=proxy, sqlite_path=sqlite_path)
    clear()
    cleared_at = utc_now()
    try:
        wait_for(ladders.complete, timeout=45, message=f"every page after {fault}")
        ladders.assert_exactly_once()
        # A page whose wake-up the fault lost goes out once the sweeper finds it: within its grace
        # (2 s) and period after it could first go out, plus a little for a loaded CI machine.
        worst = ladders.worst_delay_after(cleared_at)
        assert worst < 2 + SWEEPER_PERIOD + 2.5, f"a page went out {worst:.1f}s after it could have"
    finally:
        if proxy is not None:
            proxy.close()
