"""`klaxon worker`: one process whose lanes (threads) are the RQ workers, the RQ scheduler and the sweeper.

One RQ worker per queue (KLAXON_ESCALATION_WORKERS on the escalation queue, one per delivery channel)
so a Slack outage never delays an SMS (DESIGN rule 10); the RQ scheduler under a name unique to this
process, so a restarted lane takes its locks back at once; the sweeper runs what Redis lost. Threads,
not processes: the app is imported once, a page can go out as soon as the lanes start, and an idle
worker costs one process's memory. Jobs wait on the database and providers, not on the CPU.

The main thread supervises: a lane that dies is logged and restarted, and while every lane runs it
beats a heartbeat in Redis (app.platform.worker_heartbeats) that `/readyz` looks for. SIGTERM or SIGINT asks
every lane to stop (each RQ worker finishes its current job), waits at most STOP_TIMEOUT, and exits:
0 when every lane stopped, 1 when one had to be left. Run as many copies as you like, anywhere.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import time
import uuid
from functools import partial
from typing import Any, Callable

from redis.exceptions import RedisError

from app.platform import worker_heartbeats
from app.platform.queueing import queue_names
from app.platform.runtime import Runtime
from app.platform.settings import Settings
from workers.context import get_runtime
from workers.lanes import Lane, LaneSpec, RQLane, SchedulerLane, SweeperLane

log = logging.getLogger("klaxon.worker")

STOP_TIMEOUT = 25.0
BEAT_SECONDS = 1.0
STARTING_TICK_SECONDS = 0.02
MAX_RESTART_DELAY = 30.0


def lane_specs(settings: Settings, runtime: Runtime, scheduler_name: str) -> list[LaneSpec]:
    """The lanes of one worker: KLAXON_ESCALATION_WORKERS (default 2) RQ workers on the escalation queue,
    so one slow step never holds up the next, one per delivery channel, the scheduler and the sweeper."""
    names = queue_names(settings.queue_prefix)
    escalation, deliveries = names[0], names[1:]
    copies = max(1, int(os.environ.get("KLAXON_ESCALATION_WORKERS", "2")))
    specs = [LaneSpec(f"rq:{escalation}#{n}", partial(RQLane, settings, escalation)) for n in range(copies)]
    specs += [LaneSpec(f"rq:{name}", partial(RQLane, settings, name)) for name in deliveries]
    specs.append(LaneSpec("scheduler", partial(SchedulerLane, settings, names, scheduler_name)))
    specs.append(LaneSpec("sweeper", partial(SweeperLane, runtime, settings.sweeper_period_seconds)))
    return specs


class Supervisor:
    """Runs each lane in a thread, restarts the ones that die, and beats while all of them run."""

    def __init__(self, specs: list[LaneSpec], *, beat: Callable[[], None], forget: Callable[[], None]) -> None:
        self.specs = specs
        self.beat, self.forget = beat, forget
        self.lanes: dict[str, tuple[Lane, threading.Thread]] = {}
        self.stopping = threading.Event()
        self.restarts = 0
        self._failures: dict[str, int] = {}
        self._restart_at: dict[str, float] = {}

    def start(self, spec: LaneSpec) -> None:
        """Build and start a fresh lane for `spec`."""
        lane = spec.build()
        thread = threading.Thread(target=_run_lane, args=(spec.name, lane), name=f"lane {spec.name}", daemon=True)
        self.lanes[spec.name] = (lane, thread)
        thread.start()

    def check(self) -> tuple[bool, bool]:
        """Restart the dead lanes that are due a restart; (every lane runs and has started, some is starting)."""
        ready, starting = True, False
        for spec in self.specs:
            lane, thread = self.lanes[spec.name]
            if not thread.is_alive():
                ready = False
                starting = self._restart_when_due(spec) or starting
            elif lane.is_started():
                self._failures[spec.name] = 0
            else:
                ready, starting = False, True
        return ready, starting

    def _restart_when_due(self, spec: LaneSpec) -> bool:
        """Restart a dead lane at once the first time, then after 1, 2, 4 .. 30 s; True if restarted now."""
        if spec.name not in self._restart_at:
            failures = self._failures[spec.name] = self._failures.get(spec.name, 0) + 1
            delay = 0.0 if failures == 1 else min(MAX_RESTART_DELAY, 2.0 ** (failures - 2))
            self._restart_at[spec.name] = time.monotonic() + delay
            log.warning("lane %s stopped unexpectedly; restarting it in %.0fs", spec.name, delay)
        if time.monotonic() < self._restart_at[spec.name]:
            return False
        del self._restart_at[spec.name]
        self.restarts += 1
        self.start(spec)
        return True

    def run(self) -> None:
        """Start every lane and supervise until `stopping` is set (then call `stop`)."""
        for spec in self.specs:
            self.start(spec)
        announced = False
        while not self.stopping.is_set():
            ready, starting = self.check()
            if ready and _quietly(self.beat) and not announced:
                log.info("klaxon worker %s ready: %s", os.getpid(), ", ".join(s.name for s in self.specs))
                announced = True
            self.stopping.wait(STARTING_TICK_SECONDS if starting else BEAT_SECONDS)

    def stop(self, timeout: float = STOP_TIMEOUT) -> bool:
        """Withdraw the heartbeat, ask every lane to stop, and wait at most `timeout`; True if all stopped."""
        self.stopping.set()
        _quietly(self.forget)
        for lane, _thread in self.lanes.values():
            lane.request_stop()
        deadline = time.monotonic() + timeout
        for name, (_lane, thread) in self.lanes.items():
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                log.warning("lane %s did not stop within %.0fs; leaving it", name, timeout)
        return not any(thread.is_alive() for _lane, thread in self.lanes.values())


def _run_lane(name: str, lane: Lane) -> None:
    try:
        lane.run()
    except RedisError as error:  # an outage, not a bug: no traceback
        log.error("lane %s failed: Redis unavailable (%s)", name, error)
    except Exception:  # noqa: BLE001 - logged here; the supervisor restarts the lane
        log.exception("lane %s failed", name)


def _quietly(action: Callable[[], None]) -> bool:
    try:
        action()
        return True
    except RedisError as error:
        log.warning("worker heartbeat: Redis unavailable (%s)", error)
        return False


def run(settings: Settings, *, burst: bool = False) -> None:
    """Run the worker until SIGTERM or SIGINT (or, with `burst`, what is due now, then return)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    if burst:
        from workers.burst import run_burst

        run_burst(settings)
        return
    runtime = get_runtime()  # built here, once, before any lane shares it
    name = f"klaxon-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    info = {"name": name, "host": socket.gethostname(), "pid": os.getpid()}
    redis, prefix = runtime.redis, settings.queue_prefix
    supervisor = Supervisor(lane_specs(settings, runtime, name),
                            beat=lambda: worker_heartbeats.beat(redis, prefix, name, info),
                            forget=lambda: worker_heartbeats.forget(redis, prefix, name))
    _stop_on_signals(supervisor)
    log.info("klaxon worker %s starting", os.getpid())
    supervisor.run()
    stopped = supervisor.stop()
    log.info("klaxon worker %s stopped", os.getpid())
    if not stopped:
        sys.exit(1)


def _stop_on_signals(supervisor: Supervisor) -> None:
    """SIGTERM and SIGINT stop the supervisor; a second one a second or more later exits at once."""
    first_at: list[float] = []

    def stop(signum: int, _frame: Any) -> None:
        # Sooner than a second, it is the same stop sent twice (Ctrl+C, then `make run` passing it on);
        # later, an impatient operator: exit now, as RQ's cold shutdown does.
        if first_at and time.monotonic() - first_at[0] >= 1.0:
            log.warning("second %s: exiting without waiting for the lanes", signal.Signals(signum).name)
            os._exit(1)
        first_at.append(time.monotonic())
        supervisor.stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
