"""First-page benchmark: from the POST of a new SEV1 to its page going out, with Alertmanager's alert
in -> webhook out (group_wait 0) at the same rate beside it.

A new SEV1 (a generic `critical` trigger with a new dedup key, whose 202 names the incident) every 1/rate seconds, open loop,
to a service whose policy pages one responder by one SMS rule; no Twilio credentials, so the console
outbox sends it. 24 client threads, as responders' screens, poll GET /api/v1/incidents/<id> until the
page shows in `notifications` as sent, then resolve the incident (the intake's answer names each
incident, so the finder thread that lists triggered incidents stays idle). The figure is POST start -> the notification's `sent_at`,
timed only after a warm-up page has gone out. Dropped or reset connections are counted (must be 0).
Targets: p99 at most 100 ms at 20 alerts/s, at most 250 ms at 200 alerts/s.

    python bench/first_page.py [--only pg20|sqlite20|pg200] [--rate R --count N] [--pollers 24] [--poll-interval 0.1]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import alertmanager as am  # noqa: E402
from bench.harness import (
    Klaxon,
    commit,
    klaxon_stack,
    load_average,
    one_responder_config,
    percentile,
    verdict,  # noqa: E402
)
from bench.open_loop import Sent, send_open_loop  # noqa: E402
from bench.responders import Responders  # noqa: E402

KEY = "benchfirstpage000000000000000000"
SERVICE = "pager"
CONFIG = one_responder_config(KEY, SERVICE)
SCENARIOS = {  # name: (database, alerts per second, alerts, p99 target in ms)
    "pg20": ("postgresql", 20.0, 200, 100.0),
    "sqlite20": ("sqlite", 20.0, 200, 100.0),
    "pg200": ("postgresql", 200.0, 2000, 250.0),
}


@dataclass
class Outcome:
    """Latencies (seconds) of one run, and what went wrong."""

    latencies: list[float]
    missing: int
    dropped: int
    failed: int
    lag_p99: float
    answer_p50: float
    answer_p99: float
    client_cores: float = 0.0
    output_rate: float = 0.0  # pages (or webhooks) out per second, first to last
    cpu_ms: float = float("nan")  # server CPU per alert: web, worker and PostgreSQL (Alertmanager: itself)
    load: str = ""
    drops: tuple[str, ...] = ()
    cpu_parts: str = ""


INTAKE = f"/integrations/generic/{KEY}"


def trigger(n: str) -> dict[str, object]:
    """A new SEV1: a generic critical trigger with its own dedup key. The generic intake answers with
    the incident's id (PagerDuty's v2 answer has none), so the pollers need not list incidents."""
    return {"summary": f"checkout down {n}", "source": "bench", "severity": "critical", "dedup_key": n}


class NeverPaged(RuntimeError):
    """The warm-up page never went out: nothing to time."""


def klaxon_run(klaxon: Klaxon, label: str, rate: float, count: int, args: argparse.Namespace) -> Outcome:
    """Drive `count` SEV1s at `rate` while the responders poll and resolve; the latencies to `sent_at`."""
    with Responders(klaxon.base_url, klaxon.token, SERVICE, args.pollers, args.poll_interval) as responders:
        if not responders.wait_warm(INTAKE, trigger(f"{label}-warm")):
            raise NeverPaged(klaxon.processes.logs()[-1500:])
        cpu, server_cpu, load = _cpu(), klaxon.cpu_by_process(), load_average()
        started = time.monotonic()
        sent = send_open_loop(klaxon.base_url, INTAKE, [trigger(f"{label}-{i}") for i in range(count)], rate,
                              on_accepted=responders.expect)
        pages = responders.wait_all(timeout=30)
        cores = (_cpu() - cpu) / (time.monotonic() - started)
        used = {name: (seconds - server_cpu.get(name, 0.0)) * 1000 / count
                for name, seconds in klaxon.cpu_by_process().items()}
    latencies = [pages[s.name] - s.posted_at for s in sent if s.accepted and s.name in pages]
    return Outcome(latencies, count - len(latencies), responders.dropped + sum(s.dropped for s in sent),
                   responders.failed + sum(1 for s in sent if not s.accepted), _lag_p99(sent), *_answers(sent), cores,
                   _output_rate(list(pages.values())), sum(used.values()), load,
                   tuple(responders.drops) + tuple(d for s in sent for d in s.drops),
                   ", ".join(f"{name} {ms:.1f}" for name, ms in used.items()))


def alertmanager_run(rate: float, count: int, label: str) -> Outcome:
    """The same rate of new alerts into Alertmanager; latency to the webhook's arrival."""
    with am.WebhookReceiver() as hook, am.alertmanager(hook.url) as running:
        base = running.url
        send_open_loop(base, "/api/v2/alerts", [am.alert_body(f"{label}-warm")], 1.0, name_of=am.alert_id)
        _wait(lambda: f"{label}-warm" in hook.arrived, 10)
        server_cpu, load = running.cpu(), load_average()
        sent = send_open_loop(base, "/api/v2/alerts", [am.alert_body(f"{label}-{i}") for i in range(count)], rate,
                              name_of=am.alert_id)
        _wait(lambda: all(s.name in hook.arrived for s in sent if s.accepted), 30)
        server_ms = (running.cpu()["Alertmanager"] - server_cpu["Alertmanager"]) * 1000 / count
    latencies = [hook.arrived[s.name] - s.posted_at for s in sent if s.accepted and s.name in hook.arrived]
    return Outcome(latencies, count - len(latencies), sum(s.dropped for s in sent),
                   sum(1 for s in sent if not s.accepted), _lag_p99(sent), *_answers(sent),
                   output_rate=_output_rate([hook.arrived[s.name] for s in sent if s.name in hook.arrived]),
                   cpu_ms=server_ms, load=load)


