"""Escalation benchmark: lateness of every page, and recovery time after each fault.

Two scenarios. `storm` (bench/escalation_storm.py, through the contract only): 20 SEV1s at once
onto a 3-level ladder in steady state. `wave`, below: 1,000 open incidents whose steps fall due
within the same 10 seconds, served by two real `klaxon worker` processes (each: RQ workers, RQ scheduler, sweeper) on PostgreSQL and a private
Redis. Every incident pages level 1 when it opens and level 2 fifteen seconds later; both pages'
lateness is sent_at minus the instant it was due. Then, for each fault, a smaller wave of ladders
is broken mid-flight and the recovery time is how long after the fault cleared the last page that
was already due went out.

    python bench/escalation.py [--scenario wave|storm] [--incidents 1000] [--fault-incidents 200] [--skip-faults]

BENCH_SWEEPER_PERIOD=60 runs the same with the sweeper nearly off, to see what it costs under load.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import escalation_storm  # noqa: E402
from bench.harness import commit, database, percentile, redis  # noqa: E402

try:  # the wave opens incidents with chosen creation times, which only the internals can do
    from sqlmodel import col, select

    from app.incidents import lifecycle as incidents
    from app.models import Incident, Notification
    from app.platform.runtime import Runtime
    from app.platform.settings import Settings
    from app.wiring import build_runtime
    from tests.support.config import apply_test_config
    from tests.support.faults import FAULTS
    from tests.support.processes import KlaxonProcesses, wait_for
    from tests.support.tcp_proxy import TcpProxy
    WAVE_UNAVAILABLE = ""
except ImportError as error:  # internals moved: the storm scenario still runs
    WAVE_UNAVAILABLE = f"the wave scenario needs internals that moved ({error})"

STEP = timedelta(seconds=15)
CONFIG = """
users:
  - {id: alice, name: Alice, slack_user_id: UA, notify: [{channel: slack, after: 0s}]}
  - {id: bob, name: Bob, slack_user_id: UB, notify: [{channel: slack, after: 0s}]}
escalation_policies:
  - id: bench
    levels:
      - {targets: [user:alice], escalate_after: 15s}
      - {targets: [user:bob]}
services:
  - {id: bench, name: Bench, escalation_policy: bench}
