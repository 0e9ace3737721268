"""Health, readiness and metrics."""

from __future__ import annotations

import time
from typing import Any

from app import worker_heartbeats
from app.factory import create_app
from app.runtime import Runtime
from app.settings import Settings
from tests.support.config import apply_test_config, pd_trigger, run_first_steps
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
    runtime = Runtime.from_settings(down)
    response = create_app(runtime=runtime).test_client().get("/readyz")
    runtime.close()
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["redis"].startswith("down")
    assert response.json["checks"]["workers"].startswith("unknown")


def test_alert_is_accepted_even_when_redis_is_down(settings: Settings) -> None:
    """Redis carries wake-ups only: the incident is committed and the sweeper pages later."""
    down = Settings(database_url=settings.database_url, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    runtime = Runtime.from_settings(down)
    apply_test_config(runtime)
    response = create_app(runtime=runtime).test_client().post("/v2/enqueue", json=pd_trigger(dedup_key="k"))
    runtime.close()
    assert response.status_code == 202


def test_metrics_in_prometheus_format(runtime: Any, client: Any) -> None:
    apply_test_config(runtime)
    client.post("/v2/enqueue", json=pd_trigger(dedup_key="k1"))
    run_first_steps(runtime)
    text = client.get("/metrics").get_data(as_text=True)
    assert 'klaxon_incidents{status="triggered",severity="SEV1"} 1' in text
    assert 'klaxon_notifications{channel="sms",status="pending"} 1' in text
    assert 'klaxon_queue_jobs{queue="klaxon-deliver-sms"} 1' in text
