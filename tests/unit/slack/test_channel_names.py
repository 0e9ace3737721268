"""Incident channel names Slack accepts: lowercase, a-z 0-9 and hyphens, at most 80 characters."""

from __future__ import annotations

import re

import pytest

from integrations.slack.channel_names import incident_channel_name, with_suffix

SLACK_NAME = re.compile(r"^[a-z0-9-]{1,80}$")


@pytest.mark.parametrize(
    ("incident_id", "title", "expected"),
    [
        (12, "Checkout API down", "inc-12-checkout-api-down"),
        (12, "  Checkout: 5xx on EU!!  ", "inc-12-checkout-5xx-on-eu"),
        (7, "Café — paiement échoué", "inc-7-cafe-paiement-echoue"),
        (7, "DB_replica lag", "inc-7-db-replica-lag"),
        (3, "🔥🔥🔥", "inc-3"),
        (3, "", "inc-3"),
        (123456, "a" * 100, "inc-123456-" + "a" * 69),
    ],
)
def test_incident_channel_name(incident_id: int, title: str, expected: str) -> None:
    assert incident_channel_name(incident_id, title) == expected


def test_long_title_is_cut_on_a_word_boundary_within_80_characters() -> None:
    name = incident_channel_name(4821, "payments " * 20)
    assert SLACK_NAME.match(name) and len(name) <= 80
    assert name.endswith("-payments") and "--" not in name


def test_suffix_after_name_taken_still_fits() -> None:
    name = incident_channel_name(9, "z" * 200)
    assert len(name) == 80
    suffixed = with_suffix(name, 2)
    assert len(suffixed) == 80 and suffixed.endswith("z-2") and SLACK_NAME.match(suffixed)
    assert with_suffix("inc-9-db", 3) == "inc-9-db-3"
