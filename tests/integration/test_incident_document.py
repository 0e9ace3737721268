"""On PostgreSQL the incident's JSON is built by the database in one statement (app/web/incident_json_sql.py):
it must say exactly what the Python serialiser says, field for field, for every kind of row."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text

from app.web.incident_json_sql import incident_document
from app.web.serialize import incident_full, read_incident
from tests.support.config import apply_test_config, make_token, pd_trigger, run_jobs


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_the_document_postgresql_builds_equals_the_python_serialiser(runtime: Any, client: Any) -> None:
    apply_test_config(runtime)
    admin = make_token(runtime, "alice", "admin")
    client.post("/v2/enqueue", json=pd_trigger(dedup_key="k1", custom_details={"db": "orders", "n": [1, 2.5]},
                                               links=[{"href": "https://grafana.example/d/1", "text": "dash"}]))
    client.post("/v2/enqueue", json=pd_trigger("Still high", dedup_key="k1"))
    run_jobs(runtime)  # the first page goes out: notifications with sent_at, timeline lines
    client.post("/api/v1/incidents/1/notes", json={"text": "looking \"into\" it: ünïcode ✓"}, headers=admin)
    client.post("/api/v1/incidents/1/acknowledge", json={}, headers=admin)
    with runtime.session() as session:
        # Python leaves out the fraction of a whole second: so must the SQL.
        session.execute(text("UPDATE incident SET created_at = date_trunc('second', created_at) WHERE id = 1"))
        session.execute(text("UPDATE alert SET received_at = '2026-03-29 01:00:00+00' WHERE id = 1"))
        session.commit()
        python = incident_full(session, read_incident(session, 1))
        document = incident_document(session, 1)
        assert incident_document(session, 2) is None
    assert document is not None
    built = json.loads(document)
    assert built == python
    assert list(built) == list(python)  # same fields in the same order
    assert python["created_at"].endswith(":00Z") or "." not in python["created_at"]
    assert python["alerts"][0]["received_at"] == "2026-03-29T01:00:00Z"
    assert len(python["alerts"]) == 2 and python["notifications"] and python["timeline"]
    assert any(n["sent_at"] for n in python["notifications"])
    assert python["acknowledged_at"] and "." in python["acknowledged_at"]
    shown = client.get("/api/v1/incidents/1", headers=admin)
    assert shown.status_code == 200 and shown.mimetype == "application/json"
    assert shown.json == python
    assert client.get("/api/v1/incidents/2", headers=admin).status_code == 404
