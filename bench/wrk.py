"""Drive an intake with `wrk` and bench/load.lua: throughput, latency, and what was accepted per dedup key.

wrk is C and spends little of the two cores it shares with the server; a Python client would eat
the server's CPU and measure itself. One wrk thread per connection, so load.lua can tell which
events each 2xx answer accepted.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

SCRIPT = Path(__file__).resolve().parent / "load.lua"


@dataclass
class Load:
    """What one wrk run sent and what was accepted."""

    seconds: float
    requests: int
    accepted_requests: int
    accepted_events: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[str, int]
    errors: dict[str, int]
    accepted: Counter[str] = field(default_factory=Counter)
    wrk_cpu: float = 0.0
    server_cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds per part (web, PostgreSQL) in the run

    @property
    def cpu_ms_per_event(self) -> float:
        """Server CPU milliseconds per accepted event: what the neighbours on a shared machine cannot bend."""
        if not self.server_cpu:
            return float("nan")
        return sum(self.server_cpu.values()) * 1000 / max(1, self.accepted_events)

    def cpu_ms_of(self, part: str) -> float:
        """CPU milliseconds per accepted event of one part (`web`, `PostgreSQL`)."""
        return self.server_cpu.get(part, float("nan")) * 1000 / max(1, self.accepted_events)

    @property
    def wrk_cores(self) -> float:
        """Cores wrk itself kept busy (of the ones it shares with the server)."""
        return self.wrk_cpu / self.seconds

    @property
    def events_per_second(self) -> float:
        """Accepted events per second."""
        return self.accepted_events / self.seconds

    @property
    def failures(self) -> int:
        """Requests not answered 2xx: error statuses, and socket errors and timeouts."""
        return self.requests - self.accepted_requests + sum(v for k, v in self.errors.items() if k != "status")

    def describe_failures(self) -> str:
        """`none`, or the non-2xx statuses and socket errors seen."""
        bad = {k: v for k, v in self.statuses.items() if not k.startswith("2")}
        bad.update({k: v for k, v in self.errors.items() if v and k != "status"})
        return ", ".join(f"{k}: {v}" for k, v in sorted(bad.items())) or "none"


def require_wrk() -> str:
    """The wrk binary, or a clear message of what to install."""
    binary = shutil.which("wrk")
    if binary is None:
        raise SystemExit("wrk is not installed: run bench/ensure-tools (or apt-get install wrk)")
    return binary


def run_wrk(url: str, *, kind: str, connections: int, seconds: float, prefix: str, key: str = "",
            pool: int = 50, batch: int = 1, delay_ms: int = 0) -> Load:
    """POST to `url` from `connections` keep-alive connections for `seconds`; see bench/load.lua."""
    with tempfile.TemporaryDirectory(prefix="klaxon-wrk-") as folder:
        out = Path(folder) / "accepted.tsv"
        env = os.environ | {"BENCH_KIND": kind, "BENCH_KEY": key, "BENCH_PREFIX": prefix, "BENCH_POOL": str(pool),
                            "BENCH_BATCH": str(batch), "BENCH_DELAY": str(delay_ms), "BENCH_OUT": str(out)}
        command = [require_wrk(), "-t", str(connections), "-c", str(connections), "-d", f"{seconds:g}s",
                   "--timeout", "10s", "-s", str(SCRIPT), url]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 60)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if not out.exists():
            raise RuntimeError(f"wrk failed ({finished.returncode}): {finished.stderr or finished.stdout}")
        accepted: Counter[str] = Counter()
        summary: dict[str, object] = {}
        for line in out.read_text().splitlines():
            if line.startswith("#"):
                summary = json.loads(line[1:])
            else:
                name, count = line.split("\t")
                accepted[name] += int(count)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return Load(accepted=accepted, wrk_cpu=cpu, **summary)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Target:
    """One intake to load: where, which bodies (see bench/load.lua) and how hard."""

    label: str
    url: str
    kind: str
    key: str = ""
    connections: int = 8
    batch: int = 1
    pool: int = 50
    delay_ms: int = 0
    cpu: Callable[[], dict[str, float]] | None = None  # CPU seconds used so far, per part (bench/cpu.py)
    # A server that goes on working after its load (Alertmanager: over a core for a while, on the
    # aggregation groups of the alerts it took) is paused (SIGSTOP) between its own runs, so that
    # work falls on its runs, not on the other targets' (it cost Klaxon's ingest a fifth).
    pause_pid: int | None = None

    def run(self, seconds: float, prefix: str) -> Load:
        """One wrk run against this target; dedup keys start with `prefix`."""
        if self.pause_pid:
            os.kill(self.pause_pid, signal.SIGCONT)
        before = self.cpu() if self.cpu else {}
        try:
            load = run_wrk(self.url, kind=self.kind, connections=self.connections, seconds=seconds, prefix=prefix,
                           key=self.key, pool=self.pool, batch=self.batch, delay_ms=self.delay_ms)
            if self.cpu:
                load.server_cpu = {part: used - before.get(part, 0.0) for part, used in self.cpu().items()}
        finally:
            if self.pause_pid:
                os.kill(self.pause_pid, signal.SIGSTOP)
        return load


def in_rounds(targets: list[Target], *, runs: int, seconds: float, warmup: float,
              warmups: dict[str, Load] | None = None) -> dict[str, list[Load]]:
    """A warm-up of each target, then `runs` rounds of one timed run per target in turn, so the noise
    of a shared machine falls on every target alike. Warm-up loads go into `warmups` when given."""
    for n, target in enumerate(targets):
        load = target.run(warmup, f"{target.label[:2]}{n}-w")
        if warmups is not None:
            warmups[target.label] = load
    loads: dict[str, list[Load]] = {target.label: [] for target in targets}
    for round_ in range(runs):
        for n, target in enumerate(targets):
            loads[target.label].append(target.run(seconds, f"{target.label[:2]}{n}-{round_}"))
    return loads


def median_of(loads: list[Load], attribute: str) -> float:
    """The median of one figure over repeated runs."""
    return statistics.median(getattr(load, attribute) for load in loads)


def median_ratio(mine: list[Load], reference: list[Load], attribute: str) -> float:
    """The median over rounds of mine/reference for one figure (each round's pair ran back to back)."""
    return statistics.median(getattr(a, attribute) / max(getattr(b, attribute), 1e-9) for a, b in zip(mine, reference))


def merged_accepted(loads: list[Load]) -> Counter[str]:
    """Accepted events per dedup key over several runs."""
    total: Counter[str] = Counter()
    for load in loads:
        total.update(load.accepted)
    return total


def runs_text(loads: list[Load], unit: str = "/s") -> str:
    """`410, 433, 402/s; not 2xx: none`: every run's rate and failures."""
    failures = sorted({load.describe_failures() for load in loads})
    return (", ".join(f"{load.events_per_second:.0f}" for load in loads) + f"{unit}; not 2xx: "
            + " | ".join(failures))
