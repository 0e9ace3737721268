"""SQLite writers of one process queue on the process's lock (app/platform/sqlite_writers.py)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from app.platform.sqlite_writers import QueuedWriterConnection


def connect(path: Path) -> QueuedWriterConnection:
    connection = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False,
                                 factory=QueuedWriterConnection)
    assert isinstance(connection, QueuedWriterConnection)
    return connection


def test_a_second_writer_waits_on_the_lock_and_enters_when_the_first_commits(tmp_path: Path) -> None:
    first, second = connect(tmp_path / "db"), connect(tmp_path / "db")
    first.execute("CREATE TABLE t (n INTEGER)")
    first.begin_writing()
    first.execute("INSERT INTO t VALUES (1)")
    entered = threading.Event()

    def write() -> None:
        second.begin_writing()
        entered.set()
        second.execute("INSERT INTO t VALUES (2)")
        second.commit()

    thread = threading.Thread(target=write)
    thread.start()
    assert not entered.wait(0.2), "the second writer waits while the first holds the lock"
    first.commit()
    assert entered.wait(5)
    thread.join(5)
    assert [n for (n,) in first.execute("SELECT n FROM t ORDER BY n")] == [1, 2]


def begins_soon(connection: QueuedWriterConnection) -> bool:
    """True when `connection` gets in within 5 s (a lock never given back holds it for 30)."""
    entered = threading.Event()

    def begin() -> None:
        connection.begin_writing()
        entered.set()
        connection.rollback()

    threading.Thread(target=begin, daemon=True).start()
    return entered.wait(5)


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_the_lock_is_given_back_however_the_transaction_ends(tmp_path: Path, end: str) -> None:
    first, second = connect(tmp_path / "db"), connect(tmp_path / "db")
    first.begin_writing()
    getattr(first, end)()
    assert begins_soon(second)


def test_a_failed_begin_gives_the_lock_back(tmp_path: Path) -> None:
    other_process = sqlite3.connect(tmp_path / "db", isolation_level=None)  # a writer outside the queue
    other_process.execute("BEGIN IMMEDIATE")
    impatient = sqlite3.connect(tmp_path / "db", timeout=0.05, isolation_level=None, check_same_thread=False,
                                factory=QueuedWriterConnection)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        impatient.begin_writing()
    other_process.rollback()
    assert begins_soon(connect(tmp_path / "db"))
