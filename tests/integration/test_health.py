"""Health, readiness and metrics."""

from __future__ import annotations

from typing import Any

from app.factory import create_app
from app.runtime import Runtime
from app.settings import Settings
from tests.support.config import apply_test_config, pd_trigger
from tests.support.redis_server import free_port


def test_healthz(client: Any) -> None:
    assert client.get("/healthz").json == {"status": "ok"}


def test_readyz_checks_database_and_redis(client: Any) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok", "redis": "ok"}


def test_readyz_is_503_when_redis_is_down(settings: Settings) -> None:
    down = Settings(database_url=settings.database_url, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    runtime = Runtime.from_settings(down)
    response = create_app(runtime=runtime).test_client().get("/readyz")
    runtime.close()
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["redis"].startswith("down")


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
    text = client.get("/metrics").get_data(as_text=True)
    assert 'klaxon_incidents{status="triggered",severity="SEV1"} 1' in text
    assert 'klaxon_notifications{channel="sms",status="pending"} 1' in text
    assert 'klaxon_queue_jobs{queue="klaxon-deliver-sms"} 1' in text
