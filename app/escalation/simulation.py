"""`klaxon simulate`: who would be paged when, on which channel, if nobody acknowledges.

It walks the real ladder with the real schedules and personal rules, resolving each level at the
moment it would fire, and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from app.escalation.stepping import ladder_from_policy, plan_step
from app.escalation.targets import resolve_targets
from app.models import EscalationPolicy, Service, User
from app.outbox.notify_rules import channel_schedule, rules_from_stored
from app.platform.errors import BadRequest
from app.platform.severity import require_severity


@dataclass(frozen=True)
class SimulatedPage:
    """One page the ladder would send."""

    at: datetime
    level: int  # 0 for an open-time trigger
    recipient: str  # user id or "#channel"
    channel: str
    note: str = ""


def simulate(session: Session, *, service_id: str, severity: str, at: datetime) -> list[SimulatedPage]:
    """Every page of an incident opened at `at` that nobody acknowledges, in time order."""
    service = session.get(Service, service_id)
    if service is None:
        raise BadRequest(f"unknown service {service_id!r}")
    require_severity(severity)
    policy = session.get(EscalationPolicy, service.escalation_policy_id)
    if policy is None:
        return []
    ladder = ladder_from_policy(policy.levels, policy.repeat, policy.escalate_severities)
    pages: list[SimulatedPage] = []
    step, when = 0, at
    while (plan := plan_step(ladder, step, severity, when)) is not None:
        reached = _pages_for(session, plan.targets, plan.level, severity, when, pages)
        if not reached:
            pages.append(SimulatedPage(when, plan.level, "-", "-", "nobody on call: next level at once"))
        if plan.next_step is None:
            break
        step, when = plan.next_step, (plan.next_due_at if reached else when) or when
    for rule in policy.open_triggers:
        if severity in (rule.get("severities") or [severity]):
            fire_at = at + timedelta(seconds=int(rule["after_seconds"]))
            _pages_for(session, tuple(rule.get("targets", ())), 0, severity, fire_at, pages, note="open-time trigger")
    return sorted(pages, key=lambda p: (p.at, p.level, p.recipient, p.channel))


def _pages_for(session: Session, targets: tuple[str, ...], level: int, severity: str, when: datetime,
               pages: list[SimulatedPage], note: str = "") -> bool:
    resolved = resolve_targets(session, targets, when)
    reached = False
    for user_id in resolved.user_ids:
        user = session.get(User, user_id)
        for channel, due in channel_schedule(rules_from_stored(user.notify if user else None), severity, when):
            pages.append(SimulatedPage(due, level, user_id, channel, note))
            reached = True
    for name in resolved.slack_channels:
        pages.append(SimulatedPage(when, level, name, "slack", note))
        reached = True
    return reached


def format_offset(delta: timedelta) -> str:
    """`+0s`, `+2m`, `+1h5m` for the printed table."""
    seconds = int(delta.total_seconds())
    parts = [f"{v}{u}" for v, u in ((seconds // 3600, "h"), (seconds % 3600 // 60, "m"), (seconds % 60, "s")) if v]
    return "+" + ("".join(parts) or "0s")
