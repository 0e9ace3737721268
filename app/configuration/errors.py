"""`ConfigError`, and how a problem is named by its YAML path (`schedules[1].layers[0].users[2]`)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import ValidationError


class ConfigError(Exception):
    """The configuration cannot be applied; `errors` lists every problem, each led by its YAML path."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = list(errors)


def join_path(*parts: str | int) -> str:
    """Join path parts the way the file reads: names with dots, list indexes in brackets."""
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part.startswith("["):
            path += part
        elif part:
            path += f".{part}" if path else part
    return path


def located(path: str, message: str) -> str:
    """One error line: `path: message`, or just the message when the problem is the whole file."""
    return f"{path}: {message}" if path else message


def pydantic_errors(exc: ValidationError, prefix: Sequence[str | int], field_names: Iterable[str]) -> list[str]:
    """Pydantic's errors as `path: message` lines, in words a config author reads without pydantic."""
    known = sorted(set(field_names))
    lines = []
    for error in exc.errors():
        loc = [part for part in error["loc"] if isinstance(part, int) or not _is_schema_label(part)]
        lines.append(located(join_path(*prefix, *loc), _message(error, known)))
    return lines


def _is_schema_label(part: str) -> bool:
    # pydantic adds labels such as `function-after[...]` to `loc` for wrapped types; they mean nothing
    # to someone reading the YAML.
    return "[" in part or part.startswith("function-")


def _message(error: Any, known: list[str]) -> str:
    kind, value = error["type"], error.get("input")
    ctx = error.get("ctx") or {}
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if kind == "missing":
        return "required"
    if kind == "extra_forbidden":
        name = str(error["loc"][-1]) if error["loc"] else ""
        close = difflib.get_close_matches(name, known, n=1)
        return "unknown field" + (f" (did you mean '{close[0]}'?)" if close else "")
    if kind == "literal_error":
        return f"must be {ctx.get('expected')}, not {_shown(value)}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"must be a mapping, not {_shown(value)}"
    if kind == "list_type":
        return f"must be a list, not {_shown(value)}"
    if kind == "too_short":
        return "must not be empty"
    text = str(error["msg"])
    return f"{text[:1].lower()}{text[1:]}, not {_shown(value)}"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
