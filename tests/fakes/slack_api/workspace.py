"""The stand-in's Slack workspace: users, channels, DMs, messages and pins, and the Web API methods
that read and change them, answering with Slack's shapes and error codes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tests.fakes.slack_api.blocks import SlackError, message_content

BOT_USER_ID = "U0KLAXONBOT"
BOT_ID = "B0KLAXONBOT"
_CHANNEL_NAME = re.compile(r"^[a-z0-9_-]+$")


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true")


def _split_users(value: Any) -> list[str]:
    return [u for u in str(value or "").split(",") if u]


class Workspace:
    """One Slack workspace as our bot sees it. Not thread-safe: the server calls it under a lock."""

    def __init__(self) -> None:
        self.users: dict[str, dict[str, bool]] = {}
        self.channels: dict[str, dict[str, Any]] = {}  # id -> {name, members, archived, is_im, user}
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}  # (channel id, ts) -> message
        self.pins: set[tuple[str, str]] = set()
        self._seq = 0

    def add_user(self, user_id: str, *, deleted: bool = False, is_bot: bool = False) -> None:
        """A workspace member (deleted = deactivated)."""
        self.users[user_id] = {"deleted": deleted, "is_bot": is_bot}

    def add_channel(self, name: str, *, channel_id: str | None = None, member: bool = True,
                    archived: bool = False) -> str:
        """A channel; `member` says whether our bot is in it. Returns its id."""
        channel_id = channel_id or f"C{self._next():08d}"
        self.channels[channel_id] = {"name": name.lstrip("#"), "members": {BOT_USER_ID} if member else set(),
                                     "archived": archived, "is_im": False}
        return channel_id

    def handler(self, method: str) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
        """The function answering a Web API method, or None (Slack: unknown_method)."""
        return {
            "chat.postMessage": self.post_message, "chat.update": self.update,
            "chat.postEphemeral": self.post_ephemeral, "conversations.open": self.open,
            "conversations.create": self.create, "conversations.invite": self.invite, "pins.add": self.pin,
        }.get(method)

    # --- Web API methods --------------------------------------------------------------------------
    def post_message(self, p: dict[str, Any]) -> dict[str, Any]:
        channel_id = self._postable(p.get("channel"))
        text, blocks = message_content(p)
        thread_ts = p.get("thread_ts")
        if thread_ts and (channel_id, thread_ts) not in self.messages:
            raise SlackError("thread_not_found")  # stricter than Slack: catches a reply to the wrong place
        ts = f"1700000000.{self._next():06d}"
        message: dict[str, Any] = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "text": text, "ts": ts}
        if blocks is not None:
            message["blocks"] = blocks
        if thread_ts:
            message["thread_ts"] = thread_ts
        self.messages[(channel_id, ts)] = message
        return {"channel": channel_id, "ts": ts, "message": message}

    def update(self, p: dict[str, Any]) -> dict[str, Any]:
        channel_id, ts = p.get("channel") or "", p.get("ts") or ""
        if channel_id not in self.channels:  # chat.update takes ids only, never "#name"
            raise SlackError("channel_not_found")
        message = self.messages.get((channel_id, ts))
        if message is None:
            raise SlackError("message_not_found")
        if message["user"] != BOT_USER_ID:
            raise SlackError("cant_update_message")
        text, blocks = message_content(p)
        message["text"] = text
        if blocks is not None:  # Slack keeps the old blocks when none are sent
            message["blocks"] = blocks
        return {"channel": channel_id, "ts": ts, "text": text, "message": message}

    def post_ephemeral(self, p: dict[str, Any]) -> dict[str, Any]:
        channel_id = self._postable(p.get("channel"))
        user = p.get("user") or ""
        if user not in self.users:
            raise SlackError("user_not_found")
        if user not in self.channels[channel_id]["members"]:
            raise SlackError("user_not_in_channel")
        message_content(p)
        return {"message_ts": f"1700000000.{self._next():06d}"}

    def open(self, p: dict[str, Any]) -> dict[str, Any]:
        users = _split_users(p.get("users"))
        if not users:
            raise SlackError("users_list_not_supplied")
        if len(users) > 1:
            raise SlackError("stand_in_supports_only_1to1_dms")
        dm_id, already = self._dm(users[0])
        return {"channel": {"id": dm_id}, **({"no_op": True, "already_open": True} if already else {})}

    def create(self, p: dict[str, Any]) -> dict[str, Any]:
        name = str(p.get("name") or "")
        if not name:
            raise SlackError("invalid_name_required")
        if len(name) > 80:
            raise SlackError("invalid_name_maxlength")
        if not _CHANNEL_NAME.match(name):
            raise SlackError("invalid_name_specials")
        if not re.search(r"[a-z0-9]", name):
            raise SlackError("invalid_name_punctuation")
        if any(c["name"] == name for c in self.channels.values()):
            raise SlackError("name_taken")
        channel_id = self.add_channel(name)
        return {"channel": self._channel_obj(channel_id, is_private=_truthy(p.get("is_private")))}

    def invite(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = self._member_channel(p.get("channel"))
        users = _split_users(p.get("users"))
        if not users:
            raise SlackError("no_user")
        problems: list[dict[str, Any]] = []
        for user in users:
            if user not in self.users or self.users[user]["deleted"]:
                problems.append({"user": user, "ok": False, "error": "user_not_found"})
            elif user == BOT_USER_ID:
                problems.append({"user": user, "ok": False, "error": "cant_invite_self"})
            elif user in channel["members"]:
                problems.append({"user": user, "ok": False, "error": "already_in_channel"})
        # force=true with several users: invite the valid ones, report the rest (Slack's docs).
        if problems and not (_truthy(p.get("force")) and len(users) > 1):
            raise SlackError(problems[0]["error"], errors=problems)
        bad = {e["user"] for e in problems}
        channel["members"].update(u for u in users if u not in bad)
        return {"channel": self._channel_obj(p["channel"]), **({"errors": problems} if problems else {})}

    def pin(self, p: dict[str, Any]) -> dict[str, Any]:
        self._member_channel(p.get("channel"))
        key = (p["channel"], p.get("timestamp") or "")
        if not key[1]:
            raise SlackError("no_item_specified")
        if key not in self.messages:
            raise SlackError("message_not_found")
        if key in self.pins:
            raise SlackError("already_pinned")
        self.pins.add(key)
        return {}

    # --- helpers ----------------------------------------------------------------------------------
    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def _dm(self, user: str) -> tuple[str, bool]:
        if user not in self.users:
            raise SlackError("user_not_found")
        if self.users[user]["deleted"]:
            raise SlackError("user_disabled")
        if self.users[user]["is_bot"]:
            raise SlackError("cannot_dm_bot")
        for channel_id, channel in self.channels.items():
            if channel["is_im"] and channel["user"] == user:
                return channel_id, True
        dm_id = f"D{self._next():08d}"
        self.channels[dm_id] = {"name": "", "members": {BOT_USER_ID, user}, "archived": False, "is_im": True,
                                "user": user}
        return dm_id, False

    def _postable(self, channel: Any) -> str:
        """Resolve chat.postMessage's `channel` (an id, "#name", or a user id) as Slack does."""
        if not channel:
            raise SlackError("channel_not_found")
        if channel in self.users:
            return self._dm(channel)[0]
        name = channel[1:] if channel.startswith("#") else None
        found = [cid for cid, c in self.channels.items() if (c["name"] == name if name else cid == channel)]
        if not found:
            raise SlackError("channel_not_found")
        self._member_channel(found[0])
        return found[0]

    def _member_channel(self, channel_id: Any) -> dict[str, Any]:
        channel = self.channels.get(channel_id or "")
        if channel is None:
            raise SlackError("channel_not_found")
        if channel["archived"]:
            raise SlackError("is_archived")
        if BOT_USER_ID not in channel["members"]:
            raise SlackError("not_in_channel")
        return channel

    def _channel_obj(self, channel_id: str, *, is_private: bool = False) -> dict[str, Any]:
        c = self.channels[channel_id]
        return {"id": channel_id, "name": c["name"], "is_channel": True, "is_private": is_private,
                "is_archived": c["archived"], "is_member": BOT_USER_ID in c["members"], "creator": BOT_USER_ID,
                "created": 1700000000, "num_members": len(c["members"])}
