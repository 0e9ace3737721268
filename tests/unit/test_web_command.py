"""`klaxon web`'s granian command line: a process per core on PostgreSQL, one on SQLite."""

from __future__ import annotations

from app.platform.settings import Settings
from cli.commands import granian_args


def option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def test_sqlite_serves_from_one_process_postgresql_from_one_per_core() -> None:
    sqlite = Settings.from_env({"DATABASE_URL": "sqlite:///var/klaxon.db"})
    postgres = Settings.from_env({"DATABASE_URL": "postgresql://127.0.0.1/klaxon"})
    assert option(granian_args(sqlite, None, None, {}), "--workers") == "1"
    assert int(option(granian_args(postgres, None, None, {}), "--workers")) >= 1
    assert option(granian_args(postgres, None, None, {"WEB_CONCURRENCY": "3"}), "--workers") == "3"
    assert option(granian_args(sqlite, 2, None, {"WEB_CONCURRENCY": "3"}), "--workers") == "2"
    assert option(granian_args(sqlite, None, None, {"WEB_THREADS": "4"}), "--blocking-threads") == "4"
    assert granian_args(sqlite, None, None, {})[-1] == "wsgi:app"
