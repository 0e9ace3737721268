"""Batch intake benchmark: generic events accepted per second through POST
/integrations/generic/<key>/batch (`{"events": [...]}`, CONTRACT section 8), on PostgreSQL, with
Alertmanager taking the same batches (500 alerts per POST /api/v2/alerts) beside it.

wrk drives 4 keep-alive connections, 500 events per request, half new dedup keys and half from a
small pool; `klaxon web` with its own defaults, the worker stopped during the load. Klaxon and
Alertmanager run side by side and the timed runs alternate, so the noise of the shared machine
falls on both alike: figures are medians over the rounds, the ratio the median of each round's.
Then, with the worker running, the incidents built are counted and the events read back through
GET /api/v1/incidents/<id> (all of them, or past 5,000 incidents every repeated-key incident and a
random 1,000 of the rest). Target: at least 10,000 events/s.

    python bench/batch_ingest.py [--seconds 5] [--runs 3] [--connections 4] [--batch 500]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import alertmanager as am  # noqa: E402
from bench.api import Api, read_back  # noqa: E402
from bench.harness import commit, klaxon_stack, load_average, verdict  # noqa: E402
from bench.ingest import CONFIG, KEY, SERVICE  # noqa: E402
from bench.wrk import Load, Target, in_rounds, median_of, median_ratio, merged_accepted, runs_text  # noqa: E402

TARGET_EVENTS_PER_SECOND = 10_000.0


def batch_available(base_url: str) -> tuple[bool, str]:
    """Whether this Klaxon has the batch intake: one event posted, answered 202 `{"accepted": 1, ...}`."""
    status, body = Api(base_url).request("POST", f"/integrations/generic/{KEY}/batch",
                                         {"events": [{"summary": "probe", "severity": "info", "dedup_key": "probe"}]})
    if status == 202 and isinstance(body, dict) and body.get("accepted") == 1:
        return True, ""
    return False, f"{status} {json.dumps(body)[:120]}"


def print_figures(label: str, runs: list[Load], unit: str) -> None:
    rate = median_of(runs, "events_per_second")
    target = f" ({verdict(rate, TARGET_EVENTS_PER_SECOND, True)}: >= 10000)" if label == "Klaxon" else ""
    print(f"  {label:<30} {rate:8.0f} {unit}/s{target}  per request of {runs[0].accepted_events // max(1, runs[0].accepted_requests)}"
          f": p50 {median_of(runs, 'p50_ms'):7.1f} ms  p99 {median_of(runs, 'p99_ms'):7.1f} ms; CPU "
          f"{median_of(runs, 'cpu_ms_per_event') * 1000:.0f} us per event, {1000 / median_of(runs, 'cpu_ms_per_event'):.0f}/s "
          f"per core  [runs: {runs_text(runs)}]", flush=True)


def main() -> None:
    """Klaxon's batch intake beside Alertmanager's; figures, ratio, incidents built and read back."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--pool", type=int, default=50, help="repeated dedup keys per run")
    args = parser.parse_args()
    print(f"batch ingest (commit {commit()}): POST /integrations/generic/<key>/batch, {args.batch} generic events per "
          f"request, {args.connections} keep-alive connections (wrk), half new dedup keys and half from a pool of "
          f"{args.pool}; PostgreSQL; {args.runs} rounds of {args.seconds:g}s runs after a 2s warm-up; worker stopped "
          f"during the load; machine {load_average()} at the start", flush=True)
    with klaxon_stack("postgresql", CONFIG) as klaxon:
        klaxon.start_web()
        available, answer = batch_available(klaxon.base_url)
        warmups: dict[str, Load] = {}
        with am.alertmanager() as running:  # stopped before the read-back, so it takes no CPU from it
            targets = [Target("Alertmanager", f"{running.url}/api/v2/alerts", "alertmanager",
                              connections=args.connections, batch=args.batch, pool=args.pool, cpu=running.cpu,
                              pause_pid=running.pid)]
            if available:
                targets.insert(0, Target("Klaxon", f"{klaxon.base_url}/integrations/generic/{KEY}/batch",
                                         "generic_batch", KEY, args.connections, args.batch, args.pool,
                                         cpu=klaxon.web_cpu))
            else:
                print(f"  Klaxon: no batch intake on this commit (a one-event batch was answered {answer}); "
                      f"Alertmanager alone", flush=True)
            loads = in_rounds(targets, runs=args.runs, seconds=args.seconds, warmup=2, warmups=warmups)
        if available:
            print(f"  klaxon web ran: {klaxon.web_server()}", flush=True)
            print_figures("Klaxon", loads["Klaxon"], "events")
        print_figures(f"{am.version()}", loads["Alertmanager"], "alerts")
        if not available:
            return
        print(f"  ratio Klaxon/Alertmanager (median of the rounds' ratios): events/s "
              f"{median_ratio(loads['Klaxon'], loads['Alertmanager'], 'events_per_second'):.3f}x, "
              f"p99 per request {median_ratio(loads['Klaxon'], loads['Alertmanager'], 'p99_ms'):.1f}x, CPU per event "
              f"{median_ratio(loads['Klaxon'], loads['Alertmanager'], 'cpu_ms_per_event'):.1f}x", flush=True)
        klaxon.start_worker()
        accepted = merged_accepted([warmups["Klaxon"], *loads["Klaxon"]]) + Counter({"probe": 1})
        back = read_back(klaxon.base_url, klaxon.token, SERVICE, accepted, full_up_to=5000, wait=90)
        built = ("unknown (no paging list, no report endpoint)" if back.incidents < 0 else
                 f"{back.incidents} ({verdict(len(accepted) - back.incidents, 0)}: at least one per dedup key answered)")
        doubled = sum(1 for n in back.incidents_per_key.values() if n > 1)
        print(f"  read back: {sum(accepted.values())} events answered 202 for {len(accepted)} dedup keys; incidents "
              f"built {built}; dedup keys with two open incidents {doubled}; "
              f"{back.read} incidents read, {sum(back.stored.values())} events in their `alerts`: lost "
              f"{back.lost(accepted)}, stored but unanswered when wrk stopped {back.extra(accepted)}"
              + (f"; {back.note}" if back.note else ""), flush=True)


if __name__ == "__main__":
    main()
