"""End to end: `klaxon worker` is one process whose lanes are threads, and `/readyz` follows its heartbeat."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.faults import descendants
from tests.support.processes import KlaxonProcesses, wait_for

pytestmark = pytest.mark.e2e


def readyz(klaxon: KlaxonProcesses) -> tuple[int, dict[str, Any]]:
    answer = requests.get(f"{klaxon.base_url}/readyz", timeout=5)
    return answer.status_code, answer.json()


def test_worker_is_one_process_and_readyz_is_ready_only_while_it_beats(runtime: Any, klaxon: KlaxonProcesses) -> None:
    klaxon.start_web()
    status, body = readyz(klaxon)
    assert status == 503 and body["checks"]["workers"].startswith("missing")

    worker = klaxon.start_worker(env=klaxon.env() | {"KLAXON_ESCALATION_WORKERS": "2"})
    assert descendants(worker.pid) == [], "the lanes are threads, not child processes"
    threads = len(list(Path(f"/proc/{worker.pid}/task").iterdir()))
    assert threads >= 2 + 3 + 2, f"2 escalation + 3 delivery RQ workers, the scheduler and the sweeper: {threads}"
    assert readyz(klaxon) == (200, {"status": "ready", "checks": {"database": "ok", "redis": "ok", "workers": "ok"}})

    asked = time.monotonic()
    os.kill(worker.pid, signal.SIGTERM)
    assert worker.wait(timeout=30) == 0
    assert time.monotonic() - asked < 10, "idle lanes stop within their dequeue timeout"
    status, body = readyz(klaxon)
    assert status == 503 and body["checks"]["workers"].startswith("missing"), "a stopped worker withdraws at once"


def test_start_worker_fails_with_the_logs_when_the_worker_cannot_start(runtime: Any, klaxon: KlaxonProcesses) -> None:
    broken = klaxon.env() | {"KLAXON_ESCALATION_WORKERS": "not a number"}
    with pytest.raises(RuntimeError, match="klaxon worker .* exited with"):
        klaxon.start_worker("broken", env=broken)
    wait_for(lambda: "ValueError" in klaxon.logs(), timeout=5, message="the traceback in the logs")
