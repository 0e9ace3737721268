"""The floor of the stack for the first-page cycle: how fast can Flask + granian + psycopg 3 +
PostgreSQL + RQ on Redis take an alert in and send its page, with nothing of Klaxon's own in the way?

A bare Flask app (`app`, served as `klaxon web` serves: granian WSGI, 2 workers x 8 blocking threads,
a psycopg connection per thread) with Klaxon's three first-page endpoints: the generic intake INSERTs
an incident, COMMITs and enqueues one RQ job; GET /api/v1/incidents/<id> and POST .../resolve check
the Bearer token with one SELECT (resolve reads its body, as a server must for granian to keep the
connection alive). `--workers` plain `rq worker` processes (rq's CLI; SimpleWorker by default, as a
work horse forked per job costs 17 ms of CPU and caps one worker near 26 pages/s; `-c` preloads this
module) run `send_page`: INSERT a sent notification, COMMIT, one outbox line.
bench/first_page.py's own client drives it (open-loop POSTs, bench/responders.py's 24 pollers),
so Klaxon's figures there can be read against this floor: if the floor misses the target (p99 <= 250
ms at 200 alerts/s on 2 cores), no change inside Klaxon can meet it on this stack.

    python bench/first_page_floor.py [--rate 200 --count 2000] [--no-slow] [--workers 3] [--worker-class rq.SimpleWorker]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, suppress
from datetime import timezone
from functools import cache
from http.client import HTTPException
from pathlib import Path
from typing import Any

import psycopg
from flask import Flask, jsonify, request
from redis import Redis
from rq import Queue

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("FLOOR_REDIS_URL")  # read by `rq worker -c bench.first_page_floor`
TOKEN = "klx_floor"
KEY = "benchfirstpage000000000000000000"
SCHEMA = """
CREATE TABLE api_tokens (id serial PRIMARY KEY, user_id text NOT NULL, role text NOT NULL,
    token_hash text NOT NULL UNIQUE, revoked_at timestamptz);
