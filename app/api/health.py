"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify
from sqlalchemy import func, text
from sqlmodel import col, select

from app.api.context import db, runtime
from app.models import Incident, Notification
from app.queueing import queue_names
from app.worker_heartbeats import HEARTBEAT_TTL_SECONDS, live_workers

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Any:
    """The process is up."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
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
def metrics() -> Response:
    """Prometheus text format: incidents by status and severity, outbox rows by status, queue depths."""
    session = db()
    lines = ["# HELP klaxon_incidents Incidents by status and severity.", "# TYPE klaxon_incidents gauge"]
    for status, severity, count in session.exec(
        select(Incident.status, Incident.severity, func.count()).group_by(col(Incident.status), col(Incident.severity))
    ).all():
        lines.append(f'klaxon_incidents{{status="{status}",severity="{severity}"}} {count}')
    lines += ["# HELP klaxon_notifications Outbox rows by channel and status.", "# TYPE klaxon_notifications gauge"]
    for channel, status, count in session.exec(
        select(Notification.channel, Notification.status, func.count())
        .group_by(col(Notification.channel), col(Notification.status))
    ).all():
        lines.append(f'klaxon_notifications{{channel="{channel}",status="{status}"}} {count}')
    lines += ["# HELP klaxon_queue_jobs Jobs waiting per RQ queue.", "# TYPE klaxon_queue_jobs gauge"]
    try:
        redis = runtime().redis
        for name in queue_names(runtime().settings.queue_prefix):
            lines.append(f'klaxon_queue_jobs{{queue="{name}"}} {redis.llen("rq:queue:" + name)}')
    except Exception:  # noqa: BLE001 - metrics must answer even when Redis is down
        lines.append("# redis unavailable")
    return Response("\n".join(lines) + "\n", mimetype="text/plain; version=0.0.4")
