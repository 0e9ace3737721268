"""Fixtures: the Slack Web API stand-in, and a SlackNotifier pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from integrations.slack import SlackNotifier
from tests.fakes.slack_api import SlackAPIStandIn, slack_api  # noqa: F401  (fixture)


@pytest.fixture
def notifier(slack_api: SlackAPIStandIn) -> Iterator[SlackNotifier]:  # noqa: F811
    """The real client, talking HTTP to the stand-in; a short timeout keeps timeout tests quick."""
    yield SlackNotifier(slack_api.token, slack_api.url, timeout=2)
