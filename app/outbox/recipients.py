"""Who an outbox row is for: `user:<id>` or `slack:<channel>`, built and read here only."""

from __future__ import annotations

from enum import StrEnum


class RecipientKind(StrEnum):
    """A person (paged on their own channels) or a Slack channel."""

    USER = "user"
    SLACK_CHANNEL = "slack"


def user(user_id: str) -> str:
    """The recipient text of a person."""
    return f"{RecipientKind.USER}:{user_id}"


def slack_channel(channel: str) -> str:
    """The recipient text of a Slack channel (a name such as `#ops` or an id)."""
    return f"{RecipientKind.SLACK_CHANNEL}:{channel}"


def parse(recipient: str) -> tuple[RecipientKind, str]:
    """(kind, user id or channel) of a stored recipient."""
    kind, _, target = recipient.partition(":")
    return RecipientKind(kind), target


def target(recipient: str) -> str:
    """The user id or channel of a stored recipient."""
    return parse(recipient)[1]
