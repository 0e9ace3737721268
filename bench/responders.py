"""Responders' screens during the first-page benchmark: threads that poll each new incident through
GET /api/v1/incidents/<id> until its page shows as sent, then resolve it (CONTRACT section 6).

Alerts come in through an intake that answers with the dedup key only, so one more thread lists the
service's triggered incidents to learn each new incident's id, as an incident list page would.
"""

from __future__ import annotations

import queue
import threading
import time
from datetime import datetime
from typing import Any

from bench.api import Api

SENT = ("sent", "delivered")


class Responders:
    """Pollers and an incident finder; `pages` maps each expected dedup key to its page's sent_at (epoch s)."""

    def __init__(self, base_url: str, token: str, service: str, pollers: int, poll_interval: float) -> None:
        self.base_url, self.token, self.service = base_url, token, service
        self.poll_interval = poll_interval
        self.pages: dict[str, float] = {}
        self.unknown: set[str] = set()
        self.expected: set[str] = set()
        self.found: queue.Queue[tuple[str, int]] = queue.Queue()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.apis: list[Api] = []
        self.failed = 0
        self.threads = [threading.Thread(target=self._find, daemon=True)]
        self.threads += [threading.Thread(target=self._poll, daemon=True) for _ in range(pollers)]

    def __enter__(self) -> "Responders":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=10)

    @property
    def dropped(self) -> int:
        """Connections reset or closed under a request, over every thread."""
        return sum(api.dropped for api in self.apis)

    @property
    def drops(self) -> list[str]:
        """What each dropped request was, and how it failed."""
        return [drop for api in self.apis for drop in api.drops]

    def expect(self, dedup_key: str, answer: Any = None) -> None:
        """An alert with this dedup key was accepted: wait for its incident's page. An intake that
        answers with the incident's id (Klaxon's generic one) saves the finder listing incidents."""
        incident_id = answer.get("incident_id") if isinstance(answer, dict) else None
        with self.lock:
            self.expected.add(dedup_key)
            if incident_id is None:
                self.unknown.add(dedup_key)
        if incident_id is not None:
            self.found.put((dedup_key, int(incident_id)))

    def wait_warm(self, path: str, trigger: dict[str, Any], timeout: float = 60) -> bool:
        """Send one alert to `path` and wait until its page has gone out (and it is resolved); not
        timed. False when it never went out."""
        status, body = self._api().request("POST", path, trigger)
        if status != 202:
            raise RuntimeError(f"warm-up alert answered {status} {body}")
        self.expect(trigger["dedup_key"], body)
        paged = trigger["dedup_key"] in self.wait_all(timeout)
        with self.lock:
            self.expected.clear()
            self.pages.clear()
        return paged

    def wait_all(self, timeout: float) -> dict[str, float]:
        """Wait until every expected page has gone out (or `timeout`); the pages seen."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.expected <= self.pages.keys():
                    break
            time.sleep(0.05)
        with self.lock:
            return dict(self.pages)

    def _api(self) -> Api:
        api = Api(self.base_url, self.token)
        with self.lock:
            self.apis.append(api)
        return api

    def _call(self, api: Api, method: str, path: str, body: Any = None) -> Any:
        try:
            status, answer = api.request(method, path, body)
        except OSError:
            status, answer = 0, None
        if not 200 <= status < 300:
            with self.lock:
                self.failed += 1
            return None
        return answer

    def _find(self) -> None:
        """List the newest triggered incidents (a longer page while some stay unfound) every 20 ms."""
        api = self._api()
        limit = 50
        while not self.stopping.is_set():
            with self.lock:
                waiting = len(self.unknown)
            if not waiting:
                limit = 50
                time.sleep(0.005)
                continue
            path = f"/api/v1/incidents?service={self.service}&status=triggered&limit={limit}"
            listed = self._call(api, "GET", path) or {}
            with self.lock:
                for incident in listed.get("incidents", []):
                    if incident.get("dedup_key") in self.unknown:
                        self.unknown.discard(incident["dedup_key"])
                        self.found.put((incident["dedup_key"], incident["id"]))
                if self.unknown and len(listed.get("incidents", [])) >= limit:
                    limit = min(1000, limit * 2)
            time.sleep(0.02)

    def _poll(self) -> None:
        api = self._api()
        while not self.stopping.is_set():
            try:
                dedup_key, incident_id = self.found.get(timeout=0.1)
            except queue.Empty:
                continue
            while not self.stopping.is_set():
                incident = self._call(api, "GET", f"/api/v1/incidents/{incident_id}") or {}
                sent_at = [n["sent_at"] for n in incident.get("notifications", [])
                           if n.get("status") in SENT and n.get("sent_at")]
                if sent_at:
                    with self.lock:
                        self.pages[dedup_key] = min(datetime.fromisoformat(t).timestamp() for t in sent_at)
                    self._call(api, "POST", f"/api/v1/incidents/{incident_id}/resolve", {})
                    break
                time.sleep(self.poll_interval)
