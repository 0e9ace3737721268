"""`apply_config`: make the database match a config, in one transaction, and report what changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, SQLModel

from app.configuration.changes import Change
from app.configuration.document import Config
from app.configuration.keys import generate_integration_key, hash_integration_key
from app.configuration.plan import plan_changes
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
from app.platform.database import take_turns

_MODELS: dict[str, type[SQLModel]] = {
    "user": User,
    "escalation policy": EscalationPolicy,
    "schedule": ScheduleRecord,
    "service": Service,
    "account": Account,
    "config document": ConfigDocument,
}
# Foreign keys decide the order: what points at a row goes before the row is deleted and after it
# is created. Each phase is flushed before the next, so the SQL runs in this order. "remove" runs
# the deletes of a kind, "write" its creates and updates.
_PHASES: tuple[tuple[str, str], ...] = (
    ("override", "remove"),
    ("integration key", "remove"),
    ("service", "remove"),
    ("user", "write"),
    ("escalation policy", "write"),
    ("schedule", "write"),
    ("account", "write"),
    ("service", "write"),
    ("integration key", "write"),
    ("override", "write"),
    ("account", "remove"),
    ("schedule", "remove"),
    ("escalation policy", "remove"),
    ("user", "remove"),
    ("config document", "write"),
)


@dataclass(frozen=True)
class GeneratedKey:
    """An integration key made up because the file gave none; shown once, then only its hash exists."""

    service_id: str
    name: str
    key: str


@dataclass(frozen=True)
class ApplyResult:
    """What `apply_config` changed, and the generated keys the caller must show exactly once."""

    changes: list[Change]
    generated_keys: list[GeneratedKey]


def apply_config(session: Session, config: Config, *, now: datetime) -> ApplyResult:
    """Plan and make every change in one transaction, then commit; on any error nothing is changed."""
    try:
        _lock(session)
        changes = plan_changes(session, config)
        generated: list[GeneratedKey] = []
        for kind, step in _PHASES:
            for change in changes:
                if change.kind == kind and step in _steps(change):
                    _execute(session, change, step, now, generated)
            session.flush()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return ApplyResult(changes=changes, generated_keys=generated)


def _lock(session: Session) -> None:
    # Two applies at once would each plan against the other's half-written state.
    take_turns(session, "klaxon apply")


def _steps(change: Change) -> tuple[str, ...]:
    # A key that gets a new value is deleted in the remove step and inserted in the write step:
    # updating it in place could collide on the unique hash when two keys swap values.
    if change.kind == "integration key" and change.action == "update" and "key" in change.fields:
        return ("remove", "write")
    return ("remove",) if change.action == "delete" else ("write",)


def _execute(session: Session, change: Change, step: str, now: datetime, generated: list[GeneratedKey]) -> None:
    if change.kind == "override":
        _execute_override(session, change, now)
    elif change.kind == "integration key":
        _execute_key(session, change, step, generated)
    elif change.action == "create":
        session.add(_MODELS[change.kind](**change.values))
    elif change.action == "update":
        row = session.get(_MODELS[change.kind], change.name)
        for name, value in change.values.items():
            setattr(row, name, value)
    else:
        session.delete(session.get(_MODELS[change.kind], change.name))


def _execute_override(session: Session, change: Change, now: datetime) -> None:
    if change.action == "delete":
        session.delete(session.get(ScheduleOverride, change.values["row_id"]))
    else:
        session.add(ScheduleOverride(**change.values, source="config", created_at=now))


def _execute_key(session: Session, change: Change, step: str, generated: list[GeneratedKey]) -> None:
    values = change.values
    if step == "remove":
        session.delete(session.get(IntegrationKey, values["row_id"]))
    elif change.action == "update" and "key" not in change.fields:
        row = session.get(IntegrationKey, values["row_id"])
        assert row is not None  # planned in this same transaction
        row.rate_limit = values["rate_limit"]
    else:
        key = values["key"]
        if key is None:
            key = generate_integration_key()
            generated.append(GeneratedKey(values["service_id"], values["name"], key))
        session.add(IntegrationKey(service_id=values["service_id"], name=values["name"],
                                   key_hash=hash_integration_key(key), rate_limit=values["rate_limit"]))
