"""Engine, sessions and the aware-UTC datetime column type.

SQLite drops time zones, so every datetime column goes through `UTCDateTime`: aware UTC in,
aware UTC out, on SQLite and PostgreSQL alike. A naive datetime is a bug and is refused.
"""

from __future__ import annotations

import weakref
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import DateTime, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, create_engine

from app.platform.sqlite_writers import BUSY_TIMEOUT_SECONDS, QueuedWriterConnection


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp column that only ever holds and returns aware UTC datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} refused: use aware UTC")
        value = value.astimezone(timezone.utc)
        # SQLite stores text; keep it naive UTC so that ordering by the column stays right.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


READ_ONLY = "klaxon_read_only"


def read_only(engine: Engine) -> Engine:
    """The same engine for transactions that only read: on SQLite they take no write lock; on
    PostgreSQL they run in autocommit, each statement on its own snapshot, which saves a BEGIN and a
    ROLLBACK round trip on every GET (the polled incident is one statement)."""
    found = _READERS.get(engine)
    if found is None:
        options: dict[str, Any] = {READ_ONLY: True}
        if engine.dialect.name == "postgresql":
            options["isolation_level"] = "AUTOCOMMIT"
        found = _READERS[engine] = engine.execution_options(**options)
    return found


_READERS: "weakref.WeakKeyDictionary[Engine, Engine]" = weakref.WeakKeyDictionary()


def aware_utc(value: datetime | str | None) -> datetime | None:
    """A timestamp from an aggregate (MIN/MAX lose the column type): aware UTC, whatever the driver gave."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)


def make_engine(database_url: str) -> Engine:
    """An engine tuned for the backend: WAL and a busy timeout on SQLite, a pool on PostgreSQL."""
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    if database_url.startswith("sqlite"):
        engine = create_engine(database_url, connect_args={
            "timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False, "factory": QueuedWriterConnection})
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; take control so that every writing
        # transaction starts with BEGIN IMMEDIATE and writers queue on the lock instead of failing to
        # upgrade (app/platform/sqlite_writers.py). Readers (an engine from `read_only`) begin deferred and
        # never wait on a writer (WAL).
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # No pre-ping (a round trip per checkout): after a server restart the first statement fails,
    # SQLAlchemy then invalidates the whole pool, and the next checkout connects afresh.
    return create_engine(database_url, pool_size=10, max_overflow=20)


def _sqlite_begin(conn: Connection) -> None:
    if conn.get_execution_options().get(READ_ONLY):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.connection.dbapi_connection.begin_writing()  # type: ignore[union-attr]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # BEGIN is issued by the "begin" listener above
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
    cursor.close()


# Key space of `take_turns` locks (the two-int form of PostgreSQL's advisory locks).
_TURNS = 0x6B6C6178


def take_turns(session: Session, name: str) -> None:
    """Hold the lock named `name` until this transaction ends: transactions that take the same name run
    one after the other, and each sees what the one before it committed. PostgreSQL: a transaction-level
    advisory lock; SQLite needs nothing, every writing transaction there starts with BEGIN IMMEDIATE."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:space, hashtext(:name))"), {"space": _TURNS, "name": name})


def new_session(engine: Engine) -> Session:
    """A session that keeps loaded objects usable after commit."""
    return Session(engine, expire_on_commit=False)
