"""Two triggers with the same dedup key at the same instant give one incident (the unique index decides)."""

from __future__ import annotations

import threading
from typing import Any

from sqlmodel import func, select

from app.models import Alert, Incident, Notification
from tests.support.config import apply_test_config, pd_trigger


def test_concurrent_triggers_with_one_dedup_key_open_one_incident(runtime: Any, flask_app: Any) -> None:
    apply_test_config(runtime)
    start = threading.Barrier(8)
    answers: list[int] = []

    def post() -> None:
        client = flask_app.test_client()
        start.wait()
        answers.append(client.post("/v2/enqueue", json=pd_trigger(dedup_key="storm")).status_code)

    for _round in range(5):
        threads = [threading.Thread(target=post) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        start.reset()
    assert answers == [202] * 40
    with runtime.session() as session:
        assert session.exec(select(func.count()).select_from(Incident)).one() == 1
        assert session.exec(select(func.count()).select_from(Alert)).one() == 40
        # one page per (step, user, channel), however many alerts raced in
        rows = session.exec(select(Notification.recipient, Notification.channel)).all()
        assert len(rows) == len(set(rows))
