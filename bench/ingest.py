"""Ingest benchmark: PagerDuty v2 triggers accepted per second through POST /v2/enqueue, p50 and p99
latency, on PostgreSQL and on SQLite, with Alertmanager taking the same load beside it.

`klaxon web` as production runs it (its own defaults), the worker stopped during the load; wrk
drives 8 keep-alive connections, one trigger per request, half new dedup keys and half from a small
pool (an alert storm attaching to open incidents). Klaxon on both databases and Alertmanager run
side by side and the timed runs go round them in turn, so the noise of the shared machine falls on
all alike: figures are medians over the rounds, ratios the median of each round's ratio. Each round
also paces Alertmanager to that round's Klaxon PostgreSQL rate, for latency at the same rate. Then,
with the worker running, every accepted event is read back through GET /api/v1/incidents/<id>.
Targets: at least 1,000/s on PostgreSQL and 500/s on SQLite, p99 at most 50 ms.

    python bench/ingest.py [--seconds 5] [--runs 3] [--connections 8] [--pool 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import alertmanager as am  # noqa: E402
from bench.api import ReadBack, read_back  # noqa: E402
from bench.harness import Klaxon, commit, klaxon_stack, load_average, verdict  # noqa: E402
from bench.wrk import Load, Target, median_of, median_ratio, merged_accepted, runs_text  # noqa: E402

KEY = "benchingest000000000000000000000"
SERVICE = "storm"
CONFIG = f"""
users:
  - {{id: rita, name: Rita Responder, phone: "+14155550199", notify: [{{channel: sms, after: 0s}}]}}
escalation_policies:
  - id: storm
    levels:
      - {{targets: [user:rita], escalate_after: 30m}}
services:
  - id: {SERVICE}
    name: Storm
    escalation_policy: storm
    integration_keys:
      - {{name: bench, key: "{KEY}"}}
"""
TARGETS = {"postgresql": 1000.0, "sqlite": 500.0}
P99_TARGET_MS = 50.0
AM = "alertmanager"


def timed_rounds(targets: list[Target], args: argparse.Namespace,
                 warmups: dict[str, Load]) -> tuple[dict[str, list[Load]], list[Load]]:
    """Warm-ups, then rounds of one run per target plus Alertmanager paced to that round's PostgreSQL rate."""
    for n, target in enumerate(targets):
        warmups[target.label] = target.run(2, f"{target.label[:2]}{n}-w")
    loads: dict[str, list[Load]] = {target.label: [] for target in targets}
    paced: list[Load] = []
    for round_ in range(args.runs):
        for n, target in enumerate(targets):
            loads[target.label].append(target.run(args.seconds, f"{target.label[:2]}{n}-{round_}"))
        if "postgresql" in loads and AM in loads:
            rate = loads["postgresql"][-1].events_per_second
            am_target = next(t for t in targets if t.label == AM)
            pace = replace(am_target, delay_ms=max(1, round(args.connections * 1000 / max(rate, 1))))
            paced.append(pace.run(args.seconds, f"pa-{round_}"))
    return loads, paced


def print_figures(loads: dict[str, list[Load]], paced: list[Load]) -> None:
    for kind in ("postgresql", "sqlite"):
        if kind in loads:
            runs = loads[kind]
            rate, p99 = median_of(runs, "events_per_second"), median_of(runs, "p99_ms")
            print(f"  Klaxon, {kind:<12} {rate:7.0f} triggers/s ({verdict(rate, TARGETS[kind], True)}: >= "
                  f"{TARGETS[kind]:.0f})  p50 {median_of(runs, 'p50_ms'):7.1f} ms  p99 {p99:7.1f} ms "
                  f"({verdict(p99, P99_TARGET_MS)}: <= 50); CPU {cpu_text(runs, kind)}  [runs: {runs_text(runs)}; "
                  f"wrk used {median_of(runs, 'wrk_cores'):.2f} cores]", flush=True)
    if AM in loads:
        runs = loads[AM]
        print(f"  {am.version()}, POST /api/v2/alerts, same load: {median_of(runs, 'events_per_second'):7.0f} "
              f"alerts/s  p50 {median_of(runs, 'p50_ms'):7.1f} ms  p99 {median_of(runs, 'p99_ms'):7.1f} ms; CPU "
              f"{cpu_text(runs, 'Alertmanager')}  [runs: {runs_text(runs)}]", flush=True)
    if paced:
        print(f"  Alertmanager paced to each round's Klaxon PostgreSQL rate: {median_of(paced, 'events_per_second'):7.0f} "
              f"alerts/s  p50 {median_of(paced, 'p50_ms'):7.1f} ms  p99 {median_of(paced, 'p99_ms'):7.1f} ms", flush=True)


