"""What the benchmarks share: a private Redis, a fresh SQLite or PostgreSQL database, real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.migrate import upgrade  # noqa: E402
from tests.support.redis_server import RedisServer  # noqa: E402

PG_ADMIN_URL = os.environ.get("KLAXON_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def database(kind: str) -> Iterator[str]:
    """A fresh, migrated database URL of `kind` (sqlite or postgresql), removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="klaxon-bench-") as folder:
            url = f"sqlite:///{folder}/klaxon.db"
            upgrade(url)
            yield url
        return
    name = f"klaxon_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    try:
        upgrade(url)
        yield url
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


def klaxon_command() -> str:
    """The `klaxon` console script of this virtualenv."""
    return str(Path(sys.executable).parent / "klaxon")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM and wait."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
