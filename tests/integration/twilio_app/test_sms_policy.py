"""Texts to one phone: bundled when close together, rate limited per phone, a SEV1 never dropped."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, update

from app.models import Notification, User
from app.phone.sms_policy import BUNDLE_WINDOW
from app.platform.clock import utc_now
from app.platform.database import take_turns
from tests.fakes.twilio_api import FakeTwilioApi
from tests.integration.twilio_app.support import (
    ALICE_PHONE,
    FROM_NUMBER,
    deliver_at,
    incident,
    notifications,
    text_from,
    timeline,
    trigger,
    twilio_post,
)
from tests.support.config import run_jobs
from tests.support.lock_waits import wait_for_lock_waits


def seed_texts(runtime: Any, client: Any, user_id: str, count: int) -> None:
    """`count` texts already sent to the user's phone in the last few minutes, on an old incident."""
    old = trigger(client, "old-storm")
    now = utc_now()
    with runtime.session() as session:
        session.execute(update(Notification).where(col(Notification.incident_id) == old).values(status="cancelled"))
        for i in range(count):
            session.add(Notification(
                incident_id=old, step_key=f"seed:{i}", recipient=f"user:{user_id}", user_id=user_id, channel="sms",
                status="sent", created_at=now, due_at=now, sent_at=now - timedelta(minutes=i + 1), provider="twilio",
                provider_id=f"SMseed{user_id}{i}", provider_status="delivered"))
        session.commit()


def test_pages_waiting_for_one_phone_go_as_one_text(configured: Any, client: Any, twilio_api: FakeTwilioApi) -> None:
    first = trigger(client, "k1", summary="Checkout is down")
    second = trigger(client, "k2", severity="error", summary="Payments are slow")

    run_jobs(configured)

    [message] = twilio_api.messages()
    assert message.form["To"] == ALICE_PHONE
    assert message.form["Body"] == (f"Klaxon: 2 open pages\n#{first} SEV1 Checkout API: Checkout is down\n"
                                    f"#{second} SEV2 Checkout API: Payments are slow\n"
                                    f"Reply ACK {first}, RES {first} or ESC {first} (any # above)")
    sid = message.response["sid"]
    rows = notifications(configured, channel="sms")
    assert [(r.status, r.provider_id, r.provider_status) for r in rows] == [
        ("sent", sid, "sent"), ("sent", None, f"bundled:{sid}")]
    assert f"notified: sms page to alice sent via twilio in one text with incident {first}" in timeline(
        configured, second)