def cpu_text(runs: list[Load], what: str) -> str:
    """`5.12 ms per event (web 3.90 + PostgreSQL 1.22), 195/s per core`: the server's CPU per accepted event."""
    per_event = median_of(runs, "cpu_ms_per_event")
    parts = " + ".join(f"{part} {statistics.median(load.cpu_ms_of(part) for load in runs):.2f}"
                       for part in runs[0].server_cpu)
    return f"{per_event:.2f} ms per event ({parts}{', SQLite inside web' if what == 'sqlite' else ''}), " \
           f"{1000 / per_event:.0f}/s per core"


def print_ratios(loads: dict[str, list[Load]], paced: list[Load]) -> None:
    if AM not in loads:
        return
    parts = [f"{kind} {median_ratio(loads[kind], loads[AM], 'events_per_second'):.3f}x (CPU per event "
             f"{median_ratio(loads[kind], loads[AM], 'cpu_ms_per_event'):.0f}x)"
             for kind in ("postgresql", "sqlite") if kind in loads]
    line = "  ratio Klaxon/Alertmanager (median of the rounds' ratios): throughput under the same load " + ", ".join(parts)
    if paced:
        pg = loads["postgresql"]
        line += (f"; latency at the same rate (PostgreSQL): p50 {median_ratio(pg, paced, 'p50_ms'):.1f}x, "
                 f"p99 {median_ratio(pg, paced, 'p99_ms'):.1f}x")
    print(line, flush=True)


def print_read_back(kind: str, accepted_total: int, back: ReadBack, lost: int, extra: int) -> None:
    doubled = sum(1 for n in back.incidents_per_key.values() if n > 1)
    print(f"  read back, {kind:<12} {accepted_total} events answered 202 (warm-up included); {sum(back.stored.values())} "
          f"in the `alerts` of {back.read} incidents: lost {lost} ({verdict(lost, 0)}), stored but unanswered when wrk "
          f"stopped {extra}, dedup keys with two open incidents {doubled}" + (f"; {back.note}" if back.note else ""),
          flush=True)


def main() -> None:
    """Klaxon on PostgreSQL and SQLite and Alertmanager under the same load; figures, ratios, read-back."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--pool", type=int, default=50, help="repeated dedup keys per run")
    parser.add_argument("--only", choices=["postgresql", "sqlite"], help="one database, no Alertmanager")
    args = parser.parse_args()
    kinds = [args.only] if args.only else ["postgresql", "sqlite"]
    print(f"ingest (commit {commit()}): POST /v2/enqueue, one PagerDuty v2 trigger per request, {args.connections} "
          f"keep-alive connections (wrk), half new dedup keys and half from a pool of {args.pool}; "
          f"{args.runs} rounds of {args.seconds:g}s runs after a 2s warm-up; worker stopped during the load; machine "
          f"{load_average()} at the start", flush=True)
    with ExitStack() as stack:
        stacks: dict[str, Klaxon] = {}
        targets = []
        for kind in kinds:
            stacks[kind] = stack.enter_context(klaxon_stack(kind, CONFIG))
            stacks[kind].start_web()
            targets.append(Target(kind, f"{stacks[kind].base_url}/v2/enqueue", "pagerduty", KEY,
                                  args.connections, pool=args.pool, cpu=stacks[kind].web_cpu))
        print(f"  klaxon web ran: {stacks[kinds[0]].web_server()}", flush=True)
        warmups: dict[str, Load] = {}
        with ExitStack() as reference:  # stopped before the read-back, so it takes no CPU from it
            if not args.only:
                running = reference.enter_context(am.alertmanager())
                targets.append(Target(AM, f"{running.url}/api/v2/alerts", "alertmanager", connections=args.connections,
                                      pool=args.pool, cpu=running.cpu, pause_pid=running.pid))
            loads, paced = timed_rounds(targets, args, warmups)
        print_figures(loads, paced)
        print_ratios(loads, paced)
        for kind, klaxon in stacks.items():
            klaxon.start_worker()
        for kind, klaxon in stacks.items():
            accepted = merged_accepted([warmups[kind], *loads[kind]])
            back = read_back(klaxon.base_url, klaxon.token, SERVICE, accepted)
            print_read_back(kind, sum(accepted.values()), back, back.lost(accepted), back.extra(accepted))


if __name__ == "__main__":
    main()
