"""The post-incident review as Markdown (CONTRACT section 6, `GET /incidents/<id>/review.md`).

A pure function of `ReviewData` (read by `app.incidents.review_data.load_review`) and `now`: no
database, no clock, so the same data always gives the same text. It is a draft for the incident
commander, laid out as PagerDuty's and incident.io's postmortems are: summary, classification, a
minute-by-minute timeline, who was paged, the response times, escalations, updates, notes, follow-ups.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from app.incidents.review_data import Page, ReviewData, TimelineLine
from app.models.notifications import NotificationStatus
from app.outbox.step_keys import StepKind

# Delivery chatter: one line per page sent or retried, which the Pages table already says better.
LEFT_OUT_OF_TIMELINE = frozenset({"notified", "delivery_retry"})
# Up the ladder: by hand, by timeout (re-triggered), past a level with nobody on call; "paged" lines of
# levels above 1 are picked out by their detail (`escalation level N: paged ...`).
HIERARCHICAL_KINDS = frozenset({"escalated", "ack_timeout", "escalation_gap"})
FUNCTIONAL_KINDS = frozenset({"reassigned", "assigned"})  # to another team, or to one person
PEOPLE_KINDS = frozenset({"responders_added", "subscribed", "unsubscribed"})
_LADDER_PAGE = re.compile(r"^escalation level (\d+)\b")

_KIND_LABELS = {
    "triggered": "Triggered", "declared": "Declared", "alert": "Alert", "paged": "Paged",
    "delivery_failed": "Delivery failed", "fallback": "Fallback", "acknowledged": "Acknowledged",
    "resolved": "Resolved", "escalated": "Escalated", "ack_timeout": "Acknowledgement timed out",
    "escalation_gap": "Nobody on call", "escalation_error": "Escalation error", "reassigned": "Handed over",
    "assigned": "Assigned", "handover_cancelled": "Stood down", "handover_notice": "Hand-over notice",
    "note": "Note", "severity": "Severity changed", "commander": "Commander", "status_update": "Status update",
    "responders_added": "Responders added", "subscribed": "Subscribed", "unsubscribed": "Unsubscribed",
    "slack_channel": "Incident channel", "slack_channel_failed": "Incident channel failed",
    "severity_ladder": "Ladder re-evaluated", "severity_triggers": "Triggers re-evaluated",
    "severity_pages": "Pages cancelled", "status_notice": "Status update sent",
}
# What made a page outside the ladder (level 0), by its step key's kind.
_STEP_LABELS = {
    StepKind.TRIGGER.value: "open-time trigger", StepKind.HANDOVER.value: "hand-over notice",
    StepKind.RESPONDERS.value: "responder request", StepKind.STATUS_UPDATE.value: "status update",
    StepKind.ASSIGN.value: "reassigned",
    StepKind.BY_HAND.value: "escalated by hand", StepKind.SERVICE_CHANNEL.value: "service channel post",
    StepKind.INCIDENT_CHANNEL.value: "incident channel message",
}
_STATUS_ORDER = tuple(NotificationStatus)


def render_review(data: ReviewData, *, now: datetime) -> str:
    """The review as Markdown ending in one newline; `now` only dates how long an open incident has been open."""
    sections = (_summary(data), _classification(data), _timeline(data), _pages(data), _response(data, now),
                _escalations(data), _people(data), _status_updates(data), _notes(data), _follow_ups(), _sla(data))
    return "\n\n".join("\n".join(lines) for lines in sections) + "\n"


def when(at: datetime) -> str:
    """An instant as `2026-12-03 14:05:09`, in UTC, to the second."""
    return at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def format_duration(span: timedelta) -> str:
    """A span, to the largest two units: `45s`, `4m 05s`, `1h 02m`, `2d 03h` (negative spans count as 0)."""
    seconds = max(0, int(span.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def _one_line(text: str) -> str:
    # A newline in a detail would end the list item or table row it sits in.
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")


def _cell(text: str) -> str:
    return _one_line(text).replace("|", "\\|")


def _row(*cells: str) -> str:
    return "| " + " | ".join(_cell(cell) for cell in cells) + " |"


def _entry(line: TimelineLine, *, label: bool = True, detail: str | None = None) -> str:
    """`2026-12-03 14:05:09  Paged  klaxon: detail` (the label left out where the section names the kind)."""
    detail = line.detail if detail is None else detail
    kind = f"  {_kind_label(line.kind)}" if label else ""
    said = f": {_one_line(detail)}" if detail else ""
    return f"- {when(line.at)}{kind}  {line.actor}{said}"


def _kind_label(kind: str) -> str:
    return _KIND_LABELS.get(kind) or kind.replace("_", " ").capitalize()


def _of_kinds(data: ReviewData, kinds: Iterable[str]) -> list[TimelineLine]:
    wanted = frozenset(kinds)
    return [line for line in data.timeline if line.kind in wanted]


def _acknowledgements(data: ReviewData) -> list[tuple[datetime, str]]:
    """Every acknowledgement (an acknowledgement that timed out, or a hand-over, clears the incident's own)."""
    found = [(line.at, line.actor) for line in data.timeline if line.kind == "acknowledged"]
    if not found and data.acknowledged_at is not None:
        found = [(data.acknowledged_at, data.acknowledged_by or "unknown")]
    return found


def _ladder_since(data: ReviewData) -> datetime | None:
    """When the current ladder (the one `level_names` names) took over: the last hand-over, if any."""
    handovers = [line.at for line in data.timeline if line.kind == "reassigned"]
    return handovers[-1] if handovers else None


def _level_name(data: ReviewData, level: int, at: datetime, since: datetime | None) -> str:
    """`2 (Tier 2 database)`; a level paged before the last hand-over was the old team's, so stays unnamed."""
    name = data.level_names.get(level)
    if name and (since is None or at >= since):
        return f"{level} ({name})"
    return str(level)


def _summary(data: ReviewData) -> list[str]:
    service = data.service if data.service_name in (None, data.service) else f"{data.service} ({data.service_name})"
    acks = _acknowledgements(data)
    alerts = data.alerts
    alert_text = "none"
    if alerts.count and alerts.first_received_at and alerts.last_received_at:
        alert_text = (f"{alerts.count} (first {when(alerts.first_received_at)}, last {when(alerts.last_received_at)})"
                      + (f" from {', '.join(alerts.sources)}" if alerts.sources else ""))
    return [
        f"# Incident {data.incident_id}: {_one_line(data.title)}", "",
        "| Field | Value |", "|---|---|",
        _row("Service", service), _row("Severity", data.severity), _row("Status", data.status),
        _row("Created", when(data.created_at)),
        _row("Acknowledged", f"{acks[0][1]} at {when(acks[0][0])}" if acks else "not acknowledged"),
        _row("Resolved", f"{data.resolved_by or 'unknown'} at {when(data.resolved_at)}" if data.resolved_at
             else "not resolved"),
        _row("Commander", data.commander or "none"), _row("Dedup key", data.dedup_key), _row("Alerts", alert_text),
    ]


def _classification(data: ReviewData) -> list[str]:
    lines = ["## Classification", "", f"- Severity: {data.severity}", f"- Rule: {data.severity_rule or 'none'}",
             f"- Reason: {_one_line(data.severity_reason) or 'none given'}"]
    opened = _of_kinds(data, ("triggered", "declared"))
    if opened and opened[0].detail:
        lines.append(f"- Opened as: {_one_line(opened[0].detail)}")
    changes = _of_kinds(data, ("severity",))
    if not changes:
        return [*lines, "- Severity changes: none"]
    return [*lines, "- Severity changes:", *(f"  {_entry(line, label=False)}" for line in changes)]


def _timeline(data: ReviewData) -> list[str]:
    lines = ["## Timeline"]
    minute = ""
    for line in sorted((x for x in data.timeline if x.kind not in LEFT_OUT_OF_TIMELINE), key=lambda x: x.at):
        heading = when(line.at)[:16]
        if heading != minute:
            minute = heading
            lines += ["", f"### {heading}", ""]
        said = f": {_one_line(line.detail)}" if line.detail else ""
        lines.append(f"- {when(line.at)[11:]}  {_kind_label(line.kind)}  {line.actor}{said}")
    return lines if minute else [*lines, "", "none"]


def _pages(data: ReviewData) -> list[str]:
    if not data.pages:
        return ["## Pages", "", "none"]
    lines = ["## Pages", "", "| Time (UTC) | To | Channel | Level | Status | Sent at |", "|---|---|---|---|---|---|"]
    since = _ladder_since(data)
    for page in data.pages:
        failed = page.status == NotificationStatus.FAILED and page.error
        status = f"{page.status}: {page.error}" if failed else page.status
        lines.append(_row(when(page.at), page.to, page.channel, _page_level(data, page, since), status,
                          when(page.sent_at) if page.sent_at else "-"))
    return lines


def _page_level(data: ReviewData, page: Page, since: datetime | None) -> str:
    """The level with its name, or for a page from outside the ladder what made it."""
    # Not step_keys.kind_of: it refuses kinds this build does not know yet, and those still need a label.
    kind = page.step_key.split(":", 1)[0]
    if page.level > 0 or kind == StepKind.LADDER:
        return _level_name(data, page.level, page.at, since)
    return _STEP_LABELS.get(kind, kind)


def _response(data: ReviewData, now: datetime) -> list[str]:
    acks = _acknowledgements(data)
    lines = ["## Response", ""]
    lines += [f"- Acknowledged by {who} at {when(at)}" for at, who in acks] or ["- Not acknowledged"]
    lines.append("- Time to acknowledge: "
                 + (format_duration(acks[0][0] - data.created_at) if acks else "not acknowledged"))
    lines.append("- Time to resolve: " + (format_duration(data.resolved_at - data.created_at) if data.resolved_at
                                          else f"not resolved (open for {format_duration(now - data.created_at)})"))
    pages = [page for page in data.pages if not page.notice]
    people = sorted({page.user for page in pages if page.user})
    lines.append(f"- People paged: {len(people)}" + (f" ({', '.join(people)})" if people else ""))
    counts = [(status, sum(1 for page in pages if page.status == status)) for status in _STATUS_ORDER]
    known = ", ".join(f"{status} {count}" for status, count in counts if count)
    lines.append(f"- Pages: {len(pages)}" + (f" ({known})" if known else ""))
    notices = len(data.pages) - len(pages)
    return lines + ([f"- Notices (told, not paged): {notices}"] if notices else [])


def _escalations(data: ReviewData) -> list[str]:
    since = _ladder_since(data)
    hierarchical = [_escalation_entry(data, line, since) for line in data.timeline if _is_hierarchical(line)]
    functional = [_entry(line) for line in _of_kinds(data, FUNCTIONAL_KINDS)]
    if not hierarchical and not functional:
        return ["## Escalations", "", "none"]
    return ["## Escalations", "", "Hierarchical (up the ladder):", "", *(hierarchical or ["none"]), "",
            "Functional (to another team or person):", "", *(functional or ["none"])]


def _is_hierarchical(line: TimelineLine) -> bool:
    if line.kind in HIERARCHICAL_KINDS:
        return True
    matched = _LADDER_PAGE.match(line.detail) if line.kind == "paged" else None
    return matched is not None and int(matched.group(1)) > 1


def _escalation_entry(data: ReviewData, line: TimelineLine, since: datetime | None) -> str:
    """The timeline entry, with the level's name after `escalation level N` where the ladder has one."""
    matched = _LADDER_PAGE.match(line.detail) if line.kind == "paged" else None
    if matched is None or line.detail[matched.end():].startswith(" ("):  # named when it was written
        return _entry(line)
    named = _level_name(data, int(matched.group(1)), line.at, since)
    return _entry(line, detail=f"escalation level {named}{line.detail[matched.end():]}")


def _people(data: ReviewData) -> list[str]:
    return ["## Responders and subscribers", "", *([_entry(x) for x in _of_kinds(data, PEOPLE_KINDS)] or ["none"])]


def _status_updates(data: ReviewData) -> list[str]:
    updates = [_entry(line, label=False) for line in _of_kinds(data, ("status_update",))]
    return ["## Status updates", "", *(updates or ["none"])]


def _notes(data: ReviewData) -> list[str]:
    return ["## Notes", "", *([_entry(line, label=False) for line in _of_kinds(data, ("note",))] or ["none"])]


def _follow_ups() -> list[str]:
    return ["## Follow-ups", "", "- [ ] ", "(add follow-up actions here)"]


def _sla(data: ReviewData) -> list[str]:
    """The SLA outcome the loader supplied (`ReviewData.sla_lines`), one bullet each."""
    return ["## SLA", "", *([f"- {_one_line(line)}" for line in data.sla_lines] or ["No SLA policy applies."])]
