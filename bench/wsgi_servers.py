"""Which WSGI server for `klaxon web`: the floor of the stack under gunicorn and granian.

The floor is bench/wsgi_floor.py: a bare Flask view that parses a PagerDuty v2 trigger and does one
INSERT + COMMIT through psycopg 3 into PostgreSQL, and the same view without the database. wrk
drives POST /v2/enqueue from 8 keep-alive connections with the ingest benchmark's bodies (half new
dedup keys, half from a pool). Every server runs at once (idle ones cost nothing) and the timed runs
go round them in turn, so the noise of a shared machine falls on all alike; medians over the rounds,
after a warm-up. `--klaxon` also serves Klaxon's own `wsgi:app` (worker stopped) under gthread and
granian, the same load.

    python bench/wsgi_servers.py [--seconds 3] [--runs 5] [--connections 8] [--klaxon]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
import requests  # noqa: E402

from bench import cpu  # noqa: E402
from bench.harness import ROOT, commit, klaxon_stack, load_average, postgres_database, stop  # noqa: E402
from bench.ingest import CONFIG as KLAXON_CONFIG  # noqa: E402
from bench.ingest import KEY as KLAXON_KEY
from bench.wrk import Load, Target, in_rounds, median_of, median_ratio, runs_text  # noqa: E402
from bench.wsgi_floor import TABLE  # noqa: E402
from tests.support.redis_server import free_port  # noqa: E402

FLOOR_KEY = "f" * 32


@dataclass(frozen=True)
class Server:
    """One way to serve a WSGI app: a label and the command line that serves `target` on a port."""

    label: str
    kind: str  # gunicorn-sync | gunicorn-gthread | granian
    workers: int
    threads: int = 0  # gthread threads, or granian blocking threads (0: granian's default)

    def command(self, target: str, port: int) -> list[str]:
        """The command line serving `target` on 127.0.0.1:`port`."""
        if self.kind == "granian":
            threads = ["--blocking-threads", str(self.threads)] if self.threads else []
            return [sys.executable, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
                    "--workers", str(self.workers), *threads, "--no-ws", target]
        worker = ["--worker-class", "gthread", "--threads", str(self.threads)] if self.kind == "gunicorn-gthread" else []
        return [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(self.workers),
                *worker, target]


SERVERS = [
    Server("gunicorn sync, 4 workers", "gunicorn-sync", 4),
    Server("gunicorn gthread, 2 workers x 4 threads", "gunicorn-gthread", 2, 4),
    Server("granian WSGI, 2 workers (default threads)", "granian", 2),
    Server("granian WSGI, 2 workers x 4 blocking threads", "granian", 2, 4),
]


@contextmanager
def serving(server: Server, target: str, env: dict[str, str], probe: str) -> Iterator[tuple[str, int]]:
    """`target` served by `server`; yields its base URL and pid once a valid event is answered 202."""
    port = free_port()
    process = subprocess.Popen(server.command(target, port), cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.post(f"{base}/v2/enqueue", data=probe, headers={"Content-Type": "application/json"},
                                 timeout=2).status_code == 202:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"{server.label} did not serve {target}")
            time.sleep(0.2)
        yield base, process.pid
    finally:
        stop(process)


def report(loads: dict[str, list[Load]], reference: str) -> None:
    """Print each server's figures, with its throughput and CPU per request against `reference`'s."""
    print(f"  {'':<62} {'req/s':>7}  {'p50':>8}  {'p99':>8}  {'ratio':>5}  {'CPU/req':>8}  {'ratio':>5}", flush=True)
    for label, runs in loads.items():
        print(f"  {label:<62} {median_of(runs, 'events_per_second'):7.0f}  {median_of(runs, 'p50_ms'):5.2f} ms  "
              f"{median_of(runs, 'p99_ms'):5.1f} ms  {median_ratio(runs, loads[reference], 'events_per_second'):4.2f}x  "
              f"{median_of(runs, 'cpu_ms_per_event'):5.3f} ms  "
              f"{median_ratio(runs, loads[reference], 'cpu_ms_per_event'):4.2f}x  [runs: {runs_text(runs)}]", flush=True)


def cpu_of(pid: int, database: str | None) -> Callable[[], dict[str, float]]:
    """CPU seconds so far of the server `pid` (all its processes) and of its database's backends."""
    return lambda: {"server": cpu.process_tree(pid), "PostgreSQL": cpu.postgres_backends(database) if database else 0.0}


def probe_body(key: str) -> str:
    return ('{"routing_key":"%s","event_action":"trigger","dedup_key":"probe",'
            '"payload":{"summary":"probe","source":"bench","severity":"info"}}' % key)


def floor(args: argparse.Namespace) -> None:
    """The bare view under every server, and without the database under granian and gthread."""
    with postgres_database() as url, ExitStack() as stack:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(TABLE)
        env = os.environ | {"FLOOR_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
        targets = []
        plan = [(server, "app", "INSERT+COMMIT") for server in SERVERS]
        plan += [(server, "app_without_database", "no database") for server in (SERVERS[2], SERVERS[1])]
        for server, name, what in plan:
            base, pid = stack.enter_context(serving(server, f"bench.wsgi_floor:{name}", env, probe_body(FLOOR_KEY)))
            targets.append(Target(f"{server.label}, {what}", f"{base}/v2/enqueue", "pagerduty", FLOOR_KEY,
                                  args.connections, cpu=cpu_of(pid, url.rsplit("/", 1)[1] if name == "app" else None)))
        reference = targets[1].label  # what `klaxon web` ran until granian
        print(f"  ratios against {reference} (median of the rounds' ratios); CPU/req: milliseconds of CPU "
              f"the server and its PostgreSQL backends spent per request", flush=True)
        report(in_rounds(targets, runs=args.runs, seconds=args.seconds, warmup=1), reference)


def klaxon_under_servers(args: argparse.Namespace) -> None:
    """Klaxon's wsgi:app (POST /v2/enqueue, worker stopped) under gthread and granian, one database."""
    with klaxon_stack("postgresql", KLAXON_CONFIG) as klaxon, ExitStack() as stack:
        env = klaxon.processes.env() | {"PYTHONPATH": str(ROOT)}
        targets = []
        for server in (SERVERS[1], SERVERS[2], SERVERS[3]):
            base, pid = stack.enter_context(serving(server, "wsgi:app", env, probe_body(KLAXON_KEY)))
            targets.append(Target(f"Klaxon wsgi:app, {server.label}", f"{base}/v2/enqueue", "pagerduty", KLAXON_KEY,
                                  args.connections, cpu=cpu_of(pid, klaxon.database_url.rsplit("/", 1)[1])))
        report(in_rounds(targets, runs=args.runs, seconds=args.seconds, warmup=1), targets[0].label)


def main() -> None:
    """Print the floor under each server (and Klaxon's app with --klaxon)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--klaxon", action="store_true", help="also Klaxon's own app under gthread and granian")
    args = parser.parse_args()
    import granian

    print(f"wsgi servers (commit {commit()}): POST /v2/enqueue, one PagerDuty v2 trigger per request, "
          f"{args.connections} keep-alive connections (wrk); {args.runs} rounds of {args.seconds:g}s runs after "
          f"a 1s warm-up; gunicorn {_version('gunicorn')}, granian {granian.__version__}, Flask "
          f"{_version('flask')}, psycopg {psycopg.__version__}; {os.cpu_count()} cores shared with wrk; machine "
          f"{load_average()} at the start", flush=True)
    floor(args)
    if args.klaxon:
        klaxon_under_servers(args)


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


if __name__ == "__main__":
    main()
