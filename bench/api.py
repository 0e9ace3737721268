"""Klaxon's REST API as the benchmarks use it: a keep-alive client that counts dropped connections,
and the read-back of every accepted event through `GET /api/v1/incidents/<id>` (CONTRACT section 6)."""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

# Gunicorn closes a keep-alive connection idle for 2 s; a client that reuses one after that sees a
# reset that is nobody's fault. Reopen sooner, so every reset counted is a real one.
IDLE_REOPEN = 1.0


class Api:
    """One keep-alive HTTP connection to Klaxon; `dropped` counts connections reset or closed under a request."""

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 30) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.headers = {"Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.timeout = timeout
        self.connection: http.client.HTTPConnection | None = None
        self.last_used = 0.0
        self.dropped = 0
        self.drops: list[str] = []  # what each dropped request was, and how it failed

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """(status, decoded JSON or None); a dropped connection is counted and the request retried once."""
        for attempt in (1, 2):
            if self.connection is None or time.monotonic() - self.last_used > IDLE_REOPEN:
                self.close()
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.connection.request(method, path, None if body is None else json.dumps(body), self.headers)
                response = self.connection.getresponse()
                raw = response.read()
            except (OSError, http.client.HTTPException) as error:
                self.dropped += 1
                idle = time.monotonic() - self.last_used if self.last_used else 0.0
                self.drops.append(f"{method} {path.split('?')[0]}: {type(error).__name__} (connection idle {idle:.1f}s)")
                self.close()
                if attempt == 2:
                    raise
                continue
            self.last_used = time.monotonic()
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            try:
                return response.status, json.loads(raw) if raw else None
            except ValueError:
                return response.status, None
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Close the connection (the next request opens a new one)."""
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def get_incident(api: Api, incident_id: int) -> dict[str, Any] | None:
    """The full incident, or None when there is no such incident."""
    status, body = api.request("GET", f"/api/v1/incidents/{incident_id}")
    if status == 404:
        return None
    if status != 200:
        raise RuntimeError(f"GET /api/v1/incidents/{incident_id}: {status} {body}")
    return body  # type: ignore[no-any-return]


def list_incident_ids(api: Api, service: str) -> tuple[list[tuple[int, str]], bool]:
    """(id, dedup_key) of every incident of `service` by following `next`; and whether the list was
    complete (False when a full page came without `next`: the endpoint does not page yet)."""
    found: list[tuple[int, str]] = []
    path: str | None = f"/api/v1/incidents?service={service}&limit=1000"
    while path:
        status, body = api.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {body}")
        page = body.get("incidents", [])
        found.extend((item["id"], item.get("dedup_key") or "") for item in page)
        following = body.get("next")
        if following is None and "next" not in body and len(page) >= 1000:
            return found, False
        path = None if not following else _path_of(following)
    return found, True


def count_incidents(api: Api, service: str) -> int | None:
    """How many incidents `service` has, from GET /api/v1/reports/summary (CONTRACT section 6); None
    when the endpoint is not there yet."""
    status, body = api.request("GET", f"/api/v1/reports/summary?start=2000-01-01T00:00:00Z&end=2100-01-01T00:00:00Z"
                                      f"&service={service}")
    if status == 200 and isinstance(body, dict) and isinstance(body.get("incidents"), int):
        return int(body["incidents"])
    return None


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class ReadBack:
    """Accepted events compared with what the API shows."""

    incidents: int = 0  # incidents of the service; -1 when unknown (a sample read, no paging, no report)
    read: int = 0
    stored: Counter[str] = field(default_factory=Counter)
    incidents_per_key: Counter[str] = field(default_factory=Counter)
    sampled: bool = False
    note: str = ""

    def lost(self, accepted: Counter[str]) -> int:
        """Accepted events not shown (of the incidents read)."""
        keys = accepted if not self.sampled else {k: v for k, v in accepted.items() if k in self.stored}
        return sum(max(0, n - self.stored.get(k, 0)) for k, n in keys.items())

    def extra(self, accepted: Counter[str]) -> int:
        """Events shown that were never answered 2xx (a request cut off after the commit)."""
        return sum(max(0, n - accepted.get(k, 0)) for k, n in self.stored.items())


def read_back(base_url: str, token: str, service: str, accepted: Counter[str], *, threads: int = 4,
              full_up_to: int = 20000, sample: int = 1000, wait: float = 60.0) -> ReadBack:
    """Read every incident of `service` (or, past `full_up_to` incidents, every incident of a repeated
    key and a random `sample` of the rest) and count its `alerts` per dedup key. Waits up to `wait`
    seconds for incidents still being built (events stored, incidents built later by a worker)."""
    deadline = time.monotonic() + wait
    while True:
        result = _read_once(base_url, token, service, accepted, threads, full_up_to, sample)
        if result.lost(accepted) == 0 or time.monotonic() > deadline:
            return result
        time.sleep(2)


def _read_once(base_url: str, token: str, service: str, accepted: Counter[str], threads: int,
               full_up_to: int, sample: int) -> ReadBack:
    api = Api(base_url, token)
    listed, complete = list_incident_ids(api, service)
    result = ReadBack()
    if complete:
        # Incidents of repeated keys are few and hold most alerts: always read them all.
        every = [i for i, k in listed if accepted.get(k, 0) > 1]
        rest = [i for i, k in listed if accepted.get(k, 0) <= 1]
    else:
        # No `next` yet (CONTRACT section 6 says lists page): find the rest by trying every id.
        every, rest = [], list(range(1, max(i for i, _ in listed) + 1))
        result.note = f"the incident list does not page (no `next`), so ids 1..{len(rest)} were tried"
    if len(every) + len(rest) > full_up_to:
        result.sampled = True
        rest = random.Random(9).sample(rest, min(sample, len(rest)))
        result.note = (f"{len(every) + len(rest)} incidents or ids: every repeated-key incident and a random {len(rest)} "
                       "of the rest were read" + ("" if complete else " (the incident list does not page)"))
    lock = threading.Lock()
    local = threading.local()

    def fetch(incident_id: int) -> None:
        if not hasattr(local, "api"):
            local.api = Api(base_url, token)
        incident = get_incident(local.api, incident_id)
        if incident is None:
            return
        with lock:
            result.read += 1
            result.incidents_per_key[incident.get("dedup_key") or ""] += 1
            for alert in incident.get("alerts", []):
                result.stored[alert.get("dedup_key") or incident.get("dedup_key") or ""] += 1

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(fetch, every + rest))
    counted = len(listed) if complete else (result.read if not result.sampled else count_incidents(api, service))
    result.incidents = -1 if counted is None else counted
    return result
