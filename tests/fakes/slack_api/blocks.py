"""Message content checks the stand-in applies, as chat.postMessage / chat.update do in Slack.

Covers the Block Kit elements Klaxon sends (header, section, context, actions with buttons,
divider) with Slack's documented limits; anything else is refused so a new block type gets a check.
"""

from __future__ import annotations

import json
from typing import Any

_BLOCK_TYPES = {"section", "context", "actions", "header", "divider"}


class SlackError(Exception):
    """Answer `{"ok": false, "error": code, **extra}` (raised inside method handlers)."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code, self.extra = code, extra


def message_content(p: dict[str, Any]) -> tuple[str, list[dict[str, Any]] | None]:
    """Check a message's text and blocks as chat.postMessage/chat.update do."""
    text, blocks = p.get("text") or "", p.get("blocks")
    if isinstance(blocks, str):  # form-encoded bodies carry blocks as a JSON string
        try:
            blocks = json.loads(blocks)
        except ValueError:
            raise SlackError("invalid_blocks_format") from None
    if blocks is not None:
        problem = blocks_problem(blocks)
        if problem:
            raise SlackError("invalid_blocks", errors=[problem],
                             response_metadata={"messages": [f"[ERROR] {problem}"]})
    if not text and not blocks and not p.get("attachments"):
        raise SlackError("no_text")
    if len(text) > 40000:
        raise SlackError("msg_too_long")
    return text, blocks


def _text_problem(obj: Any, where: str, limit: int, plain_only: bool = False) -> str | None:
    allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if not isinstance(obj, dict) or obj.get("type") not in allowed:
        return f"{where} must be a {' or '.join(allowed)} object"
    if not isinstance(obj.get("text"), str) or not obj["text"] or len(obj["text"]) > limit:
        return f"{where}.text must be 1 to {limit} characters"
    return None


def blocks_problem(blocks: Any) -> str | None:
    """The first way `blocks` breaks Block Kit's rules (for the blocks we use), or None."""
    if not isinstance(blocks, list) or len(blocks) > 50:
        return "blocks must be a list of at most 50 blocks"
    action_ids: set[str] = set()
    for i, block in enumerate(blocks):
        where = f"blocks[{i}]"
        kind = block.get("type") if isinstance(block, dict) else None
        if kind not in _BLOCK_TYPES:
            return f"{where}: unsupported block type {kind!r}"
        if kind == "header":
            problem = _text_problem(block.get("text"), f"{where}.text", 150, plain_only=True)
        elif kind == "section":
            fields = block.get("fields") or []
            if "text" not in block and not fields:
                return f"{where}: section needs text or fields"
            problem = _text_problem(block["text"], f"{where}.text", 3000) if "text" in block else None
            if len(fields) > 10:
                return f"{where}.fields: at most 10"
            problem = problem or next((p for j, f in enumerate(fields)
                                       if (p := _text_problem(f, f"{where}.fields[{j}]", 2000))), None)
        elif kind == "context":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= 10:
                return f"{where}.elements: 1 to 10 elements"
            problem = next((p for j, e in enumerate(elements)
                            if (p := _text_problem(e, f"{where}.elements[{j}]", 3000))), None)
        elif kind == "actions":
            problem = _actions_problem(block.get("elements"), where, action_ids)
        else:
            problem = None
        if problem:
            return problem
    return None


def _actions_problem(elements: Any, where: str, seen: set[str]) -> str | None:
    if not isinstance(elements, list) or not 1 <= len(elements) <= 25:
        return f"{where}.elements: 1 to 25 elements"
    for j, button in enumerate(elements):
        at = f"{where}.elements[{j}]"
        if not isinstance(button, dict) or button.get("type") != "button":
            return f"{at}: only buttons are supported here"
        problem = _text_problem(button.get("text"), f"{at}.text", 75, plain_only=True)
        if problem:
            return problem
        action_id = button.get("action_id", "")
        if not isinstance(action_id, str) or len(action_id) > 255 or action_id in seen:
            return f"{at}.action_id must be unique and at most 255 characters"
        seen.add(action_id)
        if "value" in button and (not isinstance(button["value"], str) or len(button["value"]) > 2000):
            return f"{at}.value must be a string of at most 2000 characters"
        if button.get("style") not in (None, "primary", "danger"):
            return f"{at}.style must be primary or danger"
    return None


