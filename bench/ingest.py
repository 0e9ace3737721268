"""Ingest benchmark: alerts per second accepted through POST /v2/enqueue, p50 and p99 latency.

Served the way production serves it (`klaxon web`: gunicorn), on SQLite and on PostgreSQL, with
concurrent keep-alive clients in separate processes, half new dedup keys and half repeats of a
small pool (alert storms attach to open incidents). The load generator shares the machine's cores
with the server, so the figures are a floor for a server with its own cores.

    python bench/ingest.py [--seconds 10] [--clients 32] [--web-workers N]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import database, klaxon_command, percentile, redis, stop  # noqa: E402
from tests.support.config import CHECKOUT_KEY, apply_test_config  # noqa: E402
from tests.support.processes import KlaxonProcesses  # noqa: E402
from tests.support.redis_server import free_port  # noqa: E402


def client_process(port: int, threads: int, seconds: float, seed: int, out: "multiprocessing.Queue[object]") -> None:
    """Post triggers from `threads` keep-alive connections for `seconds`; report latencies."""
    import threading

    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def run(thread_seed: int) -> None:
        rng = random.Random(thread_seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        failed = 0
        while time.monotonic() < deadline:
            repeated = rng.random() < 0.5
            key = f"storm-{rng.randrange(50)}" if repeated else f"new-{thread_seed}-{rng.getrandbits(48):x}"
            body = json.dumps({"routing_key": CHECKOUT_KEY, "event_action": "trigger", "dedup_key": key,
                               "payload": {"summary": f"latency high on {key}", "source": "bench",
                                           "severity": rng.choice(["critical", "error", "warning", "info"])}})
            started = time.perf_counter()
            try:
                conn.request("POST", "/v2/enqueue", body, {"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                ok = response.status == 202
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            if ok:
                mine.append(time.perf_counter() - started)
            else:
                failed += 1
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    workers = [threading.Thread(target=run, args=(seed * 1000 + i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out.put((latencies, errors[0], usage.ru_utime + usage.ru_stime))


def _process_cpu() -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, command name, CPU seconds so far) for every process on the machine."""
    ticks = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                text = stat.read()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        table[int(entry)] = (int(fields[1]), text[text.index("(") + 1:text.rindex(")")],
                             (int(fields[11]) + int(fields[12])) / ticks)
    return table


def _machine_busy() -> float:
    """CPU seconds spent busy (all cores) since boot."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


def _cpu_split(before: dict[int, tuple[int, str, float]], after: dict[int, tuple[int, str, float]],
               web_pid: int) -> dict[str, float]:
    """CPU seconds used during the run by the web server (master and workers) and by PostgreSQL."""
    def used(pid: int) -> float:
        return after[pid][2] - (before[pid][2] if pid in before else 0.0)

    web = [pid for pid, (ppid, _, _) in after.items() if pid == web_pid or ppid == web_pid]
    postgres = [pid for pid, (_, name, _) in after.items() if name.startswith("postgres")]
    return {"web": sum(used(pid) for pid in web), "postgres": sum(used(pid) for pid in postgres)}


def run_one(kind: str, seconds: float, clients: int, web_workers: int, web_threads: int) -> dict[str, float]:
    """Benchmark one database backend; returns the figures."""
    with database(kind) as url, redis() as server:
        from app.runtime import Runtime
        from app.settings import Settings

        runtime = Runtime.from_settings(Settings(database_url=url, redis_url=server.url))
        apply_test_config(runtime)
        runtime.close()
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TWILIO_"))}
        env.update(DATABASE_URL=url, REDIS_URL=server.url, PORT=str(port))
        log = open(os.devnull, "wb")
        web = subprocess.Popen([klaxon_command(), "web", "--workers", str(web_workers), "--threads", str(web_threads)],
                               env=env, stdout=log, stderr=log)
        try:
            KlaxonProcesses(url, server.url, Path("/tmp")).wait_http(f"http://127.0.0.1:{port}/healthz")
            processes = 4
            queue: multiprocessing.Queue[object] = multiprocessing.Queue()
            procs = [multiprocessing.Process(target=client_process,
                                             args=(port, max(1, clients // processes), seconds, i + 1, queue))
                     for i in range(processes)]
            cpu_before, busy_before = _process_cpu(), _machine_busy()
            started = time.monotonic()
            for proc in procs:
                proc.start()
            results = [queue.get() for _ in procs]
            elapsed = time.monotonic() - started
            split = _cpu_split(cpu_before, _process_cpu(), web.pid)
            busy = _machine_busy() - busy_before
            for proc in procs:
                proc.join()
        finally:
            stop(web)
    latencies = [lat for lats, _, _ in results for lat in lats]  # type: ignore[union-attr]
    errors = sum(err for _, err, _ in results)  # type: ignore[misc]
    clients_cpu = sum(cpu for _, _, cpu in results)  # type: ignore[misc]
    per_alert = 1000 / max(1, len(latencies))
    other = busy - split["web"] - split["postgres"] - clients_cpu
    return {"accepted": len(latencies), "errors": errors, "rate": len(latencies) / elapsed,
            "p50_ms": percentile(latencies, 0.50) * 1000, "p99_ms": percentile(latencies, 0.99) * 1000,
            "web_ms": split["web"] * per_alert, "pg_ms": split["postgres"] * per_alert,
            "clients_ms": clients_cpu * per_alert, "other_share": other / max(busy, 1e-9)}


def main() -> None:
    """Run both backends and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--web-workers", type=int, default=(os.cpu_count() or 1) + 1)
    parser.add_argument("--web-threads", type=int, default=4)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    print(f"ingest: POST /v2/enqueue, {args.clients} keep-alive clients, {args.seconds:.0f}s per backend, "
          f"klaxon web with {args.web_workers} gunicorn workers x {args.web_threads} threads, {os.cpu_count()} cores shared with the clients")
    for kind in ([args.only] if args.only else ["sqlite", "postgresql"]):
        figures = run_one(kind, args.seconds, args.clients, args.web_workers, args.web_threads)
        print(f"  {kind:<10} {figures['rate']:8.0f} alerts/s accepted  p50 {figures['p50_ms']:6.1f} ms  "
              f"p99 {figures['p99_ms']:6.1f} ms  ({int(figures['accepted'])} accepted, {int(figures['errors'])} errors)",
              flush=True)
        print(f"  {'':<10} CPU per accepted alert: web {figures['web_ms']:.2f} ms, PostgreSQL {figures['pg_ms']:.2f} ms, "
              f"load generator {figures['clients_ms']:.2f} ms; other processes used "
              f"{figures['other_share']:.0%} of the busy CPU", flush=True)


if __name__ == "__main__":
    main()
