"""Resolving a level's targets (`user:`, `schedule:`, `slack:#channel`) at the moment it fires."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from app.escalation.oncall import oncall_users
from app.models import User
from app.platform.config_cache import get_row
from app.platform.errors import NotFound

log = logging.getLogger(__name__)


@dataclass
class ResolvedTargets:
    """Users (in order, once each) and Slack channels to page, and the targets that found nobody."""

    user_ids: list[str] = field(default_factory=list)
    slack_channels: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)

    @property
    def nobody(self) -> bool:
        """True when the level reaches no one at all."""
        return not self.user_ids and not self.slack_channels


def resolve_targets(session: Session, targets: tuple[str, ...] | list[str], at: datetime) -> ResolvedTargets:
    """Expand targets to users and channels; unknown users or schedules count as nobody (and are logged)."""
    resolved = ResolvedTargets()
    for target in targets:
        kind, _, name = target.partition(":")
        if kind == "user":
            found = [name] if get_row(session, User, name) is not None else []
        elif kind == "schedule":
            try:
                found = list(oncall_users(session, name, at))
            except NotFound:
                log.warning("escalation target %s does not exist", target)
                found = []
        elif kind == "slack":
            if name not in resolved.slack_channels:
                resolved.slack_channels.append(name)
            continue
        else:
            found = []
        if not found:
            resolved.empty.append(target)
        for user_id in found:
            if user_id not in resolved.user_ids:
                resolved.user_ids.append(user_id)
    return resolved
