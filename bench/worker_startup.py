"""Worker cold start and idle cost: how soon a fresh `klaxon worker` sends a page that is due as it
starts, when `/readyz` says ready, and what `klaxon web` + one `klaxon worker` cost when idle.

Each run: a fresh database and private Redis, `klaxon web` with its production defaults, then a new
SEV1 (generic webhook, one responder paged by SMS at once, console outbox) posted just before
`klaxon worker` is started cold, so its page is due as the worker starts. Figures: seconds from the
worker's start to that page's `sent_at`; seconds until `GET /readyz` first answers 200 (it needs a live
worker heartbeat) and until the page; then, after a warm-up page and `--idle` seconds of nothing, the
summed RSS (and PSS) of every process of web + worker (children included, from /proc) and their CPU
seconds over the idle span as a percentage of one core. Medians of `--runs` runs.
Targets (issue 9): first page within 2 s of the worker's start; web + worker at most 400 MB RSS and
3 % of one core idle.

    python bench/worker_startup.py [--runs 3] [--database postgresql|sqlite] [--idle 20]

Reference, 2 cores shared with other work (load ~1.5), PostgreSQL, sweeper every 2 s, medians of 3:
  this worker (one process, lanes as threads), web on granian with 2 workers: first page 1.19 s,
  /readyz 200 after 1.11 s, 4 processes, 332 MB RSS (worker 101 MB), 0.6 % of a core idle.
  Before, at b83d1fa (a supervisor and 7 child processes; web on gunicorn, 3 workers), one run:
  first page 4.05 s, /readyz 200 after 0.04 s (before the worker could page), 12 processes,
  897 MB RSS (worker 582 MB), 1.4 % of a core idle.
Start-up is mostly importing the app (about 0.9 s of CPU, SQLAlchemy first), so on a busy machine
the first page comes later: 2 to 4 s at a load of 5 to 10.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Klaxon, commit, klaxon_stack, median, one_responder_config, verdict  # noqa: E402
from tests.support.faults import descendants  # noqa: E402

KEY = "benchworkerstart0000000000000000"
CONFIG = one_responder_config(KEY)
POLL_SECONDS = 0.02
TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass
class Run:
    """The figures of one cold start."""

    first_page: float  # worker start -> sent_at of the page due at its start
    ready: float  # worker start -> first 200 from /readyz
    rss_mb: float
    pss_mb: float
    cpu_percent: float
    processes: int
    worker_rss_mb: float  # the worker's share of rss_mb


def post_alert(stack: Klaxon, name: str) -> int:
    """Open a new SEV1 through the generic webhook; its incident id."""
    body = {"summary": f"worker start bench {name}", "severity": "critical", "source": "bench", "dedup_key": name}
    answer = requests.post(f"{stack.base_url}/integrations/generic/{KEY}", json=body, timeout=10)
    answer.raise_for_status()
    return int(answer.json()["incident_id"])


def sent_at(stack: Klaxon, incident_id: int) -> datetime | None:
    """When the incident's first page went out (None while it has not)."""
    answer = requests.get(f"{stack.base_url}/api/v1/incidents/{incident_id}", timeout=5,
                          headers={"Authorization": f"Bearer {stack.token}"})
    answer.raise_for_status()
    sent = [n["sent_at"] for n in answer.json()["notifications"] if n.get("sent_at")]
    return datetime.fromisoformat(min(sent)) if sent else None


def ready(stack: Klaxon) -> bool:
    """True when /readyz answers 200."""
    return requests.get(f"{stack.base_url}/readyz", timeout=5).status_code == 200


def cold_start(stack: Klaxon, timeout: float = 60) -> tuple[float, float]:
    """Post an alert, start the worker at once; (seconds to the page's sent_at, seconds to /readyz 200)."""
    assert not ready(stack), "/readyz must not say ready before any worker runs"
    incident_id = post_alert(stack, "cold")
    started_wall, started = time.time(), time.monotonic()
    stack.processes.start("worker", "worker")
    ready_after: float | None = None
    while time.monotonic() - started < timeout:
        if ready_after is None and ready(stack):
            ready_after = time.monotonic() - started
        page = sent_at(stack, incident_id)
        if page is not None and ready_after is not None:
            return page.timestamp() - started_wall, ready_after
        time.sleep(POLL_SECONDS)
    raise RuntimeError(f"no page or no readiness within {timeout}s; logs:\n{stack.processes.logs()}")


