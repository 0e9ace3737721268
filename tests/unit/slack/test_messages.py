"""The page message: exact Block Kit, buttons by status, escaping and Slack's size limits."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from integrations.notifier import Page
from integrations.slack.messages import fallback_text, page_blocks
from tests.fakes.slack_api import blocks_problem

PAGE = Page(
    incident_id=42,
    title="Checkout API 5xx above 2%",
    severity="SEV1",
    severity_reason="prod-critical: severity=critical and labels.env=prod",
    service_id="checkout",
    service_name="Checkout API",
    status="triggered",
    created_at="2026-03-01T12:00:00+00:00",
    details={"region": "us-east-1", "error_rate": 0.031},
    links=({"href": "https://grafana.example.com/d/abc", "text": "Dashboard"},),
    also_paged=("bob", "carol"),
    public_url="https://klaxon.example.com",
)

BUTTONS = [
    {"type": "button", "action_id": "ack", "text": {"type": "plain_text", "text": "Acknowledge", "emoji": True},
     "value": "42", "style": "primary"},
    {"type": "button", "action_id": "resolve", "text": {"type": "plain_text", "text": "Resolve", "emoji": True},
     "value": "42"},
    {"type": "button", "action_id": "escalate", "text": {"type": "plain_text", "text": "Escalate", "emoji": True},
     "value": "42", "style": "danger"},
]

EXPECTED_TRIGGERED = [
    {"type": "header", "text": {"type": "plain_text", "text": "SEV1 · #42 Checkout API 5xx above 2%", "emoji": True}},
    {
        "type": "section",
        "text": {
            "type": "mrkdwn",
            "text": ":red_circle: *SEV1* — prod-critical: severity=critical and labels.env=prod",
        },
        "fields": [
            {"type": "mrkdwn", "text": "*Service*\nCheckout API"},
            {"type": "mrkdwn", "text": "*Status*\n:rotating_light: Triggered"},
            {"type": "mrkdwn", "text": "*Opened*\n<!date^1772366400^{date_short_pretty} {time}|2026-03-01 12:00 UTC>"},
        ],
    },
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Details*\n• `region`: us-east-1\n• `error_rate`: 0.031"}},
    {
        "type": "section",
        "text": {
            "type": "mrkdwn",
            "text": "*Links*\n<https://grafana.example.com/d/abc|Dashboard>\n"
            "<https://klaxon.example.com/incidents/42|Open in Klaxon>",
        },
    },
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "Also paged: bob, carol"}]},
    {"type": "actions", "elements": BUTTONS},
]


def test_triggered_page_has_title_severity_why_service_details_links_others_and_three_buttons() -> None:
    assert page_blocks(PAGE) == EXPECTED_TRIGGERED
    assert blocks_problem(EXPECTED_TRIGGERED) is None


def test_fallback_text_names_severity_id_title_service_and_status() -> None:
    assert fallback_text(PAGE) == "[SEV1] #42 Checkout API 5xx above 2% (Checkout API): Triggered"


def test_acknowledged_page_says_who_and_when_shows_commander_and_drops_the_ack_button() -> None:
    page = replace(PAGE, status="acknowledged", acknowledged_by="alice", commander="dave")
    at = datetime(2026, 3, 1, 12, 5, tzinfo=timezone.utc)
    blocks = page_blocks(page, changed_at=at)
    fields = blocks[1]["fields"]
    assert {"type": "mrkdwn", "text": "*Status*\n:eyes: Acknowledged"} in fields  # type: ignore[operator]
    assert {"type": "mrkdwn", "text": "*Commander*\ndave"} in fields  # type: ignore[operator]
    context = next(b for b in blocks if b["type"] == "context")
    assert context["elements"][0] == {  # type: ignore[index]
        "type": "mrkdwn",
        "text": ":eyes: Acknowledged by alice <!date^1772366700^{date_short_pretty} {time}|2026-03-01 12:05 UTC>",
    }
    assert blocks[-1] == {"type": "actions", "elements": BUTTONS[1:]}
    assert fallback_text(page).endswith(": Acknowledged by alice")


def test_resolved_page_has_no_buttons_and_says_who_resolved() -> None:
    page = replace(PAGE, status="resolved", acknowledged_by="alice", resolved_by="bob")
    blocks = page_blocks(page)
    assert all(b["type"] != "actions" for b in blocks)
    context = next(b for b in blocks if b["type"] == "context")
    texts = [e["text"] for e in context["elements"]]  # type: ignore[attr-defined]
    assert texts == [":white_check_mark: Resolved by bob", "Acknowledged by alice", "Also paged: bob, carol"]
    assert blocks_problem(blocks) is None


def test_user_text_cannot_forge_mentions_or_links() -> None:
    page = replace(PAGE, severity_reason="<!channel> & <@U0BOSS>", details={"<x>": "<https://evil|click>"})
    blocks = page_blocks(page)
    summary = blocks[1]["text"]["text"]  # type: ignore[index]
    assert summary == ":red_circle: *SEV1* — &lt;!channel&gt; &amp; &lt;@U0BOSS&gt;"
    assert blocks[2]["text"]["text"] == "*Details*\n• `&lt;x&gt;`: &lt;https://evil|click&gt;"  # type: ignore[index]


def test_unsafe_or_non_http_links_are_left_out() -> None:
    page = replace(PAGE, links=({"href": "javascript:alert(1)"}, {"href": "https://x.example/a|b"}), public_url="")
    assert all("Links" not in str(b) for b in page_blocks(page))


def test_oversized_page_still_fits_block_kit_limits() -> None:
    page = replace(
        PAGE,
        title="x" * 500,
        severity_reason="y" * 5000,
        details={f"k{i}": "v" * 1000 for i in range(40)},
        service_name="s" * 3000,
    )
    blocks = page_blocks(page)
    assert blocks_problem(blocks) is None
    assert len(blocks[0]["text"]["text"]) == 150  # type: ignore[index]
    assert blocks[2]["text"]["text"].endswith("…and 30 more")  # type: ignore[index]
