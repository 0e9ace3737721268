"""What the benchmarks share: a private Redis, a fresh SQLite or PostgreSQL database, real processes.

`klaxon_stack()` sets up a Klaxon the way a user would, through the contract only (`klaxon db
upgrade`, `klaxon apply`, `klaxon token create`, `klaxon web`, `klaxon worker`), so the benchmarks
keep working while the internals change.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import psycopg
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import cpu  # noqa: E402
from tests.support.processes import KlaxonProcesses  # noqa: E402
from tests.support.redis_server import RedisServer, free_port  # noqa: E402

PG_ADMIN_URL = os.environ.get("KLAXON_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def database(kind: str) -> Iterator[str]:
    """A fresh database URL of `kind` (sqlite or postgresql) migrated by `klaxon db upgrade`, removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="klaxon-bench-") as folder:
            url = f"sqlite:///{folder}/klaxon.db"
            klaxon("db", "upgrade", database_url=url)
            yield url
        return
    with postgres_database() as url:
        klaxon("db", "upgrade", database_url=url)
        yield url


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards."""
    name = f"klaxon_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def redis() -> Iterator[RedisServer]:
    """A private redis-server for one benchmark run."""
    server = RedisServer.start()
    try:
        yield server
    finally:
        server.stop()


def percentile(values: list[float], fraction: float) -> float:
    """The `fraction` percentile (nearest rank) of `values`."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(fraction * len(ordered))) - 1))
    return ordered[index]


def median(values: list[float]) -> float:
    """The median, NaN when there is nothing."""
    return statistics.median(values) if values else float("nan")


def load_average() -> str:
    """`load 3.1`: how busy the shared machine was (1-minute load average), printed beside figures."""
    return f"load {os.getloadavg()[0]:.1f}"


def verdict(value: float, target: float, higher_is_better: bool = False) -> str:
    """`ok` or `MISSED` against a target."""
    met = value >= target if higher_is_better else value <= target
    return "ok" if met else "MISSED"


def klaxon_command() -> str:
    """The `klaxon` console script of this virtualenv."""
    return str(Path(sys.executable).parent / "klaxon")


def klaxon(*args: str, database_url: str, redis_url: str = "redis://127.0.0.1:9/0") -> str:
    """Run `klaxon ARGS` against a database; its standard output."""
    env = os.environ | {"DATABASE_URL": database_url, "REDIS_URL": redis_url}
    done = subprocess.run([klaxon_command(), *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"klaxon {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def commit() -> str:
    """The commit measured (with `+changes` when the tree has uncommitted changes outside bench/);
    KLAXON_BENCH_COMMIT names it for a tree exported without .git."""
    if os.environ.get("KLAXON_BENCH_COMMIT"):
        return os.environ["KLAXON_BENCH_COMMIT"]
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--", ".", ":!bench"], cwd=ROOT,
                           capture_output=True, text=True)
    return head.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


@dataclass
class Klaxon:
    """One Klaxon under test: database, private Redis, processes and an admin API token."""

    kind: str
    database_url: str
    redis: RedisServer
    processes: KlaxonProcesses
    token: str

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:<port> of `klaxon web`."""
        return self.processes.base_url

    def start_web(self) -> None:
        """`klaxon web` with its production defaults, on a free port; waits for /healthz."""
        self.processes.web_port = free_port()
        env = self.processes.env() | {"PORT": str(self.processes.web_port)}
        self.processes.start("web", "web", env=env)
        self.processes.wait_http(f"{self.base_url}/healthz", timeout=60)

    def web_cpu(self) -> dict[str, float]:
        """CPU seconds used so far by `klaxon web` (all its processes) and by the PostgreSQL backends
        of this database; SQLite's work is inside the web processes."""
        used = {"web": cpu.process_tree(self.processes.processes["web"].pid)}
        if self.kind == "postgresql":
            used["PostgreSQL"] = cpu.postgres_backends(self.database_url.rsplit("/", 1)[1])
        return used

    def cpu_by_process(self) -> dict[str, float]:
        """CPU seconds used so far by each Klaxon process (`web`, `worker`...) and the database backends."""
        used = {name: cpu.process_tree(process.pid) for name, process in self.processes.processes.items()}
        if self.kind == "postgresql":
            used["PostgreSQL"] = cpu.postgres_backends(self.database_url.rsplit("/", 1)[1])
        return used

    def start_worker(self, name: str = "worker") -> None:
        """One `klaxon worker` (its RQ workers, scheduler and sweeper)."""
        self.processes.start(name, "worker")

    def web_server(self) -> str:
        """What `klaxon web` runs, as its command line shows (gunicorn or granian, workers, threads)."""
        process = self.processes.processes["web"]
        try:
            words = [w for w in Path(f"/proc/{process.pid}/cmdline").read_text().split("\0") if w]
        except OSError:
            return "klaxon web"
        shown, skip = [], False
        for word in words[1:]:
            if skip or word == "-m":
                skip = False
                continue
            if word in ("--bind", "--host", "--port", "--access-logformat", "--access-log-fmt", "--access-logfile"):
                skip = True
                continue
            if not word.startswith("--access-log") and "%(" not in word:
                shown.append(word)
        return " ".join(shown)


@contextmanager
def klaxon_stack(kind: str, config: str, *, extra_env: dict[str, str] | None = None) -> Iterator[Klaxon]:
    """A fresh database of `kind` with `config` applied, a private Redis and an admin token; no process
    runs until the benchmark starts one."""
    with database(kind) as url, redis() as server, tempfile.TemporaryDirectory(prefix="klaxon-bench-") as folder:
        config_file = Path(folder) / "klaxon.yaml"
        config_file.write_text(config)
        klaxon("apply", str(config_file), database_url=url, redis_url=server.url)
        admin = config_admin(config)
        token = klaxon("token", "create", "--user", admin, "--role", "admin",
                       database_url=url, redis_url=server.url).strip().splitlines()[-1]
        processes = KlaxonProcesses(url, server.url, Path(folder), extra_env=dict(extra_env or {}))
        try:
            yield Klaxon(kind, url, server, processes, token)
        finally:
            processes.stop_all()
            keep_logs(Path(folder))


def keep_logs(folder: Path) -> None:
    """Copy the processes' logs to $KLAXON_BENCH_LOGS/<run>/ when that is set (they are deleted with the run)."""
    target = os.environ.get("KLAXON_BENCH_LOGS")
    if not target:
        return
    run = Path(target) / time.strftime("%Y%m%dT%H%M%S")
    run.mkdir(parents=True, exist_ok=True)
    for log in folder.glob("*.log"):
        shutil.copy(log, run / log.name)


def config_admin(config: str) -> str:
    """The first user id of a configuration: the benchmarks' API tokens act as that user."""
    return str(yaml.safe_load(config)["users"][0]["id"])


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM and wait."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def one_responder_config(key: str, service: str = "pager") -> str:
    """A service whose policy pages one responder, Rita, by one SMS rule at once (console outbox)."""
    return f"""
users:
  - {{id: rita, name: Rita Responder, phone: "+14155550199", notify: [{{channel: sms, after: 0s}}]}}
escalation_policies:
  - id: pager
    levels:
      - {{targets: [user:rita], escalate_after: 30m}}
services:
  - id: {service}
    name: Pager
    escalation_policy: pager
    integration_keys:
      - {{name: bench, key: "{key}"}}
"""
