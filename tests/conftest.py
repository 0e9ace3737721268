"""Shared fixtures: a private Redis per test run, SQLite and PostgreSQL databases, the app, a client.

Every database test runs twice, on SQLite and on PostgreSQL (`db_url` is parametrised). PostgreSQL is
required: `make test` starts or installs it; set KLAXON_TEST_PG_URL to point elsewhere.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import text

import app.models  # noqa: F401 - registers the tables
from app.platform.migrate import upgrade
from app.platform.runtime import Runtime
from app.platform.settings import Settings
from app.wiring import build_runtime
from tests.support.redis_server import RedisServer

PG_ADMIN_URL = os.environ.get("KLAXON_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A private redis-server on a free port for this test process."""
    server = RedisServer.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test process, migrated to head, dropped at the end."""
    name = f"klaxon_test_{uuid.uuid4().hex[:10]}"
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{base}/{name}"
    upgrade(url)
    yield url
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies (migrating once is much faster)."""
    path = tmp_path_factory.mktemp("template") / "klaxon.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A clean, migrated database URL: a fresh SQLite file, or the run's PostgreSQL database emptied."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "klaxon.db"
        target.write_bytes(template.read_bytes())
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("pg_database")
    _truncate_all(url)
    return url


def _truncate_all(url: str) -> None:
    from app.platform.database import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        names = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                  "AND tablename <> 'alembic_version'")).scalars().all()
        conn.execute(text(f"TRUNCATE {', '.join(repr(n).replace(chr(39), chr(34)) for n in names)} "
                          "RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def settings(db_url: str, redis_server: RedisServer) -> Settings:
    """Settings for one test: its database, the private Redis (flushed), console channels."""
    redis_server.client().flushall()
    return Settings(database_url=db_url, redis_url=redis_server.url, public_url="http://klaxon.test",
                    queue_prefix="klaxon")


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    """The test's Runtime (also used by in-process jobs)."""
    from workers.context import use_runtime

    rt = build_runtime(settings)
    use_runtime(rt)
    yield rt
    use_runtime(None)
    rt.close()


@pytest.fixture
def flask_app(runtime: Runtime) -> Any:
    """The Flask app on the test's runtime."""
    from app.web.factory import create_app

    application = create_app(runtime=runtime)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(flask_app: Any) -> Any:
    """A Flask test client."""
    return flask_app.test_client()
