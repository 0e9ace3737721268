"""Faults the end-to-end tests and the escalation benchmark inject into running Klaxon processes.

Each fault function takes keyword arguments (klaxon, redis_server, proxy, sqlite_path), breaks
something, and returns a callable that clears the fault.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any, Callable

from rq.scheduler import RQScheduler

from app.platform.queueing import queue_names
from tests.support.processes import KlaxonProcesses
from tests.support.redis_server import RedisServer
from tests.support.tcp_proxy import TcpProxy
from workers.scheduling import LOCK_TTL_SECONDS


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def sigkill_worker(klaxon: KlaxonProcesses, **_: Any) -> Callable[[], None]:
    """SIGKILL the whole process group of worker-a."""
    klaxon.kill("worker-a", signal.SIGKILL)
    return lambda: None


def sigterm_worker(klaxon: KlaxonProcesses, **_: Any) -> Callable[[], None]:
    """SIGTERM worker-a; it must finish its jobs, stop its lanes and exit 0, leaving no process behind."""
    process = klaxon.processes["worker-a"]
    os.kill(process.pid, signal.SIGTERM)
    assert process.wait(timeout=30) == 0, "a SIGTERM'd worker finishes its job and exits cleanly"
    assert not [p for p in descendants(process.pid)], "no child left behind"
    return lambda: None


def flush_redis(redis_server: RedisServer, **_: Any) -> Callable[[], None]:
    """FLUSHALL: every queued job and scheduled wake-up is gone."""
    redis_server.client().flushall()
    return lambda: None


def kill_schedulers(redis_server: RedisServer, **_: Any) -> Callable[[], None]:
    """The RQ scheduler holding every queue's lock dies without releasing them (its host is gone).

    A scheduler is a thread of `klaxon worker` and cannot be killed alone; what its death leaves behind
    is locks held under a name nobody runs. The live schedulers lose their locks at their next heartbeat
    and can take them only when they expire: until then no scheduled wake-up is moved, and the sweeper
    must run the steps and pages that fall due.
    """
    client = redis_server.client()
    for queue in queue_names("klaxon"):
        client.set(RQScheduler.get_locking_key(queue), "klaxon-lost-host-1-000000", ex=LOCK_TTL_SECONDS)
    return lambda: None


def database_down(proxy: TcpProxy | None, sqlite_path: str | None, **_: Any) -> Callable[[], None]:
    """Make the database unavailable for 3 s: cut the PostgreSQL proxy, or hold SQLite's write lock."""
    if proxy is not None:
        proxy.cut()
        time.sleep(3)
        return proxy.restore
    assert sqlite_path is not None
    lock = sqlite3.connect(sqlite_path, timeout=30, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")  # every writer now waits on the lock
    time.sleep(3)
    return lambda: (lock.execute("COMMIT"), lock.close())  # type: ignore[func-returns-value]


FAULTS = {"sigkill_worker": sigkill_worker, "sigterm_worker": sigterm_worker, "flushall_redis": flush_redis,
          "scheduler_killed": kill_schedulers, "database_down": database_down}


