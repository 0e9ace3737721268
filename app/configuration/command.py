"""`run_apply`: the body of `klaxon apply FILE [--dry-run]`, printing changes and errors."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from typing import TextIO

from sqlmodel import Session

from app.configuration.apply import apply_config
from app.configuration.changes import Change
from app.configuration.errors import ConfigError
from app.configuration.loading import load_config
from app.configuration.plan import plan_changes
from app.platform.clock import utc_now


def run_apply(
    session_factory: Callable[[], Session],
    path: str,
    dry_run: bool,
    out: TextIO,
    err: TextIO | None = None,
    now: datetime | None = None,
) -> int:
    """Apply (or with `dry_run` only list) the changes FILE asks for; errors go to `err`, one per line."""
    err = err if err is not None else sys.stderr
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except (OSError, UnicodeDecodeError) as error:
        print(f"{path}: cannot read: {error}", file=err)
        return 1
    try:
        config = load_config(text)
        with session_factory() as session:
            if dry_run:
                changes = plan_changes(session, config)
                session.rollback()
            else:
                result = apply_config(session, config, now=now or utc_now())
                changes = result.changes
    except ConfigError as error:
        for line in error.errors:
            print(line, file=err)
        return 1
    _print_changes(changes, dry_run, out)
    if not dry_run:
        for generated in result.generated_keys:
            # The only time the key exists in clear: the database keeps its hash.
            print(f"integration key {generated.service_id}/{generated.name} (shown once, store it now): "
                  f"{generated.key}", file=out)
    return 0


def _print_changes(changes: list[Change], dry_run: bool, out: TextIO) -> None:
    for change in changes:
        print(change, file=out)
    count = f"{len(changes)} change{'s' if len(changes) != 1 else ''}"
    if not changes:
        print("no changes", file=out)
    elif dry_run:
        print(f"{count} planned (dry run: nothing was changed)", file=out)
    else:
        print(f"{count} applied", file=out)
