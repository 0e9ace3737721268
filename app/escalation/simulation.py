"""`klaxon simulate`: who would be paged when, on which channel, if nobody acknowledges.

It walks the real ladder with the real schedules and personal rules, resolving each level at the
moment it would fire, and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from app.escalation import open_triggers
from app.escalation.paging import plan_pages
from app.escalation.stepping import StepPlan, ladder_from_policy, page_until_reached, plan_step
from app.escalation.targets import resolve_targets
from app.models import EscalationPolicy, Incident, Service
from app.outbox import recipients, step_keys
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
    # Never added to the session: the rows planned for it are read, not written.
    probe = Incident(id=0, service_id=service_id, title="simulated", dedup_key="", severity=severity, created_at=at)
    pages: list[SimulatedPage] = []
    when = at

    def page(level: StepPlan) -> bool:  # pages level `level` at `when`, as the engine would
        reached = _pages_for(session, probe, level.targets, level.level, when, pages,
                             step_keys.ladder_step(level.step, 0))
        if not reached:
            pages.append(SimulatedPage(when, level.level, "-", "-", "nobody on call: next level at once"))
        return reached

    plan = plan_step(ladder, 0, severity, when)
    while plan is not None:
        last = page_until_reached(ladder, plan, severity, when, page)
        if last.next_step is None:
            break
        when = last.next_due_at or when
        plan = plan_step(ladder, last.next_step, severity, when)
    for index, rule in enumerate(policy.open_triggers):
        if open_triggers.applies(rule, severity):
            _pages_for(session, probe, tuple(rule.get("targets", ())), 0, at + open_triggers.fires_after(rule), pages,
                       step_keys.trigger(index), note="open-time trigger")
    return sorted(pages, key=lambda p: (p.at, p.level, p.recipient, p.channel))


def _pages_for(session: Session, probe: Incident, targets: tuple[str, ...], level: int, when: datetime,
               pages: list[SimulatedPage], step_key: str, note: str = "") -> bool:
    """The pages the engine would plan for `targets` at `when` (paging.plan_pages, the very same rules)."""
    resolved = resolve_targets(session, targets, when, service_id=probe.service_id)
    plan = plan_pages(session, probe, resolved, when, step_key=step_key, level=level)
    pages.extend(SimulatedPage(row["due_at"], level, recipients.target(row["recipient"]), row["channel"], note)
                 for row in plan.rows)
    return plan.reached


def format_offset(delta: timedelta) -> str:
    """`+0s`, `+2m`, `+1h5m` for the printed table."""
    seconds = int(delta.total_seconds())
    parts = [f"{v}{u}" for v, u in ((seconds // 3600, "h"), (seconds % 3600 // 60, "m"), (seconds % 60, "s")) if v]
    return "+" + ("".join(parts) or "0s")