CREATE TABLE incidents (id bigserial PRIMARY KEY, dedup_key text NOT NULL, status text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE notifications (id bigserial PRIMARY KEY, incident_id bigint NOT NULL REFERENCES incidents,
    status text NOT NULL, sent_at timestamptz);
CREATE INDEX notifications_incident ON notifications (incident_id);
"""

_local = threading.local()


def _connection() -> psycopg.Connection[Any]:
    """This thread's connection (a new one in a forked work horse, which never shares its parent's)."""
    if getattr(_local, "pid", None) != os.getpid():
        _local.connection, _local.pid = psycopg.connect(os.environ["FLOOR_DATABASE_URL"]), os.getpid()
    return _local.connection  # type: ignore[no-any-return]


@cache
def _queue(pid: int) -> Queue:
    """This process's RQ queue (Redis' client is thread-safe)."""
    return Queue("default", connection=Redis.from_url(os.environ["FLOOR_REDIS_URL"]))


def send_page(incident_id: int) -> None:
    """The RQ job: mark the page sent and write it to the outbox, as the console outbox would."""
    connection = _connection()
    connection.execute("INSERT INTO notifications (incident_id, status, sent_at) VALUES (%s, 'sent', now())",
                       (incident_id,))
    connection.commit()
    with open(os.environ["FLOOR_OUTBOX"], "a") as outbox:
        outbox.write(f"console sms page to rita <+14155550199>: incident {incident_id}\n")


app = Flask("first-page-floor")


def _authorized(connection: psycopg.Connection[Any]) -> bool:
    header = request.headers.get("Authorization", "")
    digest = hashlib.sha256(header[7:].strip().encode()).hexdigest()
    return header.lower().startswith("bearer ") and connection.execute(
        "SELECT user_id, role FROM api_tokens WHERE token_hash = %s AND revoked_at IS NULL",
        (digest,)).fetchone() is not None


def _incident_json(connection: psycopg.Connection[Any], incident: tuple[int, str]) -> dict[str, Any]:
    notifications = connection.execute("SELECT status, sent_at FROM notifications WHERE incident_id = %s ORDER BY id",
                                       (incident[0],)).fetchall()
    return {"id": incident[0], "status": incident[1], "notifications": [
        {"status": status, "sent_at": sent_at and sent_at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")}
        for status, sent_at in notifications]}


@app.post("/integrations/generic/<key>")
def intake(key: str) -> Any:
    """INSERT the incident, COMMIT, enqueue its page, answer 202 with its id."""
    alert = request.get_json(force=True)
    connection = _connection()
    row = connection.execute("INSERT INTO incidents (dedup_key, status) VALUES (%s, 'triggered') RETURNING id",
                             (str(alert["dedup_key"]),)).fetchone()
    connection.commit()
    assert row is not None
    _queue(os.getpid()).enqueue("bench.first_page_floor.send_page", row[0])
    return jsonify({"incident_id": row[0]}), 202


@app.route("/api/v1/incidents/<int:incident_id>", methods=["GET"])
@app.route("/api/v1/incidents/<int:incident_id>/resolve", methods=["POST"], endpoint="resolve")
def incident(incident_id: int) -> Any:
    """The incident with its notifications (resolved first on POST .../resolve)."""
    request.get_data()  # read the body: granian closes a keep-alive connection whose body was left unread
    connection = _connection()
    with connection.transaction():  # BEGIN ... COMMIT (ROLLBACK on an error)
        if not _authorized(connection):
            return jsonify({"error": "unauthorized"}), 401
        sql = ("UPDATE incidents SET status = 'resolved' WHERE id = %s RETURNING id, status" if request.method == "POST"
               else "SELECT id, status FROM incidents WHERE id = %s")
        row = connection.execute(sql, (incident_id,)).fetchone()
        return (jsonify(_incident_json(connection, row)), 200) if row else (jsonify({"error": "not found"}), 404)


def _stat(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name: [1] parent pid, [13] and [14] reaped children's CPU."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2:].split()


def _reaped(pid: int) -> float:
    """CPU seconds of `pid`'s children that have exited and been waited for (work horses, backends)."""
    fields = _stat(pid)
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process's group (granian's workers), SIGKILL after 20 s."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def drive(base: str, rate: float, count: int, args: argparse.Namespace, cpu_now: Any) -> str:
    """`count` alerts at `rate` after a warm-up page, as bench/first_page.py drives Klaxon; the report line."""
    from bench.first_page import _answers, _output_rate, trigger
    from bench.harness import load_average, percentile
    from bench.open_loop import send_open_loop
    from bench.responders import Responders

    label = f"{rate:g}x{count}"
    with Responders(base, TOKEN, "pager", args.pollers, args.poll_interval) as responders:
        if not responders.wait_warm(f"/integrations/generic/{KEY}", trigger(f"{label}-warm")):
            raise RuntimeError("the warm-up page never went out")
        before, started = cpu_now(), time.monotonic()
        client = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
        sent = send_open_loop(base, f"/integrations/generic/{KEY}", [trigger(f"{label}-{i}") for i in range(count)],
                              rate, on_accepted=responders.expect)
        pages = responders.wait_all(timeout=30)
        cores = (sum(resource.getrusage(resource.RUSAGE_SELF)[:2]) - client) / (time.monotonic() - started)
        used = {name: (seconds - before[name]) * 1000 / count for name, seconds in cpu_now().items()}
    latencies = [pages[s.name] - s.posted_at for s in sent if s.accepted and s.name in pages]
    answer_p50, answer_p99 = _answers(sent)
    return (f"  {rate:5.0f}/s x {count}: POST -> sent_at p50 {percentile(latencies, .5) * 1000:6.1f} ms  p99 "
            f"{percentile(latencies, .99) * 1000:6.1f} ms; pages out at {_output_rate(list(pages.values())):.1f}/s; "
            f"missing {count - len(latencies)}, non-2xx {responders.failed + sum(not s.accepted for s in sent)}, "
            f"dropped/reset connections {responders.dropped + sum(s.dropped for s in sent)}; POST answered p50 "
            f"{answer_p50 * 1000:.1f} ms p99 {answer_p99 * 1000:.1f} ms; CPU per alert {sum(used.values()):.1f} ms ("
            + ", ".join(f"{name} {ms:.1f}" for name, ms in used.items())
            + f"; pollers' requests included); client used {cores:.2f} cores; {load_average()}"
            + "".join(f"\n    dropped: {drop}" for drop in (responders.drops + [d for s in sent for d in s.drops])[:5]))


