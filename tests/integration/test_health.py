"""Health, readiness and metrics."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from sqlmodel import col, func, select

from app.models import Notification
from app.platform import worker_heartbeats
from app.platform.runtime import Runtime
from app.platform.settings import Settings
from app.web.factory import create_app
from app.wiring import build_runtime
from tests.support.config import apply_test_config, make_token, pd_trigger, run_first_steps, run_jobs
from tests.support.redis_server import free_port


def test_healthz(client: Any) -> None:
    assert client.get("/healthz").json == {"status": "ok"}


def test_readyz_is_503_naming_workers_when_no_worker_beats(client: Any) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "not ready"
    assert response.json["checks"]["database"] == response.json["checks"]["redis"] == "ok"
    assert response.json["checks"]["workers"].startswith("missing")


def test_readyz_is_ready_with_database_redis_and_a_live_worker_heartbeat(runtime: Runtime, client: Any) -> None:
    worker_heartbeats.beat(runtime.redis, "klaxon", "w1", {"pid": 1})
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready", "checks": {"database": "ok", "redis": "ok", "workers": "ok"}}


def test_readyz_forgets_a_worker_that_stopped_or_stopped_beating(runtime: Runtime, client: Any) -> None:
    worker_heartbeats.beat(runtime.redis, "klaxon", "stopped", {"pid": 1})
    worker_heartbeats.forget(runtime.redis, "klaxon", "stopped")
    worker_heartbeats.beat(runtime.redis, "klaxon", "silent", {"pid": 2})
    runtime.redis.pexpire(worker_heartbeats.heartbeat_key("klaxon", "silent"), 1)
    time.sleep(0.01)
    assert client.get("/readyz").status_code == 503
    assert worker_heartbeats.live_workers(runtime.redis, "klaxon") == []


def test_a_heartbeat_lives_a_few_seconds(runtime: Runtime) -> None:
    worker_heartbeats.beat(runtime.redis, "klaxon", "w1", {"pid": 1})
    ttl = runtime.redis.ttl(worker_heartbeats.heartbeat_key("klaxon", "w1"))
    assert 0 < ttl <= worker_heartbeats.HEARTBEAT_TTL_SECONDS <= 10


def test_readyz_is_503_when_redis_is_down(settings: Settings) -> None:
    down = Settings(database_url=settings.database_url, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    runtime = build_runtime(down)
    response = create_app(runtime=runtime).test_client().get("/readyz")
    runtime.close()
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["redis"].startswith("down")
    assert response.json["checks"]["workers"].startswith("unknown")


def test_alert_is_accepted_even_when_redis_is_down(settings: Settings) -> None:
    """Redis carries wake-ups only: the incident is committed and the sweeper pages later."""
    down = Settings(database_url=settings.database_url, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    runtime = build_runtime(down)
    apply_test_config(runtime)
    response = create_app(runtime=runtime).test_client().post("/v2/enqueue", json=pd_trigger(dedup_key="k"))
    runtime.close()
    assert response.status_code == 202


def scrape(client: Any, headers: dict[str, str]) -> dict[str, float]:
    """The samples of one scrape, by name and labels as the text shows them."""
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    samples = {}
    for line in response.get_data(as_text=True).splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def test_metrics_count_alerts_pages_and_first_page_latency_without_querying_incidents(
        runtime: Any, client: Any) -> None:
    apply_test_config(runtime)
    token = make_token(runtime, "alice", "responder")
    before = scrape(client, token)
    client.post("/v2/enqueue", json=pd_trigger(dedup_key="k1"))
    run_first_steps(runtime)
    queued = scrape(client, token)
    run_jobs(runtime)
    after = scrape(client, token)

    def grew(name: str, samples: dict[str, float]) -> float:
        return samples.get(name, 0.0) - before.get(name, 0.0)

    assert grew('klaxon_alerts_accepted_total{integration="pagerduty"}', after) == 1
    assert queued['klaxon_queue_jobs{queue="klaxon-deliver-sms"}'] == 1
    assert grew('klaxon_pages_total{channel="sms",outcome="sent"}', after) == 1
    with runtime.session() as session:
        first_pages = session.exec(select(func.count()).select_from(Notification).where(
            col(Notification.level) == 1, col(Notification.status) == "sent")).one()
    assert first_pages >= 1 and grew("klaxon_first_page_seconds_count", after) == first_pages
    assert not any(name.startswith(("klaxon_incidents", "klaxon_notifications")) for name in after)


def test_metrics_need_the_metrics_token_or_an_api_token(settings: Settings, runtime: Any) -> None:
    apply_test_config(runtime)
    secret = "scrape-only-0123456789"
    scraped = build_runtime(replace(settings, metrics_token=secret))
    client = create_app(runtime=scraped).test_client()
    try:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/metrics", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
        assert client.get("/metrics", headers=make_token(runtime, "alice", "responder")).status_code == 200
    finally:
        scraped.close()
