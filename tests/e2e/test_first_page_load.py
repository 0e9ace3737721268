"""End to end under load: 200 new SEV1s at 20 a second while 24 clients poll each incident until its
page is sent, then resolve it. Every request is answered (no dropped or reset connection), every
incident is paged exactly once, and every poll ends. Latency figures are bench/first_page.py's job."""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter
from typing import Any

import pytest
import requests
from sqlmodel import col, select

from app.models import Notification
from tests.support.config import apply_test_config, make_token, one_responder_config
from tests.support.processes import KlaxonProcesses

pytestmark = pytest.mark.e2e

KEY = "f" * 32
ALERTS = 200
RATE = 20.0
POLLERS = 24
CONFIG = one_responder_config(KEY, "storm")


class Load:
    """Posts alerts at a fixed rate and polls each incident until its page is sent, then resolves it."""

    def __init__(self, base_url: str, token: dict[str, str]) -> None:
        self.base_url, self.token = base_url, token
        self.incidents: "queue.Queue[int | None]" = queue.Queue()
        self.errors: list[str] = []
        self.paged: list[int] = []
        self.lock = threading.Lock()

    def post_alerts(self) -> None:
        with requests.Session() as http:
            started = time.monotonic()
            for n in range(ALERTS):
                time.sleep(max(0.0, started + n / RATE - time.monotonic()))
                body = {"summary": f"checkout down {n}", "severity": "critical", "dedup_key": f"load-{n}"}
                try:
                    answer = http.post(f"{self.base_url}/integrations/generic/{KEY}", json=body, timeout=10)
                    assert answer.status_code == 202, answer.text
                    self.incidents.put(answer.json()["incident_id"])
                except (requests.RequestException, AssertionError) as error:
                    self.note(f"alert {n}: {error!r}")
        for _ in range(POLLERS):
            self.incidents.put(None)

    def poll(self) -> None:
        with requests.Session() as http:
            while (incident_id := self.incidents.get()) is not None:
                self.follow(http, incident_id)

    def follow(self, http: requests.Session, incident_id: int) -> None:
        url = f"{self.base_url}/api/v1/incidents/{incident_id}"
        deadline = time.monotonic() + 30
        try:
            while time.monotonic() < deadline:
                body = http.get(url, headers=self.token, timeout=10).json()
                if any(n["status"] == "sent" for n in body["notifications"]):
                    resolved = http.post(f"{url}/resolve", headers=self.token, timeout=10)
                    assert resolved.status_code == 200, resolved.text
                    with self.lock:
                        self.paged.append(incident_id)
                    return
                time.sleep(0.02)
            self.note(f"incident {incident_id}: no page sent within 30 s")
        except (requests.RequestException, AssertionError, ValueError) as error:
            self.note(f"incident {incident_id}: {error!r}")

    def note(self, error: str) -> None:
        with self.lock:
            self.errors.append(error)


def test_first_pages_under_load_answer_every_request(runtime: Any, klaxon: KlaxonProcesses) -> None:
    apply_test_config(runtime, CONFIG)
    token = make_token(runtime, "rita", "admin")
    klaxon.start_web()
    klaxon.start_worker()
    load = Load(klaxon.base_url, token)
    threads = [threading.Thread(target=load.post_alerts)] + [threading.Thread(target=load.poll) for _ in range(POLLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert load.errors == []
    assert len(set(load.paged)) == ALERTS
    with runtime.session() as session:
        sent = session.exec(select(Notification.incident_id).where(col(Notification.status) == "sent")).all()
    assert set(Counter(sent).values()) == {1}, "one page per incident, none twice"
    assert len(sent) == ALERTS
