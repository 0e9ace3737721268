"""`Change`: one create, update or delete of one stored object, and the generic row diff that finds them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlmodel import Session, SQLModel, select

Action = Literal["create", "update", "delete"]


@dataclass(frozen=True)
class Change:
    """One object to create, update or delete; `str()` is the line `--dry-run` prints."""

    action: Action
    kind: str  # user, escalation policy, schedule, override, account, service, integration key, config document
    name: str
    fields: tuple[str, ...] = ()  # for updates: what differs
    detail: str = ""
    # The stored row's new values (create, update) or what to remove (delete); never printed, since
    # it may hold an integration key in clear.
    values: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __str__(self) -> str:
        detail = self.detail or ", ".join(self.fields)
        return f"{self.action} {self.kind} {self.name}" + (f": {detail}" if detail else "")


def row_changes(session: Session, model: type[SQLModel], kind: str, desired: dict[str, dict[str, Any]]) -> list[Change]:
    """Creates, updates (naming the fields that differ) and deletes that turn the table into `desired`."""
    existing = {row.id: row for row in session.exec(select(model)).all()}  # type: ignore[attr-defined]
    changes = []
    for row_id, values in desired.items():
        row = existing.get(row_id)
        if row is None:
            changes.append(Change("create", kind, row_id, values=values))
            continue
        differing = tuple(name for name, value in values.items() if getattr(row, name) != value)
        if differing:
            changes.append(Change("update", kind, row_id, fields=differing, values=values))
    for row_id in sorted(set(existing) - set(desired)):
        changes.append(Change("delete", kind, row_id))
    return changes
