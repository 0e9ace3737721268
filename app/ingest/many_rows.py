"""Inserting many rows in one statement whose text does not depend on how many rows there are.

A multi-row `VALUES` list is a new statement for every row count: SQLAlchemy compiles it anew and
psycopg parses it anew, which took more than half the CPU of a 500-event batch. On PostgreSQL the
rows go instead as one array per column through `unnest()`, so each statement is built once per
process and sent with a fixed number of parameters, the arrays in binary (quoting every element as
text took another third). A 500-event batch went from 509 to 75 us of web CPU per event, and
bench/batch_ingest.py from 3,200 to 13,000 events/s. SQLite, which has no arrays, keeps
SQLAlchemy's own multi-row insert.

`WITH ORDINALITY ... ORDER BY` keeps the rows in the caller's order: the batch store sorts its dedup
keys so that two batches lock shared keys in the same order and never deadlock.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Integer, Table
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection

from app.platform.database import UTCDateTime


def insert_many(conn: Connection, table: Table, rows: list[dict[str, Any]], *,
                skip_conflicts_on: Sequence[str] = (), returning: Sequence[str] = ()) -> list[tuple[Any, ...]]:
    """Insert `rows` (all with the same keys), skipping any that would break the unique index on
    `skip_conflicts_on`; the `returning` columns of the rows inserted."""
    if not rows:
        return []
    columns = tuple(rows[0])
    if conn.dialect.name == "postgresql":
        statement = _unnest_statement(table, columns, tuple(skip_conflicts_on), tuple(returning))
        result = conn.exec_driver_sql(statement, {name: _array(table, name, rows) for name in columns})
        return [tuple(row) for row in result] if returning else []
    if not skip_conflicts_on and not returning:
        conn.execute(table.insert(), rows)
        return []
    insert = sqlite.insert(table).values(rows)
    if skip_conflicts_on:
        insert = insert.on_conflict_do_nothing(index_elements=list(skip_conflicts_on))
    if not returning:
        conn.execute(insert)
        return []
    return [tuple(row) for row in conn.execute(insert.returning(*[table.c[name] for name in returning]))]


_STATEMENTS: dict[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]], str] = {}


def _unnest_statement(table: Table, columns: tuple[str, ...], conflict: tuple[str, ...],
                      returning: tuple[str, ...]) -> str:
    key = (table.name, columns, conflict, returning)
    if key not in _STATEMENTS:
        names = ", ".join(columns)
        # %(name)b: psycopg sends the array in binary, without quoting every element as text.
        arrays = ", ".join(f"CAST(%({name})b AS {_array_type(table, name)})" for name in columns)
        sql = (f"INSERT INTO {table.name} ({names}) SELECT {names} FROM unnest({arrays}) WITH ORDINALITY"
               f" AS given({names}, position) ORDER BY position")
        if conflict:
            sql += f" ON CONFLICT ({', '.join(conflict)}) DO NOTHING"
        if returning:
            sql += f" RETURNING {', '.join(returning)}"
        _STATEMENTS[key] = sql
    return _STATEMENTS[key]


def _array_type(table: Table, name: str) -> str:
    """The PostgreSQL array type that carries column `name`'s values."""
    column_type = table.c[name].type
    if isinstance(column_type, JSON):
        return "json[]"
    if isinstance(column_type, UTCDateTime):
        return "timestamptz[]"
    if isinstance(column_type, Integer):
        return "bigint[]"
    return "text[]"


def _array(table: Table, name: str, rows: list[dict[str, Any]]) -> list[Any]:
    """Column `name` of every row, as the array parameter: JSON values as their text (None as JSON
    null, as SQLAlchemy stores it, unless the column says `none_as_null`)."""
    values = [row[name] for row in rows]
    column_type = table.c[name].type
    if isinstance(column_type, JSON):
        return [None if value is None and column_type.none_as_null else json.dumps(value) for value in values]
    return values

