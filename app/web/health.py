"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import text

from app.platform.metrics import exposition
from app.platform.queueing import queue_names
from app.platform.worker_heartbeats import HEARTBEAT_TTL_SECONDS, live_workers
from app.web.api_docs import documented
from app.web.api_models import Alive, Readiness
from app.web.context import db, runtime
from app.web.tokens import authenticate

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@documented(answer=Alive, bearer=False, errors=(), tag="health")
def healthz() -> Any:
    """The process is up."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
@documented(answer=Readiness, bearer=False, errors=(503,), error_model=Readiness, tag="health")
def readyz() -> Any:
    """Ready when pages can go out: the database and Redis answer and some worker beats; else 503
    naming what is missing."""
    checks: dict[str, str] = {}
    try:
        db().execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:  # noqa: BLE001 - any failure means not ready
        checks["database"] = f"down: {type(error).__name__}"
    try:
        runtime().redis.ping()
        checks["redis"] = "ok"
    except Exception as error:  # noqa: BLE001
        checks["redis"] = f"down: {type(error).__name__}"
    checks["workers"] = _workers_check() if checks["redis"] == "ok" else "unknown: Redis is down"
    ready = all(v == "ok" for v in checks.values())
    return jsonify({"status": "ready" if ready else "not ready", "checks": checks}), 200 if ready else 503


def _workers_check() -> str:
    """'ok' when at least one `klaxon worker` has beaten within its heartbeat's TTL."""
    try:
        if live_workers(runtime().redis, runtime().settings.queue_prefix):
            return "ok"
    except Exception as error:  # noqa: BLE001
        return f"unknown: {type(error).__name__}"
    return f"missing: no klaxon worker heartbeat in the last {HEARTBEAT_TTL_SECONDS}s"


@bp.get("/metrics")
@documented(errors=(401,), tag="health")
def metrics() -> Response:
    """Prometheus text format (app/platform/metrics.py), for KLAXON_METRICS_TOKEN or any API token: what the
    processes counted, and the jobs waiting per queue read now."""
    _metrics_caller()
    return Response(exposition(QueueDepths(runtime().redis, runtime().settings.queue_prefix)),
                    mimetype=CONTENT_TYPE_LATEST)


def _metrics_caller() -> None:
    """Let the scraper's own token in (it reads metrics and nothing else), else any API token."""
    expected = runtime().settings.metrics_token
    given = request.headers.get("Authorization", "")
    if expected and hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
        return
    authenticate(db(), given or None)


class QueueDepths(Collector):
    """Jobs waiting per RQ queue, read from Redis at each scrape (one LLEN per queue)."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis, self.prefix = redis, prefix

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depths = GaugeMetricFamily("klaxon_queue_jobs", "Jobs waiting per RQ queue.", labels=["queue"])
        try:
            with self.redis.pipeline(transaction=False) as pipe:
                names = queue_names(self.prefix)
                for name in names:
                    pipe.llen("rq:queue:" + name)
                for name, depth in zip(names, pipe.execute()):
                    depths.add_metric([name], depth)
        except RedisError:
            return  # metrics must answer even when Redis is down; the queues are then left out
        yield depths
