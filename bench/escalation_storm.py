"""Escalation in steady state: 20 SEV1s triggered at once onto a 3-level ladder, through the contract only.

`klaxon web` and two `klaxon worker`s run and have paged a warm-up incident; then 20 PagerDuty v2
critical triggers go in at the same instant. Each level's page is due at the incident's creation plus
the earlier levels' `escalate_after` (5 s each); its lateness is `sent_at` minus that, read through
GET /api/v1/incidents/<id>. Target: escalations (levels 2 and 3) p99 at most 0.5 s, none missing.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Any

from bench.api import Api
from bench.harness import commit, klaxon_stack, load_average, percentile, verdict

KEY = "benchstorm0000000000000000000000"
STEP = timedelta(seconds=5)
LEVELS = 3
CONFIG = f"""
users:
  - {{id: ana, name: Ana, slack_user_id: UANA, notify: [{{channel: slack, after: 0s}}]}}
  - {{id: ben, name: Ben, slack_user_id: UBEN, notify: [{{channel: slack, after: 0s}}]}}
  - {{id: cyd, name: Cyd, slack_user_id: UCYD, notify: [{{channel: slack, after: 0s}}]}}
escalation_policies:
  - id: ladder
    levels:
      - {{targets: [user:ana], escalate_after: 5s}}
      - {{targets: [user:ben], escalate_after: 5s}}
      - {{targets: [user:cyd]}}
services:
  - id: storm
    name: Storm
    escalation_policy: ladder
    integration_keys:
      - {{name: bench, key: "{KEY}"}}
"""


def trigger(dedup_key: str) -> dict[str, Any]:
    return {"routing_key": KEY, "event_action": "trigger", "dedup_key": dedup_key,
            "payload": {"summary": f"storm {dedup_key}", "source": "bench", "severity": "critical"}}


def trigger_at_once(base_url: str, keys: list[str]) -> int:
    """POST one trigger per key from as many threads, released together; how many were not 202."""
    barrier = threading.Barrier(len(keys))
    failed = [0]

    def send(key: str) -> None:
        api = Api(base_url)
        barrier.wait()
        if api.request("POST", "/v2/enqueue", trigger(key))[0] != 202:
            failed[0] += 1

    threads = [threading.Thread(target=send, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failed[0]


def incidents_of(api: Api, keys: set[str]) -> list[dict[str, Any]]:
    """The full incidents whose dedup key is one of `keys`."""
    _, body = api.request("GET", "/api/v1/incidents?service=storm&limit=1000")
    ids = [item["id"] for item in (body or {}).get("incidents", []) if item.get("dedup_key") in keys]
    return [api.request("GET", f"/api/v1/incidents/{i}")[1] for i in ids]


def warm_up(api: Api, base_url: str) -> None:
    """One SEV1 paged (level 1) and resolved, so every process has done the work once."""
    trigger_at_once(base_url, ["warm-up"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        incidents = incidents_of(api, {"warm-up"})
        if incidents and 1 in page_lateness(incidents[0]):
            api.request("POST", f"/api/v1/incidents/{incidents[0]['id']}/resolve", {})
            return
        time.sleep(0.2)
    raise RuntimeError("the warm-up incident was never paged within 60s")


def page_lateness(incident: dict[str, Any]) -> dict[int, float]:
    """Level -> seconds between the level's due time and its page's sent_at, for the pages sent."""
    created = datetime.fromisoformat(incident["created_at"])
    late = {}
    for page in incident.get("notifications", []):
        if page.get("status") in ("sent", "delivered") and page.get("sent_at") and page.get("level"):
            due = created + STEP * (page["level"] - 1)
            late[page["level"]] = (datetime.fromisoformat(page["sent_at"]) - due).total_seconds()
    return late


def wait_for_ladders(api: Api, keys: set[str], timeout: float) -> list[dict[int, float]]:
    """Poll (every 0.5 s) until every incident has paged every level, or `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        ladders = [page_lateness(incident) for incident in incidents_of(api, keys)]
        if (len(ladders) == len(keys) and all(len(ladder) == LEVELS for ladder in ladders)) or time.monotonic() > deadline:
            return ladders
        time.sleep(0.5)


def run(count: int = 20) -> None:
    """Set up, warm up, trigger `count` SEV1s at once, print lateness per level."""
    print(f"escalation storm (commit {commit()}): {count} SEV1s (PagerDuty v2 critical triggers) at once onto a "
          f"{LEVELS}-level ladder, escalate_after {STEP.seconds}s, PostgreSQL, klaxon web + two klaxon workers in "
          f"steady state (a warm-up incident paged and resolved first); lateness = sent_at - (created_at + earlier levels' "
          f"escalate_after); machine {load_average()} at the start", flush=True)
    with klaxon_stack("postgresql", CONFIG) as klaxon:
        klaxon.start_web()
        klaxon.start_worker("worker-a")
        klaxon.start_worker("worker-b")
        api = Api(klaxon.base_url, klaxon.token)
        try:
            warm_up(api, klaxon.base_url)
        except RuntimeError as error:
            raise SystemExit(f"{error}; the logs end:\n{klaxon.processes.logs()[-1500:]}") from None
        time.sleep(2)
        keys = [f"storm-{n}" for n in range(count)]
        failed = trigger_at_once(klaxon.base_url, keys)
        ladders = wait_for_ladders(api, set(keys), timeout=STEP.seconds * (LEVELS - 1) + 20)
    report(ladders, count, failed)


def report(ladders: list[dict[int, float]], count: int, failed: int) -> None:
    for level in range(1, LEVELS + 1):
        late = [ladder[level] for ladder in ladders if level in ladder]
        print(f"  level {level} ({'first page' if level == 1 else 'escalation'}): {len(late):3d} of {count} pages  "
              f"p50 {percentile(late, .5):6.3f}s  p99 {percentile(late, .99):6.3f}s  max {max(late, default=float('nan')):6.3f}s",
              flush=True)
    escalations = [ladder[level] for ladder in ladders for level in range(2, LEVELS + 1) if level in ladder]
    missing = count * LEVELS - sum(len(ladder) for ladder in ladders)
    p99 = percentile(escalations, .99)
    print(f"  escalations (levels 2-{LEVELS}) p99 {p99:6.3f}s ({verdict(p99, 0.5)}: <= 0.5s); pages missing {missing} "
          f"({verdict(missing, 0)}); triggers not answered 202: {failed}", flush=True)
