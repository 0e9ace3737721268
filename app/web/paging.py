"""Paging of list endpoints (CONTRACT section 6): `limit` and an opaque keyset `cursor`.

A page is `{"<items>": [...], "next": "<URL of the next page>" | null}`. The cursor names the sort key
of the last item served (base64url JSON), never an offset, so a page stays right while new rows
arrive: incidents opened after the first page do not shift the ones after it.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Callable, Sequence, TypeVar
from urllib.parse import urlencode

from flask import request

from app.platform.errors import BadRequest

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
T = TypeVar("T")


def int_arg(name: str, default: int, low: int, high: int) -> int:
    """A whole-number query argument within [low, high], or BadRequest saying what is wrong."""
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number") from None
    if not low <= value <= high:
        raise BadRequest(f"{name} must be between {low} and {high}")
    return value


def limit_arg() -> int:
    """`limit`: how many items a page holds (default 100, at most 1000)."""
    return int_arg("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)


def cursor_arg() -> Any:
    """The sort key the page starts after (None on the first page), or BadRequest for a bad cursor."""
    raw = request.args.get("cursor")
    if not raw:
        return None
    try:
        decoded = json.loads(base64.urlsafe_b64decode(raw.encode() + b"=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadRequest("cursor is not one this server gave: use the `next` URL of the previous page") from None
    if not isinstance(decoded, dict) or "after" not in decoded:
        raise BadRequest("cursor is not one this server gave: use the `next` URL of the previous page")
    return decoded["after"]


def page(items_key: str, rows: Sequence[T], limit: int, key_of: Callable[[T], Any],
         render: Callable[[T], Any], **extra: Any) -> dict[str, Any]:
    """The body of one page from up to `limit + 1` rows (one more than served says a next page exists)."""
    served = list(rows[:limit])
    body: dict[str, Any] = {**extra, items_key: [render(row) for row in served], "next": None}
    if len(rows) > limit and served:
        body["next"] = next_url(key_of(served[-1]))
    return body


def page_of_list(items_key: str, rows: Sequence[T], key_of: Callable[[T], Any], render: Callable[[T], Any],
                 **extra: Any) -> dict[str, Any]:
    """A page of an in-memory list already sorted by `key_of` (short lists: schedules, overrides)."""
    limit, after = limit_arg(), cursor_arg()
    rest = [row for row in rows if after is None or _after(key_of(row), after)]
    return page(items_key, rest[:limit + 1], limit, key_of, render, **extra)


def next_url(last_key: Any) -> str:
    """This request's URL with the cursor moved past `last_key`."""
    cursor = base64.urlsafe_b64encode(json.dumps({"after": last_key}).encode()).decode().rstrip("=")
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "cursor"] + [("cursor", cursor)]
    return f"{request.base_url}?{urlencode(args)}"


def _after(key: Any, after: Any) -> bool:
    try:
        return bool(key > after)
    except TypeError:
        raise BadRequest("cursor is not one this server gave: use the `next` URL of the previous page") from None
