"""Provider errors: transient ones retry with backoff, permanent ones fall through to the person's
next channel, and both show on the timeline. Slack is the local stand-in, with the real slack-sdk."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Iterator

import pytest
from freezegun import freeze_time

from app.incidents import lifecycle as incidents
from app.outbox.delivery import MAX_ATTEMPTS
from app.platform.clock import utc_now
from app.platform.settings import Settings
from app.wiring import build_runtime
from tests.fakes.slack_api import SlackAPIStandIn
from tests.support.config import apply_test_config
from tests.support.driver import Driver
from tests.support.ladder_config import LADDER_CONFIG


@pytest.fixture
def slack() -> Iterator[SlackAPIStandIn]:
    with SlackAPIStandIn() as stand_in:
        for user in ("UALICE", "UBOB", "UCAROL", "UGINA"):
            stand_in.add_user(user)
        yield stand_in


@pytest.fixture
def driver(settings: Settings, slack: SlackAPIStandIn) -> Iterator[Driver]:
    from workers.context import use_runtime

    real = Settings(**{**settings.__dict__, "slack_bot_token": slack.token, "slack_api_url": slack.url + "/"})
    runtime = build_runtime(real)
    use_runtime(runtime)
    with freeze_time("2026-11-23T03:00:00Z", tick=True) as frozen:
        apply_test_config(runtime, LADDER_CONFIG)
        yield Driver(runtime, frozen)
    use_runtime(None)
    runtime.close()


def declare(driver: Driver, service: str) -> None:
    with driver.runtime.session() as session:
        incidents.declare(session, service_id=service, title="Checkout down", severity="SEV1", user_id="gina",
                          now=utc_now())
        session.commit()


def test_rate_limited_page_retries_after_retry_after_and_is_sent_once(driver: Driver, slack: SlackAPIStandIn) -> None:
    slack.fail_next("conversations.open", status=429, retry_after=7)
    declare(driver, "checkout")
    driver.run_due()
    assert driver.pages(status="pending") == [(1, "alice", "slack")]
    assert any("retry" in detail and "7s" in detail for kind, detail in driver.timeline() if kind == "delivery_retry")
    driver.advance(timedelta(seconds=8))
    assert driver.pages() == [(1, "alice", "slack")]
    assert len(slack.calls("conversations.open")) == 1, "accepted once; the 429 is not counted"


def test_server_errors_retry_with_growing_backoff(driver: Driver, slack: SlackAPIStandIn) -> None:
    slack.fail_next("conversations.open", status=500, times=3)
    declare(driver, "checkout")
    driver.run_due()
    for _ in range(3):
        driver.advance(timedelta(seconds=20))
    assert driver.pages() == [(1, "alice", "slack")]
    retries = [detail for kind, detail in driver.timeline() if kind == "delivery_retry"]
    assert len(retries) == 3
    assert [r.split(" in ")[-1] for r in retries] == ["2s", "4s", "8s"]


def test_user_not_in_slack_falls_through_to_next_channel(driver: Driver, slack: SlackAPIStandIn) -> None:
    slack.fail_next("conversations.open", error="user_not_found")
    declare(driver, "gappy")  # pages carol: slack now, sms after 1m for SEV1
    driver.run_due()
    assert driver.pages(status="failed") == [(2, "carol", "slack")]
    assert driver.pages() == [(2, "carol", "sms")], "fell through to sms at once, not after its 1m rule"
    kinds = [kind for kind, _ in driver.timeline()]
    assert "delivery_failed" in kinds and "fallback" in kinds
    assert any("user_not_found" in detail for kind, detail in driver.timeline() if kind == "delivery_failed")
    driver.advance(timedelta(minutes=2))
    assert driver.pages() == [(2, "carol", "sms")], "the sms row is unique per step: the 1m rule adds nothing"


class ContractBreakingNotifier:
    """A Notifier that raises what it should have mapped to a DeliveryError (a bug in a channel, or a
    library exception nobody foresaw): the delivery engine must still bound its retries."""

    channel = "slack"
    provider = "slack"

    def __init__(self) -> None:
        self.calls = 0

    def send(self, page: Any, recipient: Any) -> Any:
        self.calls += 1
        raise KeyError("blocks")


def test_an_unexpected_error_retries_like_a_transient_one_and_gives_up_after_the_cap(driver: Driver) -> None:
    """Issue 10 item 10: an error that is not a DeliveryError is retried with the same backoff, at most
    MAX_ATTEMPTS times, then the person's next channel is tried; never for ever."""
    broken = ContractBreakingNotifier()
    driver.runtime.notifiers["slack"] = broken
    declare(driver, "checkout")  # alice
    driver.run_due()
    for wait in (2, 4, 8, 16, 32, 60, 60):
        driver.advance(timedelta(seconds=wait + 1))

    assert broken.calls == MAX_ATTEMPTS
    assert driver.pages(status="failed")[0] == (1, "alice", "slack")
    retries = [detail for kind, detail in driver.timeline() if kind == "delivery_retry"]
    assert len(retries) == MAX_ATTEMPTS - 1
    assert all("unexpected error: KeyError: 'blocks'" in detail for detail in retries)
    failures = [detail for kind, detail in driver.timeline() if kind == "delivery_failed"]
    assert failures[0] == "slack page to alice failed permanently: unexpected error: KeyError: 'blocks'"
    assert ("fallback", "falling back to sms for alice") in driver.timeline(), "then her next channel"
