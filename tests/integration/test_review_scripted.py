"""The review of a scripted incident (issue 12): driven through the API on a frozen clock, its Markdown
is compared line by line with tests/fixtures/review/api_scripted_incident.md; `klaxon review` prints the same."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from cli.commands import main
from tests.integration.test_incident_command import (  # noqa: F401  (fixtures)
    COMMAND_CONFIG,
    api,
    commander,
    driver,
    open_incident,
)
from tests.support.config import make_token
from tests.support.driver import Driver

EXPECTED = Path(__file__).resolve().parents[1] / "fixtures" / "review" / "api_scripted_incident.md"
M = timedelta(minutes=1)


def script(driver: Driver, api: Any, commander: dict[str, str]) -> int:  # noqa: F811
    """A SEV3 raised to SEV1, a responder, a subscriber and a status update, a climb to Tier 2, an
    acknowledgement, a note, the account director's trigger, and the resolve."""
    bob = make_token(driver.runtime, "bob", "responder")
    incident = open_incident(driver, api, severity="warning")  # 03:00:00, SEV3: alice by Slack, no climb
    driver.advance(2 * M)
    assert api.post(f"/api/v1/incidents/{incident}/severity", headers=commander,
                    json={"severity": "SEV1"}).status_code == 200
    driver.run_due()
    driver.advance(1 * M)
    assert api.post(f"/api/v1/incidents/{incident}/responders", headers=commander,
                    json={"targets": ["user:carl"], "message": "need DB eyes"}).status_code == 200
    driver.advance(1 * M)
    assert api.post(f"/api/v1/incidents/{incident}/subscribers", headers=commander,
                    json={"user": "ed"}).status_code == 200
    assert api.post(f"/api/v1/incidents/{incident}/status-updates", headers=commander,
                    json={"text": "Failing over the orders database."}).status_code == 201
    driver.advance(4 * M)  # 03:08: the urgent ladder, restarted at 03:02, climbs to Tier 2 at 03:07
    assert api.post(f"/api/v1/incidents/{incident}/acknowledge", headers=bob).status_code == 200
    driver.advance(2 * M)
    assert api.post(f"/api/v1/incidents/{incident}/notes", headers=bob,
                    json={"text": "Replica promoted | lag 0"}).status_code == 201
    driver.advance(10 * M)  # 03:15 the director's trigger fires
    assert api.post(f"/api/v1/incidents/{incident}/resolve", headers=bob).status_code == 200
    driver.run_due()
    return incident


def test_the_review_of_a_scripted_incident_matches_the_expected_file(driver: Driver, api: Any,  # noqa: F811
                                                                      commander: dict[str, str],  # noqa: F811
                                                                      flask_app: Any) -> None:
    incident = script(driver, api, commander)
    answer = api.get(f"/api/v1/incidents/{incident}/review.md", headers=commander)
    assert answer.status_code == 200 and answer.mimetype == "text/markdown"
    got = answer.get_data(as_text=True).replace(f"Incident {incident}:", "Incident N:").replace(
        f"#{incident} ", "#N ").splitlines()
    expected = EXPECTED.read_text().splitlines()
    for number, (line, want) in enumerate(zip(got, expected), start=1):
        assert line == want, f"line {number} differs"
    assert len(got) == len(expected)
    printed = flask_app.test_cli_runner().invoke(main, ["review", str(incident)])
    assert printed.exit_code == 0 and printed.output == answer.get_data(as_text=True)


def test_the_review_of_an_unknown_incident_is_404(driver: Driver, api: Any, commander: dict[str, str],  # noqa: F811
                                                  flask_app: Any) -> None:
    assert api.get("/api/v1/incidents/999/review.md", headers=commander).status_code == 404
    assert api.get("/api/v1/incidents/999/review.md").status_code == 401
    printed = flask_app.test_cli_runner().invoke(main, ["review", "999"])
    assert printed.exit_code == 1 and "no incident 999" in printed.output
