"""/metrics of `klaxon web` adds up what every process of the host counted: the web's alerts and the
worker's pages (prometheus_client's multiprocess mode, one folder per host)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from sqlmodel import col, select

from app.models import Notification
from tests.support.config import apply_test_config, make_token, one_responder_config
from tests.support.processes import KlaxonProcesses, wait_for

pytestmark = pytest.mark.e2e

KEY = "m" * 32


def test_the_web_shows_the_workers_pages(runtime: Any, klaxon: KlaxonProcesses) -> None:
    apply_test_config(runtime, one_responder_config(KEY, "metered"))
    token = make_token(runtime, "rita", "responder")
    klaxon.start_web()
    klaxon.start_worker()
    alert = {"summary": "disk full", "severity": "critical", "dedup_key": "disk"}
    assert requests.post(f"{klaxon.base_url}/integrations/generic/{KEY}", json=alert, timeout=10).status_code == 202

    def sent() -> bool:
        with runtime.session() as session:
            return session.exec(select(Notification).where(col(Notification.status) == "sent")).first() is not None

    wait_for(sent, timeout=20, message="the page was sent")
    text = requests.get(f"{klaxon.base_url}/metrics", headers=token, timeout=10).text
    assert 'klaxon_alerts_accepted_total{integration="generic"} 1.0' in text
    assert 'klaxon_pages_total{channel="sms",outcome="sent"} 1.0' in text, text
    assert "klaxon_first_page_seconds_count 1.0" in text
    assert requests.get(f"{klaxon.base_url}/metrics", timeout=10).status_code == 401
