"""A person's notification rules, pure: which channel how long after a page, and where to fall through.

CONTRACT section 3: a user's `notify` list (channel, after, severities); with none, DEFAULT_NOTIFY_RULES.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable, Sequence


@dataclass(frozen=True)
class NotifyRule:
    """A personal rule: this channel, this long after the page, for these severities (None = all)."""

    channel: str
    after: timedelta
    severities: tuple[str, ...] | None = None

    def applies_to(self, severity: str) -> bool:
        """True when the rule covers `severity`."""
        return self.severities is None or severity in self.severities


DEFAULT_NOTIFY_RULES = (
    NotifyRule("slack", timedelta(0)),
    NotifyRule("sms", timedelta(0), ("SEV1", "SEV2")),
    NotifyRule("voice", timedelta(minutes=2), ("SEV1",)),
)


def rules_from_stored(stored: Sequence[dict[str, Any]] | None) -> tuple[NotifyRule, ...]:
    """A user's stored rules (`after_seconds`), or the CONTRACT default when they have none."""
    if not stored:
        return DEFAULT_NOTIFY_RULES
    return tuple(
        NotifyRule(
            channel=rule["channel"],
            after=timedelta(seconds=int(rule.get("after_seconds") or 0)),
            severities=tuple(rule["severities"]) if rule.get("severities") else None,
        )
        for rule in stored
    )


def channel_schedule(rules: Sequence[NotifyRule], severity: str, paged_at: datetime) -> list[tuple[str, datetime]]:
    """Each (channel, due_at) a user's rules ask for on a page of `severity`; one per channel, earliest wins."""
    due: dict[str, datetime] = {}
    for rule in rules:
        if rule.applies_to(severity):
            at = paged_at + rule.after
            if rule.channel not in due or at < due[rule.channel]:
                due[rule.channel] = at
    return sorted(due.items(), key=lambda item: (item[1], item[0]))


def fallback_channel(rules: Sequence[NotifyRule], tried: Iterable[str]) -> str | None:
    """The user's next channel after a permanent failure: the first in rule order not yet tried.

    Severity filters are ignored here on purpose: a page that cannot reach someone on one channel
    must still reach them; the order of their rules is their preference.
    """
    used = set(tried)
    order = [rule.channel for rule in rules] + [rule.channel for rule in DEFAULT_NOTIFY_RULES]
    for channel in order:
        if channel not in used:
            return channel
    return None
