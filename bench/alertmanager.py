"""The reference beside Klaxon: Prometheus Alertmanager doing the same job in the same run.

`alertmanager()` starts Debian's `prometheus-alertmanager` on a free port with a temporary
configuration and storage folder, clustering off, one aggregation group per distinct alert
(`group_by: ['...']`, as Klaxon opens one incident per dedup key) and `group_wait: 0s`, so a new
alert is notified at once. `WebhookReceiver` is the receiver it notifies: it records when each
alert arrived. Alertmanager deduplicates and routes; it stores no event history, builds no
incident and pages nobody, so it is a floor for Klaxon's intake, not an equal.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import requests

from bench import cpu
from tests.support.redis_server import free_port

CONFIG = """
route:
  receiver: {receiver}
  group_by: ['...']
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 24h
receivers:
  - name: quiet
  - name: webhook
    webhook_configs:
      - url: "{webhook_url}"
        send_resolved: false
"""


def binary() -> str:
    """The Alertmanager binary, or a clear message of what to install."""
    for name in ("prometheus-alertmanager", "alertmanager"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("Alertmanager is not installed: run bench/ensure-tools (or apt-get install prometheus-alertmanager)")


def version() -> str:
    """`alertmanager, version 0.25.0`, for the parameters line."""
    return subprocess.run([binary(), "--version"], capture_output=True, text=True).stdout.splitlines()[0].split(" (")[0]


@dataclass(frozen=True)
class Running:
    """A running Alertmanager: its base URL and process."""

    url: str
    pid: int

    def cpu(self) -> dict[str, float]:
        """CPU seconds it has used so far."""
        return {"Alertmanager": cpu.process_tree(self.pid)}


@contextmanager
def alertmanager(webhook_url: str | None = None) -> Iterator[Running]:
    """A fresh Alertmanager notifying `webhook_url` (or nobody)."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="klaxon-am-") as folder:
        config = Path(folder) / "alertmanager.yml"
        config.write_text(CONFIG.format(receiver="webhook" if webhook_url else "quiet",
                                        webhook_url=webhook_url or "http://127.0.0.1:9/"))
        log = open(Path(folder) / "alertmanager.log", "wb")
        process = subprocess.Popen([binary(), f"--config.file={config}", f"--storage.path={folder}/data",
                                    f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
                                    "--log.level=warn"], stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(base, process, Path(folder) / "alertmanager.log")
            yield Running(base, process.pid)
        finally:
            process.send_signal(signal.SIGCONT)  # a benchmark may have paused it (bench/wrk.py)
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(f"{base}/-/ready", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"Alertmanager did not start:\n{log.read_text(errors='replace')[-2000:]}")


class WebhookReceiver:
    """A local webhook endpoint recording when each alert (by its `id` label) first arrived (time.time())."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                at = time.time()
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                with receiver.lock:
                    for alert in body.get("alerts", []):
                        receiver.arrived.setdefault(alert["labels"].get("id", ""), at)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Where Alertmanager posts."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __enter__(self) -> "WebhookReceiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def alert_body(alert_id: str, severity: str = "critical") -> list[dict[str, object]]:
    """One new alert for POST /api/v2/alerts."""
    return [{"labels": {"alertname": "FirstPage", "id": alert_id, "severity": severity},
             "annotations": {"summary": f"first page {alert_id}"}}]


def alert_id(body: list[dict[str, Any]]) -> str:
    """The `id` label of the alert in a body made by `alert_body`."""
    return str(body[0]["labels"]["id"])  # type: ignore[index]
