"""Resolving a level's targets (`user:`, `schedule:`, `slack:#channel`, `account:`) at the moment it fires."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from app.escalation.oncall import oncall_users
from app.models import Account, Service, User
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


def resolve_targets(session: Session, targets: tuple[str, ...] | list[str], at: datetime, *,
                    service_id: str | None = None) -> ResolvedTargets:
    """Expand targets to users and channels; unknown users or schedules count as nobody (and are logged).
    `account:` targets name people of the account of `service_id` (the incident's service)."""
    resolved = ResolvedTargets()
    for target in targets:
        kind, _, name = target.partition(":")
        if kind == "account":
            found = [user for user in account_people(session, service_id, name) if get_row(session, User, user)]
        elif kind == "user":
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


def needs_service(targets: tuple[str, ...] | list[str]) -> bool:
    """True when resolving `targets` depends on the incident's service (an `account:` target)."""
    return any(target.startswith("account:") for target in targets)


def account_of(session: Session, service_id: str | None) -> Account | None:
    """The account a service belongs to, if any."""
    service = get_row(session, Service, service_id) if service_id else None
    return get_row(session, Account, service.account_id) if service and service.account_id else None


def account_people(session: Session, service_id: str | None, role: str) -> list[str]:
    """The account's director (`director`) or stakeholders (`stakeholders`) for the service's account."""
    account = account_of(session, service_id)
    if account is None:
        return []
    if role == "director":
        return [account.account_director] if account.account_director else []
    return list(account.stakeholders) if role == "stakeholders" else []
