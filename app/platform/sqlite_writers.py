"""SQLite: the writing transactions of one process queue on a lock, not on SQLite's busy handler.

SQLite lets one writer in at a time; the others wait in its busy handler, which sleeps and retries in
steps of up to 100 ms, so a writer can sleep on a lock freed long before. Under a burst of alerts
that put the intake's p99 at 220 ms (bench/ingest.py). Here the writers of one process wait on a
`threading.Lock` instead, woken the moment the one before them commits; only writers of other
processes (the other web worker, `klaxon worker`) still meet the busy handler.

The lock only saves time: correctness stays with `BEGIN IMMEDIATE` (app/platform/database.py). A writer that
cannot get the lock within the busy timeout goes on without it, so a connection lost while holding
it can slow writers down but never stop them.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

BUSY_TIMEOUT_SECONDS = 30.0

_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock_for(database: str) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(database, threading.Lock())


class QueuedWriterConnection(sqlite3.Connection):
    """A pysqlite connection (as `factory=`) whose writing transactions hold the process's lock for
    its database from `begin_writing()` until commit or rollback."""

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._writer_lock = _lock_for(str(database))
        self._holds_writer_lock = False

    def begin_writing(self) -> None:
        """BEGIN IMMEDIATE once this process's writers before this one are done."""
        self._holds_writer_lock = self._writer_lock.acquire(timeout=BUSY_TIMEOUT_SECONDS)
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._release_writer_lock()
            raise

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release_writer_lock()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release_writer_lock()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release_writer_lock()

    def _release_writer_lock(self) -> None:
        if self._holds_writer_lock:
            self._holds_writer_lock = False
            self._writer_lock.release()