"""


def open_incidents(runtime: Runtime, count: int, first_due: datetime, spread: timedelta) -> None:
    """Open `count` incidents whose first pages fall due evenly over `spread` from `first_due`."""
    with runtime.session() as session:
        for n in range(count):
            at = first_due + spread * n / max(1, count)
            incidents.declare(session, service_id="bench", title=f"bench {n}", severity="SEV1", user_id="alice",
                              now=at)
            if n % 50 == 49:
                session.commit()
        session.commit()


def lateness(runtime: Runtime, since_id: int = 0, level: int | None = None) -> tuple[list[float], int]:
    """Seconds late of every sent page (of one level) of incidents above `since_id`, and how many wait."""
    with runtime.session() as session:
        rows = session.exec(select(Notification, Incident.created_at).join(Incident).where(
            col(Notification.incident_id) > since_id)).all()
    late, waiting = [], 0
    for row, created_at in rows:
        if level is not None and row.level != level:
            continue
        if row.status != "sent" or row.sent_at is None:
            waiting += 1
            continue
        due = created_at + (STEP if row.level == 2 else timedelta(0))
        late.append((row.sent_at - due).total_seconds())
    return late, waiting


def expected_pages(runtime: Runtime, since_id: int = 0) -> int:
    with runtime.session() as session:
        return 2 * len(session.exec(select(Incident.id).where(col(Incident.id) > since_id)).all())


def report(label: str, late: list[float]) -> None:
    print(f"  {label:<32} {len(late):5d} pages  p50 {percentile(late, .5):6.3f}s  p99 {percentile(late, .99):6.3f}s"
          f"  max {max(late):6.3f}s", flush=True)


def run_load(runtime: Runtime, procs: KlaxonProcesses, count: int) -> None:
    """The 1,000-incident wave and its lateness figures."""
    first_due = datetime.now(timezone.utc) + timedelta(seconds=25)
    started = time.monotonic()
    open_incidents(runtime, count, first_due, timedelta(seconds=10))
    print(f"  opened {count} incidents in {time.monotonic() - started:.1f}s; level 1 due over 10s, "
          f"level 2 over the 10s that start 15s later", flush=True)
    wait_for(lambda: len(lateness(runtime)[0]) >= 2 * count, timeout=180, interval=1, message="every page")
    report("all pages", lateness(runtime)[0])
    report("level 1 (first pages)", lateness(runtime, level=1)[0])
    escalations = lateness(runtime, level=2)[0]
    report("level 2 (escalations)", escalations)
    p99 = percentile(escalations, .99)
    print(f"  level 2 p99 {p99:.3f}s: {'ok' if p99 <= 1.5 else 'MISSED'} (target <= 1.5s)", flush=True)


def run_fault(runtime: Runtime, procs: KlaxonProcesses, name: str, count: int, server: Any,
              proxy: TcpProxy | None) -> None:
    """Break ladders mid-flight with one fault; print the recovery time."""
    with runtime.session() as session:
        since = max([i or 0 for i in session.exec(select(Incident.id)).all()] or [0])
    first_due = datetime.now(timezone.utc) + timedelta(seconds=3)
    open_incidents(runtime, count, first_due, timedelta(seconds=4))
    time.sleep(max(0.0, (first_due + STEP - datetime.now(timezone.utc)).total_seconds() - 1))
    clear = FAULTS[name](klaxon=procs, redis_server=server, proxy=proxy, sqlite_path=None)
    clear()
    cleared = datetime.now(timezone.utc)
    total = expected_pages(runtime, since)
    wait_for(lambda: lateness(runtime, since)[1] == 0 and len(lateness(runtime, since)[0]) >= total,
             timeout=120, interval=0.5, message=f"recovery from {name}")
    with runtime.session() as session:
        rows = session.exec(select(Notification.sent_at, Incident.created_at, Notification.level).join(Incident)
                            .where(col(Notification.incident_id) > since)).all()
    # How long after it could first go out (its due time, or the fault clearing if later) each page
    # went out; the worst of these is the recovery time.
    recovery = max((sent - max(created + (STEP if level == 2 else timedelta(0)), cleared)).total_seconds()
                   for sent, created, level in rows if sent)
    late, _ = lateness(runtime, since)
    print(f"  {name:<18} recovered in {max(0.0, recovery):5.2f}s (worst page: sent after max(due, fault cleared)); "
          f"{len(late)} pages, max lateness {max(late):5.2f}s, p99 {percentile(late, .99):5.2f}s", flush=True)
    if name in ("sigkill_worker", "sigterm_worker"):
        procs.start("worker-a", "worker", env=worker_env(procs, proxy))
        time.sleep(3)


def worker_env(procs: KlaxonProcesses, proxy: TcpProxy | None) -> dict[str, str]:
    env = procs.env()
    if proxy is not None:
        env["DATABASE_URL"] = procs.database_url.replace(procs.database_url.split("@", 1)[1].split("/", 1)[0],
                                                         f"127.0.0.1:{proxy.port}")
    return env


def main() -> None:
    """Run the storm, then the load wave and each fault."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=["wave", "storm"], help="one scenario (default: both)")
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--fault-incidents", type=int, default=200)
    parser.add_argument("--skip-faults", action="store_true")
    args = parser.parse_args()
    if args.scenario in (None, "storm"):
        escalation_storm.run()
    if args.scenario in (None, "wave"):
        if WAVE_UNAVAILABLE:
            raise SystemExit(WAVE_UNAVAILABLE)
        run_wave(args)


def run_wave(args: argparse.Namespace) -> None:
    """The 1,000-incident wave on two workers, then each fault unless skipped."""
    print(f"escalation wave (commit {commit()}): {args.incidents} incidents whose level 2 falls due within 10s, "
          "PostgreSQL, two `klaxon worker` processes, sweeper every 1s", flush=True)
    with database("postgresql") as url, redis() as server, tempfile.TemporaryDirectory() as logs:
        runtime = build_runtime(Settings(database_url=url, redis_url=server.url))
        apply_test_config(runtime, CONFIG)
        host_port = url.split("@", 1)[1].split("/", 1)[0]
        # The proxy is how the database_down fault cuts the workers off; without faults the workers
        # talk to PostgreSQL directly (the proxy, in Python, would cost the load run a core's share).
        proxy = None if args.skip_faults else TcpProxy(host_port.split(":")[0], int(host_port.split(":")[1]))
        procs = KlaxonProcesses(url, server.url, Path(logs), extra_env={"KLAXON_SWEEPER_PERIOD": os.environ.get("BENCH_SWEEPER_PERIOD", "1")})
        try:
            for name in ("worker-a", "worker-b"):
                procs.start(name, "worker", env=worker_env(procs, proxy))
            time.sleep(4)
            run_load(runtime, procs, args.incidents)
            if not args.skip_faults:
                print("faults (each on a fresh wave of ladders whose level 2 falls due during the fault):", flush=True)
                for name in ("sigkill_worker", "flushall_redis", "scheduler_killed", "database_down"):
                    run_fault(runtime, procs, name, args.fault_incidents, server, proxy)
        finally:
            procs.stop_all()
            if proxy is not None:
                proxy.close()
            runtime.close()


if __name__ == "__main__":
    main()
