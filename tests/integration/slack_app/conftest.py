"""Fixtures: the app with Slack configured against the Web API stand-in, a workspace, and our config."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from app.platform.settings import Settings
from tests.fakes.slack_api import SlackAPIStandIn, slack_api  # noqa: F401  (fixture)
from tests.integration.slack_app.support import PUBLIC_URL, SIGNING_SECRET, SLACK_CONFIG
from tests.support.config import apply_test_config


@pytest.fixture
def slack_mode() -> str:
    """`slack` (the stand-in) or `console` (no bot token); a test module may override it."""
    return "slack"


@pytest.fixture
def settings(settings: Settings, slack_api: SlackAPIStandIn, slack_mode: str) -> Settings:  # noqa: F811
    """The suite's settings with Slack pointed at the stand-in and a signing secret."""
    signed = replace(settings, slack_signing_secret=SIGNING_SECRET, public_url=PUBLIC_URL)
    if slack_mode == "console":
        return signed
    return replace(signed, slack_bot_token=slack_api.token, slack_api_url=slack_api.url)


@pytest.fixture
def alerts_channel(slack_api: SlackAPIStandIn) -> str:  # noqa: F811
    """The id of #checkout-alerts (the checkout service's channel; our bot is a member)."""
    return slack_api.add_channel("checkout-alerts")


@pytest.fixture(autouse=True)
def workspace(slack_api: SlackAPIStandIn, alerts_channel: str, runtime: Any) -> SlackAPIStandIn:  # noqa: F811
    """Alice, Bob and Carol are in Slack (Dave's UDAVE is not); the config is applied."""
    for user in ("UALICE", "UBOB", "UCAROL"):
        slack_api.add_user(user)
    apply_test_config(runtime, SLACK_CONFIG)
    return slack_api
