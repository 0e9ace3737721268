"""The post-incident review (app/incidents/review.py): Markdown rendered from plain data, no database.

The scripted incident: a SEV3 on checkout pages level 1 (alice on Slack and SMS, #checkout-alerts);
the SMS fails; carol hands it to payments, whose level 1 (erin) is paged and alice is told; carol
raises it to SEV1 and escalates by hand to payments' level 2 "Tier 2 database" (dave); dave
acknowledges at +4m05s; a status update, a subscriber, the SEV1 open-time trigger, a note; resolved
at +1h02m. The expected text is tests/fixtures/review/scripted_incident.md, checked line by line.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from app.incidents.review import LEFT_OUT_OF_TIMELINE, format_duration, render_review
from app.incidents.review_data import AlertSummary, Page, ReviewData, TimelineLine

EXPECTED = Path(__file__).resolve().parents[1] / "fixtures" / "review" / "scripted_incident.md"
T0 = datetime(2026, 12, 3, 14, 5, 9, tzinfo=timezone.utc)


def at(minutes: int = 0, seconds: int = 0) -> datetime:
    """T0 plus a span (so the script reads as offsets from the incident's creation)."""
    return T0 + timedelta(minutes=minutes, seconds=seconds)


def line(offset: tuple[int, int], kind: str, actor: str, detail: str = "") -> TimelineLine:
    return TimelineLine(at=at(*offset), kind=kind, actor=actor, detail=detail)


SCRIPTED_TIMELINE = (
    line((0, 0), "triggered", "alertmanager", "SEV3 (rule latency-warning: checkout p99 above 2s)"),
    line((0, 0), "paged", "klaxon", "escalation level 1: paged alice (slack, sms), #checkout-alerts"),
    line((0, 1), "notified", "klaxon", "slack page to alice sent via slack"),
    line((0, 1), "notified", "klaxon", "slack page to #checkout-alerts sent via slack"),
    line((0, 1), "delivery_retry", "klaxon", "sms page to alice failed (twilio 30003); retry 2 in 30s"),
    line((0, 31), "delivery_failed", "klaxon", "sms page to alice failed permanently: twilio 30003: unreachable"),
    line((0, 31), "alert", "grafana", "alert attached: Checkout p99 latency above 2s"),
    line((0, 51), "reassigned", "carol", "handed from checkout to payments"),
    line((0, 51), "paged", "klaxon", "escalation level 1: paged erin (slack)"),
    line((0, 51), "handover_notice", "klaxon", "telling alice (slack) that it was handed over"),
    line((2, 31), "severity", "carol", "SEV3 -> SEV1"),
    line((2, 32), "escalated", "carol", "escalated by hand"),
    line((2, 32), "paged", "carol", "escalation level 2: paged dave (sms, voice)"),
    line((4, 5), "acknowledged", "dave", ""),
    line((5, 0), "commander", "carol", "commander carol"),
    line((9, 51), "status_update", "carol",
         "Checkout is slow for about 30% of customers; failing over the orders database."),
    line((10, 51), "subscribed", "carol", "subscribed frank"),
    line((30, 0), "paged", "klaxon", "open-time trigger: SEV1 unresolved after 1800s: paged #incidents"),
    line((34, 51), "note", "dave", "Failover done at 14:38; p99 back under 300 ms."),
    line((62, 0), "resolved", "dave", ""),
)


def page(offset: tuple[int, int], to: str, channel: str, level: int, step_key: str, status: str, *,
         sent: tuple[int, int] | None = None, error: str | None = None, notice: bool = False) -> Page:
    return Page(at=at(*offset), to=to, user=None if to.startswith("#") else to, channel=channel, level=level,
                step_key=step_key, status=status, sent_at=at(*sent) if sent else None, error=error, notice=notice)


SCRIPTED_PAGES = (
    page((0, 0), "alice", "slack", 1, "esc:0", "delivered", sent=(0, 1)),
    page((0, 0), "alice", "sms", 1, "esc:0", "failed", error="twilio 30003: unreachable"),
    page((0, 0), "#checkout-alerts", "slack", 1, "esc:0", "sent", sent=(0, 1)),
    page((0, 51), "erin", "slack", 1, "esc:0@1", "delivered", sent=(0, 52)),
    page((0, 51), "alice", "slack", 0, "handover:1", "sent", sent=(0, 52), notice=True),
    page((2, 32), "dave", "sms", 2, "esc:1@1", "delivered", sent=(2, 33)),
    page((2, 32), "dave", "voice", 2, "esc:1@1", "cancelled"),
    page((30, 0), "#incidents", "slack", 0, "trigger:0", "sent", sent=(30, 1)),
)


def scripted_incident() -> ReviewData:
    return ReviewData(
        incident_id=42, title="Checkout p99 latency above 2s", service="payments", service_name="Payments",
        severity="SEV1", severity_rule="manual", severity_reason="set to SEV1 by carol (was SEV3)", status="resolved",
        dedup_key="checkout-latency", created_at=T0, acknowledged_at=at(4, 5), acknowledged_by="dave",
        resolved_at=at(62), resolved_by="dave", commander="carol",
        alerts=AlertSummary(count=2, first_received_at=at(), last_received_at=at(0, 31),
                            sources=("alertmanager", "grafana")),
        timeline=SCRIPTED_TIMELINE, pages=SCRIPTED_PAGES,
        level_names={1: "Payments primary", 2: "Tier 2 database"},
    )


def test_scripted_incident_renders_as_the_expected_review() -> None:
    rendered = render_review(scripted_incident(), now=at(600)).splitlines()
    expected = EXPECTED.read_text(encoding="utf-8").splitlines()
    for number, (got, want) in enumerate(zip(rendered, expected), start=1):
        assert got == want, f"line {number} differs:\n got: {got!r}\nwant: {want!r}"
    assert len(rendered) == len(expected), f"{len(rendered)} lines rendered, {len(expected)} expected"


def test_review_is_deterministic_and_ends_with_one_newline() -> None:
    first = render_review(scripted_incident(), now=at(600))
    assert first == render_review(scripted_incident(), now=at(9000))  # `now` matters only while open
    assert first.endswith("\n") and not first.endswith("\n\n")


def test_sections_come_in_order() -> None:
    headings = [text for text in render_review(scripted_incident(), now=at()).splitlines() if text.startswith("## ")]
    assert headings == ["## Classification", "## Timeline", "## Pages", "## Response", "## Escalations",
                        "## Responders and subscribers", "## Status updates", "## Notes", "## Follow-ups", "## SLA"]


def test_delivery_chatter_is_left_out_of_the_timeline_but_not_of_pages() -> None:
    text = render_review(scripted_incident(), now=at())
    timeline = text.split("## Timeline")[1].split("## Pages")[0]
    assert LEFT_OUT_OF_TIMELINE == {"notified", "delivery_retry"}
    assert "sent via slack" not in timeline and "retry 2 in 30s" not in timeline
    assert "| alice | sms | 1 | failed: twilio 30003: unreachable | - |" in text


def test_unresolved_incident_says_how_long_it_has_been_open() -> None:
    data = replace(scripted_incident(), status="acknowledged", resolved_at=None, resolved_by=None,
                   timeline=tuple(x for x in SCRIPTED_TIMELINE if x.kind != "resolved"))
    text = render_review(data, now=at(190, 30))
    assert "- Time to resolve: not resolved (open for 3h 10m)" in text
    assert "| Resolved | not resolved |" in text


def test_unacknowledged_incident_says_so() -> None:
    data = replace(scripted_incident(), acknowledged_at=None, acknowledged_by=None,
                   timeline=tuple(x for x in SCRIPTED_TIMELINE if x.kind != "acknowledged"))
    text = render_review(data, now=at())
    assert "- Not acknowledged" in text and "- Time to acknowledge: not acknowledged" in text
    assert "| Acknowledged | not acknowledged |" in text


def test_time_to_acknowledge_counts_from_the_first_acknowledgement() -> None:
    # An acknowledgement that timed out clears the incident's own fields; the review still counts the first.
    again = line((20, 0), "acknowledged", "erin")
    data = replace(scripted_incident(), acknowledged_at=again.at, acknowledged_by="erin",
                   timeline=(*SCRIPTED_TIMELINE, line((15, 0), "ack_timeout", "klaxon", "re-triggered"), again))
    text = render_review(data, now=at())
    assert "- Time to acknowledge: 4m 05s" in text
    assert "- Acknowledged by dave at 2026-12-03 14:09:14\n- Acknowledged by erin at 2026-12-03 14:25:09" in text


def test_pipes_and_newlines_do_not_break_tables_or_lists() -> None:
    data = replace(scripted_incident(), dedup_key="db|orders", level_names={},
                   pages=(page((0, 0), "#ops|x", "slack", 1, "esc:0", "failed", error="bad | worse\nworst"),),
                   timeline=(line((1, 0), "note", "dave", "cause: A | B\nnext: C"),))
    rendered = render_review(data, now=at())
    for row in (text for text in rendered.splitlines() if text.startswith("|")):
        # Two columns in the summary, six in the pages table: an unescaped pipe would add one.
        assert len(re.findall(r"(?<!\\)\|", row)) in (3, 7), row
    assert "| Dedup key | db\\|orders |" in rendered
    assert "| #ops\\|x | slack | 1 | failed: bad \\| worse<br>worst | - |" in rendered
    assert "- 2026-12-03 14:06:09  dave: cause: A | B<br>next: C" in rendered


def test_no_escalations_no_people_no_updates_say_none() -> None:
    data = replace(scripted_incident(), timeline=(line((0, 0), "triggered", "alertmanager", "SEV3 (default)"),),
                   pages=(), alerts=AlertSummary())
    text = render_review(data, now=at())
    for heading in ("Escalations", "Responders and subscribers", "Status updates", "Notes", "Pages"):
        assert f"## {heading}\n\nnone\n" in text
    assert "| Alerts | none |" in text


def test_level_names_are_the_current_ladders_so_pages_before_the_hand_over_stay_unnamed() -> None:
    text = render_review(scripted_incident(), now=at())
    assert "| alice | slack | 1 | delivered |" in text  # checkout's level 1
    assert "| erin | slack | 1 (Payments primary) | delivered |" in text
    assert "| dave | sms | 2 (Tier 2 database) | delivered |" in text
    assert "carol: escalation level 2 (Tier 2 database): paged dave (sms, voice)" in text


def test_sla_lines_fill_the_sla_section() -> None:
    text = render_review(replace(scripted_incident(), sla_lines=("Acknowledged within 15m: met",)), now=at())
    assert text.endswith("## SLA\n\n- Acknowledged within 15m: met\n")


@pytest.mark.parametrize(("seconds", "shown"), [
    (0, "0s"), (45, "45s"), (60, "1m 00s"), (245, "4m 05s"), (3720, "1h 02m"), (3 * 3600 + 600, "3h 10m"),
    (2 * 86400 + 3 * 3600 + 59, "2d 03h"), (-5, "0s"),
])
def test_durations_show_two_units(seconds: int, shown: str) -> None:
    assert format_duration(timedelta(seconds=seconds)) == shown
