"""Databases for the `klaxon apply` tests: a fresh SQLite file, or a private PostgreSQL database emptied."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

import app.models  # noqa: F401 - registers the tables
from app.platform.database import make_engine, new_session

PG_ADMIN_URL = os.environ.get("KLAXON_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="module")
def cfg_pg_url() -> Iterator[str]:
    """A private PostgreSQL database for this module's tests, dropped at the end."""
    name = f"klaxon_cfg_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    yield url
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def cfg_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database with every table, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'klaxon.db'}")
        SQLModel.metadata.create_all(engine)
    else:
        engine = make_engine(request.getfixturevalue("cfg_pg_url"))
        tables = ", ".join(f'"{table.name}"' for table in SQLModel.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(cfg_engine: Engine) -> Callable[[], Session]:
    """A session factory on the test database, as `run_apply` takes it."""
    return lambda: new_session(cfg_engine)