def test_a_bundled_page_follows_the_status_of_its_text(configured: Any, client: Any, twilio_api: FakeTwilioApi) -> None:
    trigger(client, "k1")
    second = trigger(client, "k2")
    run_jobs(configured)
    sid = str(twilio_api.messages()[0].response["sid"])

    twilio_post(client, "/twilio/status", {"MessageSid": sid, "MessageStatus": "delivered", "To": ALICE_PHONE})
    assert [r.status for r in notifications(configured, channel="sms")] == ["delivered", "delivered"]

    twilio_post(client, "/twilio/status", {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30003"})
    assert [r.status for r in notifications(configured, channel="sms")] == ["delivered", "delivered"]
    assert not any(line.startswith("delivery_failed") for line in timeline(configured, second))


def test_an_undelivered_bundle_falls_through_for_every_page_in_it(
    configured: Any, client: Any, twilio_api: FakeTwilioApi
) -> None:
    first = trigger(client, "k1")
    second = trigger(client, "k2")
    run_jobs(configured)
    sid = str(twilio_api.messages()[0].response["sid"])

    twilio_post(client, "/twilio/status", {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30005"})

    assert [r.status for r in notifications(configured, channel="sms")] == ["failed", "failed"]
    for incident_id in (first, second):
        assert any("30005: unknown destination handset" in line for line in timeline(configured, incident_id))


def test_a_reply_without_a_number_to_a_bundle_asks_which_incident(
    configured: Any, client: Any, twilio_api: FakeTwilioApi
) -> None:
    first = trigger(client, "k1")
    second = trigger(client, "k2")
    run_jobs(configured)

    response = text_from(client, ALICE_PHONE, "ACK")

    assert f"Your last text listed incidents {first}, {second}. Reply with the number" in response.get_data(as_text=True)
    assert incident(configured, first).status == incident(configured, second).status == "triggered"
    text_from(client, ALICE_PHONE, f"ACK {second}")
    assert incident(configured, second).acknowledged_by == "alice"


def test_pages_right_after_a_text_wait_for_the_window_then_go_together(
    configured: Any, client: Any, twilio_api: FakeTwilioApi
) -> None:
    trigger(client, "k1")
    run_jobs(configured)
    [first_text] = notifications(configured, channel="sms")
    second = trigger(client, "k2")
    third = trigger(client, "k3")

    run_jobs(configured)

    assert len(twilio_api.messages()) == 1
    _, waiting, also_waiting = notifications(configured, channel="sms")
    window_end = (first_text.sent_at or utc_now()) + BUNDLE_WINDOW
    assert (waiting.status, waiting.due_at) == ("pending", window_end)
    assert (also_waiting.status, also_waiting.due_at) == ("pending", window_end)
    assert any(line.startswith("sms_bundling: sms page to alice waits") for line in timeline(configured, second))

    assert deliver_at(configured, waiting.id or 0, window_end) == "sent"
    assert deliver_at(configured, also_waiting.id or 0, window_end) == "skipped"

    assert len(twilio_api.messages()) == 2
    body = twilio_api.messages()[1].form["Body"]
    assert body.startswith("Klaxon: 2 open pages") and f"#{second} " in body and f"#{third} " in body
    assert [r.status for r in notifications(configured, channel="sms")] == ["sent", "sent", "sent"]


def test_a_throttled_sev1_text_falls_through_to_the_later_call_now_and_says_so(
    configured: Any, client: Any, twilio_api: FakeTwilioApi
) -> None:
    seed_texts(configured, client, "alice", 5)

    incident_id = trigger(client, "k1")
    run_jobs(configured)

    assert twilio_api.messages() == []
    [call] = twilio_api.calls()
    assert call.form["To"] == ALICE_PHONE and call.form["From"] == FROM_NUMBER
    sms, voice = (notifications(configured, incident_id=incident_id, channel=c)[0] for c in ("sms", "voice"))
    assert sms.status == "failed" and (sms.error or "").startswith("throttled")
    assert voice.status == "sent"
    lines = timeline(configured, incident_id)
    assert (f"sms_throttled: sms page to alice not sent (throttled: {ALICE_PHONE} is at its limit of 5 texts per "
            f"15 min); falling through to the next channel") in lines
    assert "fallback: falling back to voice for alice" in lines


def test_a_throttled_text_falls_through_to_the_next_channel(
    configured: Any, client: Any, twilio_api: FakeTwilioApi
) -> None:
    seed_texts(configured, client, "bob", 5)
    incident_id = trigger(client, "k1")
    run_jobs(configured)
    text_from(client, ALICE_PHONE, f"ESC {incident_id}")  # level 2: bob, whose only rule is sms

    run_jobs(configured)

    assert [m.form["To"] for m in twilio_api.messages()] == [ALICE_PHONE]
    [bob_sms] = notifications(configured, incident_id=incident_id, user_id="bob", channel="sms")
    [bob_slack] = notifications(configured, incident_id=incident_id, user_id="bob", channel="slack")
    assert bob_sms.status == "failed" and bob_slack.status == "sent"
    lines = timeline(configured, incident_id)
    assert any(line.startswith("sms_throttled: sms page to bob not sent (throttled:") for line in lines)
    assert "fallback: falling back to slack for bob" in lines


@pytest.mark.parametrize(("severity", "texted"), [("critical", True), ("error", False)])
def test_with_no_other_channel_left_only_a_sev1_is_texted_over_the_limit(
    configured: Any, client: Any, twilio_api: FakeTwilioApi, severity: str, texted: bool
) -> None:
    every_channel_now = [{"channel": c, "after_seconds": 0, "severities": None} for c in ("slack", "sms", "voice")]
    with configured.session() as session:
        session.execute(update(User).where(col(User.id) == "alice").values(notify=every_channel_now,
                                                                         slack_user_id="UALICE"))
        session.commit()
    seed_texts(configured, client, "alice", 5)
    incident_id = trigger(client, "k1", severity=severity)
    [voice] = notifications(configured, incident_id=incident_id, channel="voice")
    deliver_at(configured, voice.id or 0, utc_now())  # the call went first: nothing left to fall through to

    run_jobs(configured)

    assert len(twilio_api.messages()) == (1 if texted else 0)
    [sms] = notifications(configured, incident_id=incident_id, channel="sms")
    lines = timeline(configured, incident_id)
    if texted:
        assert sms.status == "sent"
        assert (f"sms_throttled: {ALICE_PHONE} is over its limit of 5 texts per 15 min, but this SEV1 has no other "
                f"channel to alice: texting anyway") in lines
    else:
        assert sms.status == "failed"
        assert "delivery_failed: no channel left to reach alice" in lines


def test_the_limit_counts_texts_in_the_window_only(configured: Any, client: Any, twilio_api: FakeTwilioApi) -> None:
    seed_texts(configured, client, "alice", 4)

    trigger(client, "k1")
    run_jobs(configured)

    assert len(twilio_api.messages()) == 1


def test_two_workers_with_texts_to_one_phone_take_turns_and_exactly_one_text_goes_now(
    configured: Any, client: Any, twilio_api: FakeTwilioApi
) -> None:
    """Issue 10 item 11. Two workers deliver texts to alice's phone at the same instant. On PostgreSQL
    the test holds the phone's turn until both are seen waiting for it, so both have claimed their row
    before either decides (without turns, each saw the other's row sending and both waited; or both
    read before either claimed and both went). Exactly one text goes now; the other waits to be bundled."""
    first, second = trigger(client, "k1"), trigger(client, "k2")
    rows = notifications(configured, channel="sms")
    now = utc_now()
    outcomes: list[str] = []
    workers = [threading.Thread(target=lambda row=row: outcomes.append(deliver_at(configured, row.id or 0, now)))
               for row in rows]
    with configured.session() as holder:
        take_turns(holder, f"sms to {ALICE_PHONE}")
        for worker in workers:
            worker.start()
        if configured.engine.dialect.name == "postgresql":
            wait_for_lock_waits(configured, count=2)
        holder.rollback()
    for worker in workers:
        worker.join(timeout=30)

    assert len(twilio_api.messages()) == 1
    if sorted(outcomes) == ["sent", "skipped"]:  # SQLite only: one claimed both and sent them as one text
        assert configured.engine.dialect.name == "sqlite"
        assert [r.status for r in notifications(configured, channel="sms")] == ["sent", "sent"]
        return
    assert sorted(outcomes) == ["deferred", "sent"]
    assert sorted(r.status for r in notifications(configured, channel="sms")) == ["pending", "sent"]
    assert any(line.startswith("sms_bundling:") for i in (first, second) for line in timeline(configured, i))
