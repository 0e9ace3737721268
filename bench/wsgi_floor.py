"""The floor of the stack: a bare Flask view that parses a PagerDuty v2 trigger and stores it with one
INSERT + COMMIT through psycopg 3 (`app`), and the same view without the database (`app_without_database`).

Served by bench/wsgi_servers.py under each WSGI server; FLOOR_DATABASE_URL names the PostgreSQL
database (with an `events` table, see `TABLE`). Each thread keeps its own connection, as a pool would.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

import psycopg
from flask import Flask, jsonify, request
from psycopg.types.json import Jsonb

TABLE = """CREATE TABLE events (id bigserial PRIMARY KEY, routing_key text NOT NULL, dedup_key text NOT NULL,
    summary text NOT NULL, severity text NOT NULL, body jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now())"""

_local = threading.local()


class InvalidEvent(ValueError):
    """The body is not a PagerDuty v2 trigger."""


def parse(raw: bytes) -> dict[str, Any]:
    """The event, checked as /v2/enqueue checks it (routing key, action, summary, severity)."""
    event = json.loads(raw)
    payload = event.get("payload") if isinstance(event, dict) else None
    if not isinstance(payload, dict) or event.get("event_action") not in ("trigger", "acknowledge", "resolve"):
        raise InvalidEvent("not a PagerDuty v2 event")
    if len(event.get("routing_key", "")) != 32 or not payload.get("summary"):
        raise InvalidEvent("routing_key and payload.summary are required")
    if payload.get("severity") not in ("critical", "error", "warning", "info"):
        raise InvalidEvent("payload.severity must be critical, error, warning or info")
    return event


def _connection() -> psycopg.Connection[Any]:
    if getattr(_local, "connection", None) is None:
        _local.connection = psycopg.connect(os.environ["FLOOR_DATABASE_URL"])
    return _local.connection  # type: ignore[no-any-return]


def _answer(event: dict[str, Any]) -> Any:
    return jsonify({"status": "success", "message": "Event processed", "dedup_key": event.get("dedup_key")}), 202


app = Flask("floor")
app_without_database = Flask("floor-without-database")


@app.post("/v2/enqueue")
def enqueue() -> Any:
    """Parse, INSERT, COMMIT, answer 202."""
    try:
        event = parse(request.get_data())
    except (ValueError, InvalidEvent) as error:
        return jsonify({"status": "invalid event", "message": str(error)}), 400
    connection = _connection()
    connection.execute("INSERT INTO events (routing_key, dedup_key, summary, severity, body) VALUES (%s, %s, %s, %s, %s)",
                       (event["routing_key"], event.get("dedup_key") or "", event["payload"]["summary"],
                        event["payload"]["severity"], Jsonb(event)))
    connection.commit()
    return _answer(event)


@app_without_database.post("/v2/enqueue")
def enqueue_without_database() -> Any:
    """Parse and answer 202: what the server and Flask cost alone."""
    try:
        event = parse(request.get_data())
    except (ValueError, InvalidEvent) as error:
        return jsonify({"status": "invalid event", "message": str(error)}), 400
    return _answer(event)