def tree(pid: int) -> list[int]:
    """`pid` and every process below it (from /proc)."""
    return [pid, *descendants(pid)]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of `pids` so far."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def memory_mb(pids: list[int]) -> tuple[float, float]:
    """Summed RSS and PSS of `pids`, in MB."""
    rss = pss = 0
    for pid in pids:
        rss += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE_KB
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss += int(line.split()[1])
    return rss / 1024, pss / 1024


def idle_cost(stack: Klaxon, idle: float) -> tuple[float, float, float, int, float]:
    """After a warm-up page: (RSS MB, PSS MB, CPU % of one core over `idle` seconds, processes, the
    worker's RSS MB)."""
    incident_id = post_alert(stack, "warm-up")
    deadline = time.monotonic() + 30
    while sent_at(stack, incident_id) is None:
        if time.monotonic() > deadline:
            raise RuntimeError("the warm-up page did not go out")
        time.sleep(0.1)
    pids = [pid for name in ("web", "worker") for pid in tree(stack.processes.processes[name].pid)]
    before = cpu_seconds(pids)
    time.sleep(idle)
    used = cpu_seconds(pids) - before
    rss, pss = memory_mb(pids)
    worker_rss, _ = memory_mb(tree(stack.processes.processes["worker"].pid))
    return rss, pss, 100 * used / idle, len(pids), worker_rss


def one_run(kind: str, idle: float, env: dict[str, str]) -> tuple[Run, str]:
    """One cold start on a fresh stack; its figures and what `klaxon web` ran."""
    with klaxon_stack(kind, CONFIG, extra_env=env) as stack:
        stack.start_web()
        first_page, ready_after = cold_start(stack)
        rss, pss, cpu, count, worker_rss = idle_cost(stack, idle)
        return Run(first_page, ready_after, rss, pss, cpu, count, worker_rss), stack.web_server()


def main() -> None:
    """Run the cold starts and print each, then the medians against the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--idle", type=float, default=20.0)
    args = parser.parse_args()
    env = {"KLAXON_SWEEPER_PERIOD": os.environ.get("KLAXON_SWEEPER_PERIOD", "2"),
           "KLAXON_ESCALATION_WORKERS": os.environ.get("KLAXON_ESCALATION_WORKERS", "2")}
    print(f"worker start: commit {commit()}, {args.database}, {os.cpu_count()} cores, load "
          f"{os.getloadavg()[0]:.1f}; sweeper every {env['KLAXON_SWEEPER_PERIOD']}s, "
          f"{env['KLAXON_ESCALATION_WORKERS']} escalation RQ workers; idle span {args.idle:.0f}s; "
          f"{args.runs} runs", flush=True)
    runs: list[Run] = []
    for n in range(args.runs):
        run, web = one_run(args.database, args.idle, env)
        runs.append(run)
        print(f"  run {n + 1}: first page {run.first_page:5.2f}s, ready {run.ready:5.2f}s; idle: "
              f"{run.processes} processes, RSS {run.rss_mb:4.0f} MB (worker {run.worker_rss_mb:3.0f} MB; PSS "
              f"{run.pss_mb:4.0f} MB), "
              f"CPU {run.cpu_percent:4.1f}% of a core   [web: {web}]", flush=True)
    report(runs)


def report(runs: list[Run]) -> None:
    """Medians, each beside its target."""
    first = median([r.first_page for r in runs])
    rss = median([r.rss_mb for r in runs])
    cpu = median([r.cpu_percent for r in runs])
    rows: list[tuple[str, Any, str]] = [
        ("worker start -> first page", f"{first:5.2f} s", f"target <= 2 s: {verdict(first, 2.0)}"),
        ("worker start -> /readyz 200", f"{median([r.ready for r in runs]):5.2f} s", ""),
        ("web + worker RSS, idle", f"{rss:5.0f} MB", f"target <= 400 MB: {verdict(rss, 400.0)}"),
        ("  of which the worker", f"{median([r.worker_rss_mb for r in runs]):5.0f} MB", ""),
        ("web + worker PSS, idle", f"{median([r.pss_mb for r in runs]):5.0f} MB", ""),
        ("web + worker CPU, idle", f"{cpu:5.1f} % of one core", f"target <= 3 %: {verdict(cpu, 3.0)}"),
        ("processes (web + worker)", f"{median([r.processes for r in runs]):5.0f}", ""),
    ]
    print(f"medians of {len(runs)} runs:")
    for label, value, target in rows:
        print(f"  {label:<30} {value:<22} {target}")


if __name__ == "__main__":
    main()
