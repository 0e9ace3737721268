"""Alerts in (CONTRACT section 4): PagerDuty Events API v2, Alertmanager, Grafana and generic JSON.

Every endpoint: body over 512 KB is 413; malformed JSON or an invalid event is 400 saying what is
wrong; an unknown key is 404 (400 on /v2/enqueue, as PagerDuty does); over the key's rate 429 with
Retry-After. The 202 answer is sent only after the event is committed.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from flask import Blueprint, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from app.ingest.alerts_in import AcceptedEvent, accept_batch, accept_event, find_key
from app.platform.errors import KlaxonError, NotFound, PayloadTooLarge, RateLimited
from app.web.api_docs import documented
from app.web.api_models import (
    AlertmanagerWebhook,
    BatchAccepted,
    EventAccepted,
    GenericBatch,
    GenericEvent,
    PagerDutyAccepted,
    PagerDutyEvent,
    PagerDutyRefused,
)
from app.web.context import runtime
from integrations.inbound import (
    InvalidEvent,
    parse_alertmanager,
    parse_generic,
    parse_generic_batch,
    parse_grafana,
    parse_pagerduty,
)
from integrations.inbound.event import InboundEvent

# An intake refuses a bad event (400), an unknown key (404), a body over 512 KB (413) and a key over
# its rate (429, with Retry-After).
INTAKE_ERRORS = (400, 404, 413, 429)

bp = Blueprint("inbound", __name__)

MAX_BODY = 512 * 1024


def _read_json() -> Any:
    """The decoded body; 413 past the limit, InvalidEvent when it is not JSON."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise PayloadTooLarge("the body is over the 512 KB limit")
    try:
        raw = request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise PayloadTooLarge("the body is over the 512 KB limit") from None
    if len(raw) > MAX_BODY:
        raise PayloadTooLarge("the body is over the 512 KB limit")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidEvent(f"the body is not valid JSON: {error}") from None


@bp.post("/v2/enqueue")
@documented(ok=202, answer=PagerDutyAccepted, json=PagerDutyEvent, bearer=False, errors=(400, 413, 429), error_model=PagerDutyRefused, tag="alerts in")
def pagerduty_enqueue() -> Any:
    """PagerDuty Events API v2, with its own answer shapes."""
    try:
        body = _read_json()
        if not isinstance(body, dict):
            raise InvalidEvent("Event object is invalid", ["the event must be a JSON object"])
        routing_key, event = parse_pagerduty(body)
        key = find_key(runtime(), routing_key)
        if key is None:
            raise InvalidEvent("Event object is invalid", ["Invalid routing key"])
        accepted = accept_event(runtime(), key, event)
    except InvalidEvent as error:
        return jsonify({"status": "invalid event", "message": str(error), "errors": error.errors}), 400
    except RateLimited as error:
        response = jsonify({"status": "throttle event", "message": str(error.message)})
        response.status_code, response.headers["Retry-After"] = 429, str(error.retry_after)
        return response
    except PayloadTooLarge as error:
        return jsonify({"status": "invalid event", "message": error.message, "errors": [error.message]}), 413
    return jsonify({"status": "success", "message": "Event processed", "dedup_key": accepted.dedup_key}), 202


def _webhook(parse: Callable[[dict[str, Any]], InboundEvent], key_text: str) -> Any:
    try:
        body = _read_json()
        if not isinstance(body, dict):
            raise InvalidEvent("the body must be a JSON object")
        key = find_key(runtime(), key_text)
        if key is None:
            raise NotFound("unknown integration key")
        event = parse(body)
        accepted: AcceptedEvent = accept_event(runtime(), key, event)
    except InvalidEvent as error:
        return jsonify({"error": str(error), "detail": {"errors": error.errors}}), 400
    except KlaxonError:
        raise
    return jsonify({"status": "accepted", "dedup_key": accepted.dedup_key, "incident_id": accepted.incident_id}), 202


@bp.post("/integrations/alertmanager/<key>")
@documented(ok=202, answer=EventAccepted, json=AlertmanagerWebhook, bearer=False, errors=INTAKE_ERRORS, tag="alerts in")
def alertmanager(key: str) -> Any:
    """Prometheus Alertmanager webhook (version 4): one incident per group."""
    return _webhook(parse_alertmanager, key)


@bp.post("/integrations/grafana/<key>")
@documented(ok=202, answer=EventAccepted, json=AlertmanagerWebhook, bearer=False, errors=INTAKE_ERRORS, tag="alerts in")
def grafana(key: str) -> Any:
    """Grafana alerting webhook contact point."""
    return _webhook(parse_grafana, key)


@bp.post("/integrations/generic/<key>")
@documented(ok=202, answer=EventAccepted, json=GenericEvent, bearer=False, errors=INTAKE_ERRORS, tag="alerts in")
def generic(key: str) -> Any:
    """Klaxon's own simple JSON event."""
    return _webhook(parse_generic, key)


@bp.post("/integrations/generic/<key>/batch")
@documented(ok=202, answer=BatchAccepted, json=GenericBatch, bearer=False, errors=INTAKE_ERRORS, tag="alerts in")
def generic_batch(key: str) -> Any:
    """Up to 1,000 generic events in one request, all or nothing (CONTRACT section 8)."""
    try:
        body = _read_json()
        found = find_key(runtime(), key)
        if found is None:
            raise NotFound("unknown integration key")
        events = parse_generic_batch(body)
        dedup_keys = accept_batch(runtime(), found, events)
    except InvalidEvent as error:
        return jsonify({"error": str(error), "detail": {"errors": error.errors}}), 400
    return jsonify({"accepted": len(dedup_keys), "dedup_keys": dedup_keys}), 202