def main() -> None:
    """Set up the database, Redis, the floor web and its rq workers; drive 20/s x 200, then --rate x --count."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--no-slow", action="store_true", help="skip the 20/s x 200 run first")
    parser.add_argument("--pollers", type=int, default=24)
    parser.add_argument("--poll-interval", type=float, default=0.1)
    parser.add_argument("--worker-class", default="rq.SimpleWorker", help="rq worker -w")
    parser.add_argument("--workers", type=int, default=3, help="rq worker processes")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench import cpu
    from bench.harness import commit, postgres_database, redis
    from tests.support.redis_server import free_port

    with postgres_database() as url, redis() as server, tempfile.TemporaryDirectory(prefix="floor-") as folder, \
            ExitStack() as stack:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(SCHEMA)
            connection.execute("INSERT INTO api_tokens (user_id, role, token_hash) VALUES ('rita', 'admin', %s)",
                               (hashlib.sha256(TOKEN.encode()).hexdigest(),))
            backend = connection.execute("SELECT pg_backend_pid()").fetchone()
            postmaster = int(_stat(backend[0] if backend else 0)[1])
        logs, port = Path(folder), free_port()
        outbox = logs / "outbox.txt"
        env = os.environ | {"FLOOR_DATABASE_URL": url, "FLOOR_REDIS_URL": server.url, "FLOOR_OUTBOX": str(outbox),
                            "PYTHONPATH": str(ROOT)}
        bin_dir = Path(sys.executable).parent
        web = _start([str(bin_dir / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
                      "--workers", "2", "--blocking-threads", "8", "bench.first_page_floor:app"], env, logs / "web.log")
        stack.callback(_stop, web)
        workers = [_start([str(bin_dir / "rq"), "worker", "-c", "bench.first_page_floor", "-w", args.worker_class],
                          env, logs / f"worker{n}.log") for n in range(args.workers)]
        for worker in workers:
            stack.callback(_stop, worker)
        base, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 60
        while not _answers_404(base):
            if time.monotonic() > deadline or any(p.poll() is not None for p in (web, *workers)):
                raise RuntimeError("".join(log.read_text()[-1500:] for log in sorted(logs.glob("*.log"))))
            time.sleep(0.2)
        database = url.rsplit("/", 1)[1]

        def cpu_now() -> dict[str, float]:
            return {"web": cpu.process_tree(web.pid),
                    "worker": sum(cpu.process_tree(w.pid) + _reaped(w.pid) for w in workers),
                    "PostgreSQL": cpu.postgres_backends(database), "exited backends": _reaped(postmaster)}

        print(f"first-page floor (commit {commit()}): bare Flask under granian WSGI 2 workers x 8 blocking threads, "
              f"psycopg {psycopg.__version__}, {args.workers} `rq worker -w {args.worker_class}`; "
              f"{args.pollers} pollers every {args.poll_interval * 1000:.0f} ms; {os.cpu_count()} cores; CPU: "
              f"PostgreSQL = this database's live backends, exited backends = the whole server's (neighbours too)",
              flush=True)
        runs = ([] if args.no_slow else [(20.0, 200)]) + [(args.rate, args.count)]
        for rate, count in runs:
            print(drive(base, rate, count, args, cpu_now), flush=True)
        print(f"  outbox lines: {len(outbox.read_text().splitlines())}", flush=True)


def _answers_404(base: str) -> bool:
    """Whether the web answers (404 for an incident that does not exist) with the database behind it."""
    from bench.api import Api

    try:
        return Api(base, TOKEN, timeout=2).request("GET", "/api/v1/incidents/0")[0] == 404
    except (OSError, HTTPException):
        return False


if __name__ == "__main__":
    main()
