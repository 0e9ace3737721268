"""Without SLACK_BOT_TOKEN the Slack channel is the console outbox: the same rows and rules, no Slack calls."""

from __future__ import annotations

from typing import Any

import pytest
from rq import Queue
from sqlmodel import col, select

from app.models import ConsoleMessage, SlackIncident
from app.slack.sync import SyncPlan, plan_sync
from tests.fakes.slack_api import SlackAPIStandIn
from tests.integration.slack_app.support import PUBLIC_URL, incident, press, trigger
from tests.support.config import run_jobs
from workers.slack_jobs import open_incident_channel, sync_incident, tell_user


@pytest.fixture
def slack_mode() -> str:
    return "console"


def test_console_gets_the_service_channel_post_and_slack_is_never_called(
    runtime: Any, client: Any, slack_api: SlackAPIStandIn
) -> None:
    incident_id = trigger(client, severity="critical")
    slack_jobs = Queue("klaxon-deliver-slack", connection=runtime.redis).get_jobs()
    assert "workers.slack_jobs.open_incident_channel" not in [job.func_name for job in slack_jobs], \
        "console mode skips the major-incident channel without a job"
    run_jobs(runtime)

    with runtime.session() as session:
        to = sorted(m.to for m in session.exec(select(ConsoleMessage).where(col(ConsoleMessage.channel) == "slack")))
        state = session.get(SlackIncident, incident_id)
    assert to == ["#checkout-alerts", "alice <UALICE>", "bob <UBOB>"]
    assert state is not None and (state.channel_status, state.channel_error) == ("skipped", "Slack is not configured")
    assert open_incident_channel(incident_id) == "skipped"

    # Console pages have no Slack ts; the button logic works the same for a press from any message.
    response = press(client, "ack", incident_id, user="UALICE", provider_id="D0ALICE:1700000000.000001")
    run_jobs(runtime)

    assert response.status_code == 200 and incident(runtime, incident_id).acknowledged_by == "alice"
    # Console messages cannot be edited: there is nothing to update, and the plan says so.
    with runtime.session() as session:
        assert plan_sync(session, incident_id=incident_id, public_url=PUBLIC_URL) == SyncPlan()
    assert sync_incident(incident_id) == "skipped: Slack is not configured"
    assert tell_user("D1", "UALICE", "hello") == "skipped: Slack is not configured"
    assert slack_api.attempts == []


def test_console_mode_records_the_skipped_channel_once_and_says_it_did(runtime: Any, client: Any) -> None:
    """The first request for a major incident's channel in console mode writes the `skipped` row and
    says so (True); a second says it did nothing (False). On PostgreSQL the INSERT's rowcount is -1 with
    SQLAlchemy 2.1, which used to send every first request down the UPDATE path and answer False."""
    from app.models import Incident
    from app.slack.incident_channel import request_incident_channel

    incident_id = trigger(client, severity="warning")  # not major: no channel requested yet
    with runtime.session() as session:
        found = session.get(Incident, incident_id)
        assert found is not None and session.get(SlackIncident, incident_id) is None
        assert request_incident_channel(session, found) is True
        assert request_incident_channel(session, found) is False
        session.commit()
