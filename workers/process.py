"""`klaxon worker`: supervise the RQ workers, the RQ scheduler and the sweeper as child processes.

One child per queue (escalation, and one per delivery channel) so a Slack outage never delays an
SMS (DESIGN rule 10); the RQ scheduler runs as its own supervised child, under a stable name so a
restarted one takes its lock back at once instead of waiting out the lock's TTL; the sweeper runs
what Redis lost. A child that dies is restarted. SIGTERM or SIGINT stops every child gracefully
(each RQ worker finishes its current job), then exits. Run as many copies as you like, anywhere.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from typing import Any

from app.queueing import queue_names
from app.settings import Settings

log = logging.getLogger("klaxon.worker")

STOP_TIMEOUT = 25.0


def child_roles(settings: Settings) -> list[str]:
    """The children one `klaxon worker` runs: KLAXON_ESCALATION_WORKERS (default 2) RQ workers on the
    escalation queue, so one slow step never holds up the next, then one per delivery channel."""
    escalation, *deliveries = queue_names(settings.queue_prefix)
    copies = max(1, int(os.environ.get("KLAXON_ESCALATION_WORKERS", "2")))
    return ([f"rq:{escalation}#{n}" for n in range(copies)] + [f"rq:{name}" for name in deliveries]
            + ["scheduler", "sweeper"])


def run(settings: Settings, *, burst: bool = False) -> None:
    """Start and supervise the children until told to stop."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if burst:
        from workers.child import run_burst

        run_burst(settings)
        return
    scheduler_name = f"klaxon-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    env = dict(os.environ, KLAXON_SCHEDULER_NAME=scheduler_name)
    children: dict[str, subprocess.Popen[bytes]] = {}
    stopping = {"now": False}

    def stop(*_: Any) -> None:
        stopping["now"] = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    roles = child_roles(settings)
    log.info("klaxon worker %s starting %s", os.getpid(), ", ".join(roles))
    while not stopping["now"]:
        for role in roles:
            child = children.get(role)
            if child is None or child.poll() is not None:
                if child is not None:
                    log.warning("%s exited with %s; restarting", role, child.returncode)
                children[role] = subprocess.Popen([sys.executable, "-m", "workers.child", role], env=env)
        time.sleep(0.5)
    _stop_children(children)


def _stop_children(children: dict[str, subprocess.Popen[bytes]]) -> None:
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for role, child in children.items():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop in time; killing it", role)
            child.kill()
    log.info("klaxon worker stopped")
