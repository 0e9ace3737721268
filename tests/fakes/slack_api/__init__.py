"""A local stand-in for Slack's Web API that checks every request the way Slack does.

Point the real slack_sdk WebClient (or SlackNotifier) at `.url`. It checks the bearer token, POST,
the body (form-encoded or JSON, as the SDK sends it), required fields and Block Kit limits, keeps a
small workspace (users, channels, messages, pins) and answers with Slack's own shapes and error
codes. Every request is kept in `.attempts`; those answered `ok: true` are also in `.requests`.

    with SlackAPIStandIn() as slack:                  # or the `slack_api` fixture below
        slack.add_user("U0ALICE")
        notifier = SlackNotifier(slack.token, slack.url)
        slack.fail_next("chat.postMessage", status=429, retry_after=7)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.slack_api.blocks import SlackError, blocks_problem
from tests.fakes.slack_api.server import DEFAULT_TOKEN, RecordedRequest, SlackAPIStandIn
from tests.fakes.slack_api.workspace import BOT_ID, BOT_USER_ID, Workspace

__all__ = [
    "BOT_ID",
    "BOT_USER_ID",
    "DEFAULT_TOKEN",
    "RecordedRequest",
    "SlackAPIStandIn",
    "SlackError",
    "Workspace",
    "blocks_problem",
    "slack_api",
]


@pytest.fixture
def slack_api() -> Iterator[SlackAPIStandIn]:
    """A running stand-in with DEFAULT_TOKEN, stopped after the test; import it into a conftest.py."""
    with SlackAPIStandIn() as api:
        yield api
