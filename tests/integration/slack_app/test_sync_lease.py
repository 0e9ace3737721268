"""One sync per incident at a time: a sync that finds another running leaves its change to that one, which
syncs again before letting go, so the newest state always ends up on top in Slack."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from app.models import SlackIncident
from app.platform.clock import utc_now
from tests.fakes.slack_api import SlackAPIStandIn
from tests.integration.slack_app.support import incident, messages, scheduled_slack_jobs, trigger
from tests.support.config import make_token, run_jobs
from workers.slack_jobs import sync_incident


def test_sync_finding_another_in_progress_is_busy_and_checks_back_when_its_lease_ends(
    runtime: Any, client: Any, slack_api: SlackAPIStandIn
) -> None:
    incident_id = trigger(client)
    run_jobs(runtime)
    held_until = utc_now() + timedelta(seconds=30)
    with runtime.session() as session:
        session.execute(update(SlackIncident).where(SlackIncident.incident_id == incident_id)  # type: ignore[arg-type]
                        .values(sync_lease_until=held_until))
        session.commit()
    client.post(f"/api/v1/incidents/{incident_id}/acknowledge", headers=make_token(runtime, "alice", "responder"))

    run_jobs(runtime)

    assert slack_api.calls("chat.update") == []
    ((func, args, due_in),) = scheduled_slack_jobs(runtime)
    assert (func, args) == ("workers.slack_jobs.sync_incident", (incident_id, 1))
    assert 29 < due_in <= 31
    with runtime.session() as session:
        session.execute(update(SlackIncident).where(SlackIncident.incident_id == incident_id)  # type: ignore[arg-type]
                        .values(sync_lease_until=utc_now() - timedelta(seconds=1)))  # its holder died
        session.commit()
    assert sync_incident(incident_id, 1) == "updated 3, posted 3"


def test_change_made_while_a_sync_is_running_is_synced_by_that_sync_before_it_lets_go(
    runtime: Any, client: Any, slack_api: SlackAPIStandIn
) -> None:
    incident_id = trigger(client)
    run_jobs(runtime)
    commander = make_token(runtime, "alice", "commander")
    client.post(f"/api/v1/incidents/{incident_id}/acknowledge", headers=commander)
    slack_api.fail_next("chat.update", delay=1.0)  # the holder's first update is slow; it then succeeds
    holder: dict[str, str] = {}
    first = threading.Thread(target=lambda: holder.update(result=sync_incident(incident_id)))
    first.start()
    time.sleep(0.4)

    assert client.post(f"/api/v1/incidents/{incident_id}/severity", json={"severity": "SEV3"},
                       headers=commander).status_code == 200
    assert sync_incident(incident_id) == "busy"
    first.join(timeout=30)

    assert holder["result"].startswith("updated 6,")
    assert incident(runtime, incident_id).severity == "SEV3"
    for provider_id in messages(runtime, incident_id).values():
        shown = slack_api.messages[tuple(provider_id.split(":"))]  # type: ignore[index]
        assert shown["blocks"][0]["text"]["text"].startswith("SEV3 ·")