def _lag_p99(sent: list[Sent]) -> float:
    return percentile([s.posted_at - s.scheduled_at for s in sent], 0.99)


def _output_rate(times: list[float]) -> float:
    """How many went out per second, from the first to the last."""
    return (len(times) - 1) / (max(times) - min(times)) if len(times) > 1 and max(times) > min(times) else float("nan")


def _answers(sent: list[Sent]) -> tuple[float, float]:
    """p50 and p99 of how long the POSTs took to be answered."""
    took = [s.answered_at - s.posted_at for s in sent]
    return percentile(took, 0.5), percentile(took, 0.99)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _wait(predicate: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not predicate():  # type: ignore[operator]
        time.sleep(0.05)


def ms(outcome: Outcome, fraction: float) -> float:
    return percentile(outcome.latencies, fraction) * 1000


def report(name: str, rate: float, count: int, target_ms: float, klaxon: Outcome, reference: Outcome) -> None:
    database = SCENARIOS[name][0]
    p99 = ms(klaxon, 0.99)
    print(f"  {name:<8} {database:<10} {rate:5.0f}/s x {count}: Klaxon POST -> sent_at p50 {ms(klaxon, .5):7.1f} ms  "
          f"p99 {p99:7.1f} ms ({verdict(p99, target_ms)}: <= {target_ms:.0f}); pages out at {klaxon.output_rate:.1f}/s; "
          f"missing {klaxon.missing}, "
          f"non-2xx {klaxon.failed}, dropped/reset connections {klaxon.dropped} ({verdict(klaxon.dropped, 0)}); "
          f"POST answered p50 {klaxon.answer_p50 * 1000:.1f} ms p99 {klaxon.answer_p99 * 1000:.1f} ms; sends behind "
          f"schedule p99 {klaxon.lag_p99 * 1000:.1f} ms; CPU per alert {klaxon.cpu_ms:.1f} ms ({klaxon.cpu_parts}; over "
          f"the run: pollers' requests and idle work included); client threads used {klaxon.client_cores:.2f} cores; {klaxon.load}", flush=True)
    print(f"  {'':<8} {'':<10} {'':>13}  Alertmanager alert -> webhook p50 {ms(reference, .5):7.1f} ms  p99 "
          f"{ms(reference, .99):7.1f} ms; missing {reference.missing}, dropped {reference.dropped}; POST answered p50 "
          f"{reference.answer_p50 * 1000:.1f} ms p99 {reference.answer_p99 * 1000:.1f} ms; CPU per alert "
          f"{reference.cpu_ms:.2f} ms; {reference.load}  |  ratio Klaxon/Alertmanager p50 "
          f"{ms(klaxon, .5) / ms(reference, .5):.0f}x, p99 {p99 / ms(reference, .99):.0f}x, CPU per alert "
          f"{klaxon.cpu_ms / reference.cpu_ms:.0f}x", flush=True)
    for drop in klaxon.drops[:5]:
        print(f"  {'':<8} dropped: {drop}", flush=True)


def main() -> None:
    """Each scenario on Klaxon, then Alertmanager at the same rate."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(SCENARIOS))
    parser.add_argument("--rate", type=float, help="alerts per second instead of the scenario's")
    parser.add_argument("--count", type=int, help="alerts instead of the scenario's")
    parser.add_argument("--pollers", type=int, default=24)
    parser.add_argument("--poll-interval", type=float, default=0.1, help="seconds between one poller's GETs")
    args = parser.parse_args()
    print(f"first page (commit {commit()}): a new SEV1 (generic critical trigger) every 1/rate s, open loop; one "
          f"responder, one SMS rule, console outbox; {args.pollers} pollers GET /api/v1/incidents/<id> every "
          f"{args.poll_interval * 1000:.0f} ms until the page is sent, then resolve; timed after a warm-up page; "
          f"{am.version()} beside it (group_wait 0s, webhook to a local receiver, no pollers)", flush=True)
    names = [args.only] if args.only else list(SCENARIOS)
    failed = False
    for database in ("postgresql", "sqlite"):
        mine = [n for n in names if SCENARIOS[n][0] == database]
        if not mine:
            continue
        with klaxon_stack(database, CONFIG) as klaxon:
            klaxon.start_web()
            klaxon.start_worker()
            print(f"  klaxon web ran: {klaxon.web_server()}; one klaxon worker", flush=True)
            for name in mine:
                _, rate, count, target = SCENARIOS[name]
                rate, count = args.rate or rate, args.count or count
                try:
                    outcome = klaxon_run(klaxon, name, rate, count, args)
                except NeverPaged as error:
                    failed = True
                    print(f"  {name:<8} {database}: the warm-up page never went out within 60s, so nothing was timed; "
                          f"the logs end:\n{error}", flush=True)
                    reference = alertmanager_run(rate, count, name)
                    print(f"  {name:<8} Alertmanager alert -> webhook p50 {ms(reference, .5):7.1f} ms  p99 "
                          f"{ms(reference, .99):7.1f} ms", flush=True)
                    break
                report(name, rate, count, target, outcome, alertmanager_run(rate, count, name))
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
