"""Real Klaxon processes for end-to-end tests: `klaxon web` (gunicorn) and `klaxon worker`.

Each process gets its own session (process group) so a test can SIGKILL a whole worker tree.
Output goes to files under the test's tmp_path, printed when a test fails to start one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from redis import Redis

from app.platform.settings import Settings
from tests.support.redis_server import free_port

KLAXON = str(Path(sys.executable).parent / "klaxon")


@dataclass
class KlaxonProcesses:
    """Starts and stops web and worker processes against one database and Redis."""

    database_url: str
    redis_url: str
    log_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    web_port: int = 0

    def env(self) -> dict[str, str]:
        """The environment every child gets."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TWILIO_"))}
        env.update(DATABASE_URL=self.database_url, REDIS_URL=self.redis_url, KLAXON_SWEEPER_PERIOD="1",
                   PYTHONUNBUFFERED="1", PROMETHEUS_MULTIPROC_DIR=str(self.log_dir / "metrics"))
        env.update(self.extra_env)
        return env

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:<port> of the web process."""
        return f"http://127.0.0.1:{self.web_port}"

    def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """Start `klaxon <args>` as its own process group, logging to <log_dir>/<name>.log."""
        log = open(self.log_dir / f"{name}.log", "ab")
        process = subprocess.Popen([KLAXON, *args], env=env or self.env(), stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.processes[name] = process
        return process

    def start_web(self) -> None:
        """Start `klaxon web` on a free port and wait for /healthz."""
        self.web_port = free_port()
        env = self.env() | {"PORT": str(self.web_port), "KLAXON_PUBLIC_URL": self.extra_env.get(
            "KLAXON_PUBLIC_URL", f"http://127.0.0.1:{self.web_port}")}
        self.extra_env.setdefault("KLAXON_PUBLIC_URL", env["KLAXON_PUBLIC_URL"])
        self.start("web", "web", "--workers", "2", env=env)
        self.wait_http(f"{self.base_url}/healthz")

    def start_worker(self, name: str = "worker", env: dict[str, str] | None = None,
                     timeout: float = 30) -> subprocess.Popen[bytes]:
        """Start one `klaxon worker` (its RQ workers, scheduler and sweeper) and wait until it is ready:
        its heartbeat is in Redis, so every lane runs and a page due now goes out."""
        process = self.start(name, "worker", env=env)
        self.wait_worker_ready(process, env=env, timeout=timeout)
        return process

    def wait_worker_ready(self, process: subprocess.Popen[bytes], env: dict[str, str] | None = None,
                          timeout: float = 30) -> None:
        """Wait until the worker `process` beats its heartbeat; fail with the logs if it exits or never does."""
        from app.platform.worker_heartbeats import live_workers

        settings = Settings.from_env(env or self.env())
        redis = Redis.from_url(settings.redis_url)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline and process.poll() is None:
                if any(w.get("pid") == process.pid for w in live_workers(redis, settings.queue_prefix)):
                    return
                time.sleep(0.02)
        finally:
            redis.close()
        state = f"exited with {process.returncode}" if process.poll() is not None else f"not ready after {timeout}s"
        raise RuntimeError(f"klaxon worker {process.pid} {state}; logs in {self.log_dir}:\n{self.logs()}")

    def wait_http(self, url: str, timeout: float = 30) -> None:
        """Wait until `url` answers 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(url, timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{url} did not come up; logs in {self.log_dir}:\n{self.logs()}")

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Send `sig` to the whole process group of `name`."""
        process = self.processes[name]
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        process.wait(timeout=30)

    def stop_all(self) -> None:
        """SIGTERM every group, then SIGKILL what is left."""
        for process in self.processes.values():
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 30
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def logs(self) -> str:
        """The tail of every log, for failure messages."""
        parts = []
        for path in sorted(self.log_dir.glob("*.log")):
            parts.append(f"--- {path.name}\n" + path.read_text(errors="replace")[-3000:])
        return "\n".join(parts)


def wait_for(predicate: object, timeout: float = 20, interval: float = 0.2, message: str = "condition") -> None:
    """Poll `predicate()` until it is truthy, else fail with `message`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")
