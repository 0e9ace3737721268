"""Accepting one parsed event: key lookup, rate limit, classification, then one committed transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.classification import classification_policy
from app.classifier import classify_event
from app.clock import utc_now
from app.config_cache import attach, cached, detached_copy, get_row
from app.escalation.engine import ladder_snapshot
from app.incidents import apply_status_event
from app.ingest.batch import store_trigger_batch
from app.ingest.store import ServiceRoute, store_trigger
from app.models import EscalationPolicy, IntegrationKey, Service
from app.queueing import defer_job
from app.rate_limit import check_rate
from app.runtime import Runtime
from app.tokens import hash_secret
from integrations.inbound.event import InboundEvent


@dataclass(frozen=True)
class AcceptedEvent:
    """The answer to a monitoring tool: the dedup key, and the incident it went to."""

    dedup_key: str
    incident_id: int | None


def find_key(session: Session, key: str) -> IntegrationKey | None:
    """The integration key row for a routing key, by its hash (with its service, read in the same query)."""
    if not key or len(key) > 128:
        return None
    key_hash = hash_secret(key)
    found = cached(session, ("integration_key", key_hash), lambda: _load_key(session, key_hash))
    if found is None:
        return None
    attach(session, found[1])
    return attach(session, found[0])


def _load_key(session: Session, key_hash: str) -> tuple[IntegrationKey, Service] | None:
    row = session.exec(select(IntegrationKey, Service).join(Service, col(Service.id) == IntegrationKey.service_id)
                       .where(col(IntegrationKey.key_hash) == key_hash)).first()
    return None if row is None else (detached_copy(row[0]), detached_copy(row[1]))


def accept_event(session: Session, runtime: Runtime, key: IntegrationKey, event: InboundEvent) -> AcceptedEvent:
    """Rate-limit, classify and store the event; returns after commit.

    A trigger takes the Core path of app.ingest.store (a handful of statements, paging left to the
    worker); acknowledge and resolve events change an incident's status through the incident service.
    """
    check_rate(runtime.redis, str(key.id), key.rate_limit or runtime.settings.default_rate_limit)
    service = session.get(Service, key.service_id)  # in the identity map since find_key: no query
    assert service is not None  # the foreign key guarantees it
    now = utc_now()
    dedup_key = event.dedup_key or uuid.uuid4().hex
    if event.action != "trigger":
        incident_id = apply_status_event(session, service_id=service.id, event=event, dedup_key=dedup_key, now=now)
        session.commit()
        return AcceptedEvent(dedup_key, incident_id)
    classification = classify_event(classification_policy(session), event)
    stored = store_trigger(session.connection(), route=service_route(session, service), event=event,
                           dedup_key=dedup_key, classification=classification, now=now)
    for job in stored.jobs:
        defer_job(session, job)
    session.commit()
    return AcceptedEvent(dedup_key, stored.incident_id)


def accept_batch(session: Session, runtime: Runtime, key: IntegrationKey, events: list[InboundEvent]) -> list[str]:
    """Store a batch of events all or nothing, in order; returns their dedup keys after commit. A batch
    of triggers takes the bulk path; one with acknowledge or resolve events applies them one by one."""
    check_rate(runtime.redis, str(key.id), key.rate_limit or runtime.settings.default_rate_limit, events=len(events))
    service = session.get(Service, key.service_id)
    assert service is not None
    now = utc_now()
    route = service_route(session, service)
    policy = classification_policy(session)
    keys = [event.dedup_key or uuid.uuid4().hex for event in events]
    if all(event.action == "trigger" for event in events):
        stored = store_trigger_batch(session.connection(), route=route, events=events, dedup_keys=keys,
                                     classifications=[classify_event(policy, event) for event in events], now=now)
        jobs = list(stored.jobs)
    else:
        jobs = []
        for event, dedup_key in zip(events, keys):
            if event.action == "trigger":
                jobs += store_trigger(session.connection(), route=route, event=event, dedup_key=dedup_key,
                                      classification=classify_event(policy, event), now=now).jobs
            else:
                apply_status_event(session, service_id=service.id, event=event, dedup_key=dedup_key, now=now)
    for job in jobs:
        defer_job(session, job)
    session.commit()
    return keys


def service_route(session: Session, service: Service) -> ServiceRoute:
    """The service's policy and open-time triggers, from the configuration cache."""
    policy = get_row(session, EscalationPolicy, service.escalation_policy_id) if service.escalation_policy_id else None
    return ServiceRoute(service.id, service.escalation_policy_id, tuple(policy.open_triggers) if policy else (),
                        ladder_snapshot(policy))
