"""Accepting one parsed event: key lookup, rate limit, classification, then one committed transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.escalation.engine import ladder_snapshot
from app.ingest.batch import store_trigger_batch
from app.ingest.classification import classification_policy
from app.ingest.classifier import ClassificationPolicy, classify_event
from app.ingest.rate_limit import check_rate
from app.ingest.status_events import apply_status_event
from app.ingest.store import ServiceRoute, store_trigger
from app.models import EscalationPolicy, IntegrationKey, Service
from app.platform.clock import utc_now
from app.platform.config_cache import cached_in, get_row
from app.platform.credentials import hash_secret
from app.platform.metrics import ALERTS_ACCEPTED
from app.platform.queueing import PendingJob, defer_job
from app.platform.runtime import Runtime
from integrations.inbound.event import InboundEvent


@dataclass(frozen=True)
class AcceptedEvent:
    """The answer to a monitoring tool: the dedup key, and the incident it went to."""

    dedup_key: str
    incident_id: int | None


@dataclass(frozen=True)
class IntakeKey:
    """An integration key with all an event needs to be stored: its service's route and the
    classification policy. Plain values from the configuration cache, so a trigger opens no ORM session."""

    id: int
    service_id: str
    rate_limit: str | None
    route: ServiceRoute
    classification: ClassificationPolicy


def find_key(runtime: Runtime, key: str) -> IntakeKey | None:
    """The integration key for a routing key, by its hash (cached with its route for the cache's TTL)."""
    if not key or len(key) > 128:
        return None
    key_hash = hash_secret(key)
    return cached_in(runtime.engine, ("intake_key", key_hash), lambda: _load_key(runtime, key_hash))


def _load_key(runtime: Runtime, key_hash: str) -> IntakeKey | None:
    with runtime.session() as session:
        row = session.exec(select(IntegrationKey, Service).join(Service, col(Service.id) == IntegrationKey.service_id)
                           .where(col(IntegrationKey.key_hash) == key_hash)).first()
        if row is None:
            return None
        key, service = row
        return IntakeKey(key.id or 0, service.id, key.rate_limit, service_route(session, service),
                         classification_policy(session))


def accept_event(runtime: Runtime, key: IntakeKey, event: InboundEvent) -> AcceptedEvent:
    """Rate-limit, classify and store the event; returns after commit.

    A trigger takes the Core path of app.ingest.store on one connection (one statement on
    PostgreSQL, paging left to the worker) and its wake-ups are enqueued after commit; acknowledge
    and resolve events change an incident's status through the incident service.
    """
    check_rate(runtime.redis, str(key.id), key.rate_limit or runtime.settings.default_rate_limit)
    now = utc_now()
    dedup_key = event.dedup_key or uuid.uuid4().hex
    if event.action != "trigger":
        with runtime.session() as session:
            incident_id = apply_status_event(session, service_id=key.service_id, event=event, dedup_key=dedup_key,
                                             now=now)
            session.commit()
        ALERTS_ACCEPTED.labels(event.integration).inc()
        return AcceptedEvent(dedup_key, incident_id)
    with runtime.engine.begin() as conn:
        stored = store_trigger(conn, route=key.route, event=event, dedup_key=dedup_key,
                               classification=classify_event(key.classification, event), now=now)
    runtime.dispatcher.dispatch_all(list(stored.jobs))
    ALERTS_ACCEPTED.labels(event.integration).inc()
    return AcceptedEvent(dedup_key, stored.incident_id)


def accept_batch(runtime: Runtime, key: IntakeKey, events: list[InboundEvent]) -> list[str]:
    """Store a batch of events all or nothing, in order; returns their dedup keys after commit. A batch
    of triggers takes the bulk path; one with acknowledge or resolve events applies them one by one."""
    check_rate(runtime.redis, str(key.id), key.rate_limit or runtime.settings.default_rate_limit, events=len(events))
    now = utc_now()
    keys = [event.dedup_key or uuid.uuid4().hex for event in events]
    classifications = [classify_event(key.classification, event) for event in events]
    if all(event.action == "trigger" for event in events):
        with runtime.engine.begin() as conn:
            stored = store_trigger_batch(conn, route=key.route, events=events, dedup_keys=keys,
                                         classifications=classifications, now=now)
        runtime.dispatcher.dispatch_all(list(stored.jobs))
        ALERTS_ACCEPTED.labels(events[0].integration).inc(len(events))
        return keys
    with runtime.session() as session:
        jobs: list[PendingJob] = []
        for event, dedup_key, classification in zip(events, keys, classifications):
            if event.action == "trigger":
                jobs += store_trigger(session.connection(), route=key.route, event=event, dedup_key=dedup_key,
                                      classification=classification, now=now).jobs
            else:
                apply_status_event(session, service_id=key.service_id, event=event, dedup_key=dedup_key, now=now)
        for job in jobs:
            defer_job(session, job)
        session.commit()
    ALERTS_ACCEPTED.labels(events[0].integration).inc(len(events))
    return keys


def service_route(session: Session, service: Service) -> ServiceRoute:
    """The service's policy and open-time triggers, from the configuration cache."""
    policy = get_row(session, EscalationPolicy, service.escalation_policy_id) if service.escalation_policy_id else None
    return ServiceRoute(service.id, service.escalation_policy_id, tuple(policy.open_triggers) if policy else (),
                        ladder_snapshot(policy))
