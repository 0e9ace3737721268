"""A short-lived read cache of configuration rows for the ingest path, one per process and database.

Configuration (integration keys, services, escalation policies, schedules, users, the classification
document) changes rarely and is read on every alert. Each process keeps what it read for at most
`CONFIG_TTL_SECONDS`, so a change made by `klaxon apply` (or the API) in another process takes effect
within that time everywhere; a commit in this process that writes a configuration table clears this
process's cache at once. Runtime data (incidents, alerts, schedule overrides, notifications) is never
cached. Nothing here is needed by a second process: losing it costs one query.

Cached rows are detached copies. `attach` puts one into a request's session with `merge(load=False)`
(no query) and keeps it referenced for the session's life, so that later `session.get` calls in the
same transaction (the escalation engine's) find it in the identity map instead of querying again.
"""

from __future__ import annotations

import time
import weakref
from typing import Any, Callable, Hashable, TypeVar

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, make_transient_to_detached
from sqlmodel import Session, SQLModel

CONFIG_TTL_SECONDS = 5.0
CONFIG_TABLES = frozenset({"integration_key", "service", "escalation_policy", "schedule", "user", "config_document",
                           "account"})
_MAX_ENTRIES = 4096  # a flood of unknown keys must not grow the cache without bound
_MISSING = object()

T = TypeVar("T")
M = TypeVar("M", bound=SQLModel)

_caches: "weakref.WeakKeyDictionary[Engine, dict[Hashable, tuple[float, Any]]]" = weakref.WeakKeyDictionary()


def _cache_of(engine: Any) -> dict[Hashable, tuple[float, Any]]:
    assert isinstance(engine, Engine)
    cache = _caches.get(engine)
    if cache is None:
        cache = _caches[engine] = {}
    return cache


def cached(session: Session, key: Hashable, load: Callable[[], T], *, now: float | None = None) -> T:
    """The value cached under `key` for this session's database, or `load()` (then cached for the TTL)."""
    return cached_in(session.get_bind(), key, load, now=now)


def cached_in(engine: Any, key: Hashable, load: Callable[[], T], *, now: float | None = None) -> T:
    """`cached` for a database named by its engine (a plain value for a path that opens no session)."""
    cache = _cache_of(engine)
    current = time.monotonic() if now is None else now
    hit = cache.get(key, (0.0, _MISSING))
    if hit[0] > current:
        return hit[1]  # type: ignore[no-any-return]
    value = load()
    if len(cache) >= _MAX_ENTRIES:
        cache.clear()
    cache[key] = (current + CONFIG_TTL_SECONDS, value)
    return value


def detached_copy(row: M) -> M:
    """A copy of a loaded row that belongs to no session (safe to share between requests)."""
    mapper = inspect(type(row))
    copy = type(row).model_validate({attr.key: getattr(row, attr.key) for attr in mapper.column_attrs})
    make_transient_to_detached(copy)
    return copy


def attach(session: Session, row: M | None) -> M | None:
    """Put a cached detached row into `session` without a query, and keep it there for the session's life."""
    if row is None:
        return None
    merged = session.merge(row, load=False)
    session.info.setdefault("config_rows", []).append(merged)
    return merged


def get_row(session: Session, model: type[M], ident: Any) -> M | None:
    """`session.get(model, ident)` for a configuration table, served from the cache when fresh."""

    def load() -> M | None:
        row = session.get(model, ident)
        return detached_copy(row) if row is not None else None

    return attach(session, cached(session, ("row", model.__name__, ident), load))


def clear(engine: Engine) -> None:
    """Forget everything cached for `engine`'s database in this process."""
    _caches.pop(engine, None)


def _table_of(instance: object) -> str | None:
    return getattr(type(instance), "__tablename__", None)


@event.listens_for(Session, "after_flush")
def _note_config_writes(session: Session, _context: Any) -> None:
    for instance in (*session.new, *session.dirty, *session.deleted):
        if _table_of(instance) in CONFIG_TABLES:
            session.info["config_written"] = True
            return


@event.listens_for(Session, "do_orm_execute")
def _note_config_statements(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete or state.is_insert) and state.bind_mapper is not None:
        if state.bind_mapper.local_table.name in CONFIG_TABLES:  # type: ignore[attr-defined]
            state.session.info["config_written"] = True


@event.listens_for(Session, "after_commit")
def _clear_after_config_commit(session: Session) -> None:
    if session.info.pop("config_written", False):
        bind = session.get_bind()
        if isinstance(bind, Engine):
            clear(bind)
