"""The example config as data, ways to change it, and a snapshot of every table to prove "nothing changed"."""

from __future__ import annotations

import copy
import io
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from app.configuration import ApplyResult, apply_config, load_config, run_apply
from app.configuration.yaml_source import parse_yaml

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "klaxon.yaml"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)


def example() -> dict[str, Any]:
    """examples/klaxon.yaml as data, to change and write back out."""
    return copy.deepcopy(parse_yaml(EXAMPLE.read_text()))


def as_yaml(data: dict[str, Any]) -> str:
    """Config data as YAML text."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def apply_text(sessions: Callable[[], Session], text: str) -> ApplyResult:
    """load_config + apply_config, as `klaxon apply` does."""
    with sessions() as session:
        return apply_config(session, load_config(text), now=NOW)


def run_cli(
    sessions: Callable[[], Session], tmp_path: Path, text: str, *, dry_run: bool = False
) -> tuple[int, str, str]:
    """run_apply on `text` written to a file: (exit code, stdout, stderr)."""
    path = tmp_path / f"klaxon-{abs(hash(text))}.yaml"
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = run_apply(sessions, str(path), dry_run, out, err, now=NOW)
    return code, out.getvalue(), err.getvalue()


def snapshot(engine: Engine) -> dict[str, list[str]]:
    """Every row of every table, sorted, as text: equal snapshots mean nothing changed."""
    with engine.connect() as conn:
        return {
            table.name: sorted(repr(tuple(row)) for row in conn.execute(select(table)).all())
            for table in SQLModel.metadata.sorted_tables
        }


def lines(output: str) -> list[str]:
    """Output split into lines."""
    return output.splitlines()
