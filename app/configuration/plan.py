"""`plan_changes`: what applying a config would create, update and delete, without writing anything."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlmodel import Session, col, select

from app.configuration.changes import Change, row_changes
from app.configuration.document import (
    Config,
    IntegrationKeySpec,
    LevelSpec,
    OverrideEntry,
    notify_rules,
    status_channel,
)
from app.configuration.errors import ConfigError
from app.configuration.guards import deletion_blockers
from app.configuration.keys import hash_integration_key
from app.models import (
    Account,
    ConfigDocument,
    EscalationPolicy,
    IntegrationKey,
    ScheduleOverride,
    ScheduleRecord,
    Service,
    User,
)

CLASSIFICATION = "classification"


def plan_changes(session: Session, config: Config) -> list[Change]:
    """Every change `apply_config` would make, in reading order; ConfigError if one is not allowed."""
    changes = _user_changes(session, config)
    changes += row_changes(session, EscalationPolicy, "escalation policy", _desired_policies(config))
    changes += row_changes(session, ScheduleRecord, "schedule", _desired_schedules(config))
    changes += _override_changes(session, config)
    changes += row_changes(session, Account, "account", _desired_accounts(config))
    changes += row_changes(session, Service, "service", _desired_services(config))
    key_changes, errors = _key_changes(session, config)
    changes += key_changes
    changes += _classification_changes(session, config)
    errors += deletion_blockers(session, changes)
    if errors:
        raise ConfigError(errors)
    return changes


def _user_changes(session: Session, config: Config) -> list[Change]:
    desired = {
        user.id: {
            "id": user.id,
            "name": user.name or user.id,
            "email": user.email,
            "phone": user.phone,
            "slack_user_id": user.slack_user_id,
            "time_zone": user.time_zone,
            "notify": notify_rules(user),
            "status_channel": status_channel(user),
        }
        for user in config.users
    }
    changes = row_changes(session, User, "user", desired)
    # A STOP from the old phone says nothing about a new one: a changed number may be texted again.
    return [
        Change(c.action, c.kind, c.name, c.fields, c.detail, {**c.values, "sms_enabled": True})
        if c.action == "update" and "phone" in c.fields else c
        for c in changes
    ]


def _desired_policies(config: Config) -> dict[str, dict[str, Any]]:
    return {
        policy.id: {
            "id": policy.id,
            "repeat": policy.repeat,
            "levels": [_level(level) for level in policy.levels],
            "open_triggers": [
                {"severities": list(t.severities), "after_seconds": t.after, "targets": list(t.targets)}
                for t in policy.open_triggers
            ],
            "escalate_severities": list(policy.escalate_severities),
            "ack_timeout_seconds": policy.ack_timeout,
        }
        for policy in config.escalation_policies
    }


def _level(level: LevelSpec) -> dict[str, Any]:
    # `name` only when given: policies written before levels had names keep their stored form.
    stored = {"targets": list(level.targets), "escalate_after_seconds": level.escalate_after}
    return stored | ({"name": level.name} if level.name else {})


def _desired_accounts(config: Config) -> dict[str, dict[str, Any]]:
    return {
        account.id: {
            "id": account.id,
            "name": account.name or account.id,
            "account_director": account.account_director,
            "stakeholders": list(account.stakeholders),
            "sla": account.sla,
        }
        for account in config.accounts
    }


def _desired_schedules(config: Config) -> dict[str, dict[str, Any]]:
    return {
        schedule.id: {"id": schedule.id, "time_zone": schedule.time_zone, "definition": schedule.definition}
        for schedule in config.schedules
    }


def _desired_services(config: Config) -> dict[str, dict[str, Any]]:
    return {
        service.id: {
            "id": service.id,
            "name": service.name or service.id,
            "escalation_policy_id": service.escalation_policy,
            "slack_channel": service.slack_channel,
            "account_id": service.account,
        }
        for service in config.services
    }


def _override_changes(session: Session, config: Config) -> list[Change]:
    """Config overrides per schedule; API-created ones are never read, so never touched."""
    stored: dict[str, list[ScheduleOverride]] = defaultdict(list)
    query = select(ScheduleOverride).where(ScheduleOverride.source == "config").order_by(col(ScheduleOverride.id))
    for row in session.exec(query).all():
        stored[row.schedule_id].append(row)
    desired = {schedule.id: schedule.overrides for schedule in config.schedules}
    changes = []
    for schedule_id in sorted(set(stored) | set(desired)):
        changes += _schedule_override_changes(schedule_id, stored.get(schedule_id, []), desired.get(schedule_id, ()))
    return changes


def _schedule_override_changes(
    schedule_id: str, rows: list[ScheduleOverride], wanted: tuple[OverrideEntry, ...]
) -> list[Change]:
    # Where overrides stack the newest row wins, and the file's order says which is newest. Keeping
    # the unchanged leading rows and re-creating the rest in file order keeps that true and leaves
    # the rows of an unchanged schedule alone.
    same = 0
    while same < min(len(rows), len(wanted)) and _entry(rows[same]) == wanted[same]:
        same += 1
    changes = [
        Change("delete", "override", schedule_id, detail=_describe(_entry(row)), values={"row_id": row.id})
        for row in rows[same:]
    ]
    for entry in wanted[same:]:
        values = {"schedule_id": schedule_id, "user_id": entry.user_id,
                  "start_at": entry.start_at, "end_at": entry.end_at}
        changes.append(Change("create", "override", schedule_id, detail=_describe(entry), values=values))
    return changes


def _entry(row: ScheduleOverride) -> OverrideEntry:
    return OverrideEntry(row.user_id, row.start_at, row.end_at)


def _describe(entry: OverrideEntry) -> str:
    start, end = (moment.strftime("%Y-%m-%dT%H:%MZ") for moment in (entry.start_at, entry.end_at))
    return f"{entry.user_id} from {start} to {end}"


def _key_changes(session: Session, config: Config) -> tuple[list[Change], list[str]]:
    """Keys by (service, name); an omitted key keeps the stored one, so re-applying never rotates it."""
    stored = {(row.service_id, row.name): row for row in session.exec(select(IntegrationKey)).all()}
    changes: list[Change] = []
    for service in config.services:
        for spec in service.integration_keys:
            change = _key_change(service.id, spec, stored.get((service.id, spec.name)))
            changes += [change] if change else []
    wanted = {(service.id, spec.name) for service in config.services for spec in service.integration_keys}
    for (service_id, name), row in sorted(stored.items()):
        if (service_id, name) not in wanted:
            changes.append(Change("delete", "integration key", f"{service_id}/{name}", values={"row_id": row.id}))
    return changes, _key_collisions(config, stored)


def _key_change(service_id: str, spec: IntegrationKeySpec, row: IntegrationKey | None) -> Change | None:
    label = f"{service_id}/{spec.name}"
    values = {"service_id": service_id, "name": spec.name, "key": spec.key, "rate_limit": spec.rate_limit}
    if row is None:
        return Change("create", "integration key", label, detail="" if spec.key else "key generated", values=values)
    fields = []
    if spec.key is not None and hash_integration_key(spec.key) != row.key_hash:
        fields.append("key")
    if spec.rate_limit != row.rate_limit:
        fields.append("rate_limit")
    if not fields:
        return None
    return Change("update", "integration key", label, fields=tuple(fields), values={**values, "row_id": row.id})


def _key_collisions(config: Config, stored: dict[tuple[str, str], IntegrationKey]) -> list[str]:
    """A key written in the file that another key, kept because the file omits its value, already has."""
    kept = {
        stored[(service.id, spec.name)].key_hash: f"{service.id}/{spec.name}"
        for service in config.services
        for spec in service.integration_keys
        if spec.key is None and (service.id, spec.name) in stored
    }
    errors = []
    for s_index, service in enumerate(config.services):
        for k_index, spec in enumerate(service.integration_keys):
            owner = kept.get(hash_integration_key(spec.key)) if spec.key is not None else None
            if owner is not None:
                path = f"services[{s_index}].integration_keys[{k_index}].key"
                errors.append(f"{path}: already the stored key of {owner}; give one of them another key")
    return errors


def _classification_changes(session: Session, config: Config) -> list[Change]:
    row = session.get(ConfigDocument, CLASSIFICATION)
    values = {"name": CLASSIFICATION, "body": config.classification}
    if row is None:
        return [Change("create", "config document", CLASSIFICATION, values=values)]
    if row.body != config.classification:
        return [Change("update", "config document", CLASSIFICATION, fields=("body",), values=values)]
    return []
