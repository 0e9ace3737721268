"""End to end: an alert posted to `klaxon web` reaches the console outbox through `klaxon worker`."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from sqlmodel import select

from app.escalation.oncall import oncall_users
from app.models import ConsoleMessage
from app.platform.clock import utc_now
from tests.support.config import apply_test_config, pd_trigger
from tests.support.processes import KlaxonProcesses, wait_for

pytestmark = pytest.mark.e2e


def test_alert_to_console_page_with_real_processes(runtime: Any, klaxon: KlaxonProcesses) -> None:
    apply_test_config(runtime)
    klaxon.start_web()
    klaxon.start_worker()
    response = requests.post(f"{klaxon.base_url}/v2/enqueue", json=pd_trigger(dedup_key="e2e"), timeout=10)
    assert response.status_code == 202

    def console_messages() -> list[ConsoleMessage]:
        with runtime.session() as session:
            return list(session.exec(select(ConsoleMessage)).all())

    wait_for(lambda: len(console_messages()) == 3, timeout=20, message="slack, sms and #checkout-alerts pages")
    with runtime.session() as session:
        (oncall,) = oncall_users(session, "checkout-primary", utc_now())
    assert sorted((m.channel, m.to.split()[0]) for m in console_messages()) == [
        ("slack", "#checkout-alerts"), ("slack", oncall), ("sms", oncall)]
    page = requests.get(f"{klaxon.base_url}/", timeout=5).text
    assert "Checkout latency high" in page


def test_access_log_leaves_query_strings_out(runtime: Any, klaxon: KlaxonProcesses) -> None:
    """Calendar feed tokens travel in the query string; the access log must not keep them."""
    apply_test_config(runtime)
    klaxon.start_web()
    answer = requests.get(f"{klaxon.base_url}/api/v1/schedules/checkout-primary.ics?token=klxf_1_sekrit", timeout=5)
    assert answer.status_code == 401
    wait_for(lambda: "checkout-primary.ics" in klaxon.logs(), timeout=10, message="the access log line")
    assert "sekrit" not in klaxon.logs()
