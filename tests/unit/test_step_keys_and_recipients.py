"""Step keys and recipients: the text each outbox row keeps, built and read in one place."""

from __future__ import annotations

import pytest

from app.outbox import recipients, step_keys
from app.outbox.recipients import RecipientKind
from app.outbox.step_keys import StepKind


def test_each_key_reads_back_as_its_kind_and_keeps_its_stored_text() -> None:
    assert step_keys.ladder_step(3, 0) == "esc:3" and step_keys.ladder_step(3, 2) == "esc:3@2"
    assert step_keys.by_hand("0123456789abcdef") == "manual:0123456789ab"
    assert step_keys.trigger(1) == "trigger:1" and step_keys.handover(2) == "handover:2"
    assert step_keys.assign("0123456789abcdef") == "assign:0123456789ab"
    made = {step_keys.ladder_step(1, 1): StepKind.LADDER, step_keys.by_hand("t"): StepKind.BY_HAND,
            step_keys.trigger(0): StepKind.TRIGGER, step_keys.handover(1): StepKind.HANDOVER,
            "service-channel": StepKind.SERVICE_CHANNEL, "incident-channel": StepKind.INCIDENT_CHANNEL,
            step_keys.responders(2): StepKind.RESPONDERS, step_keys.status_update(3): StepKind.STATUS_UPDATE,
            step_keys.assign("0123456789abcdef"): StepKind.ASSIGN}
    assert {key: step_keys.kind_of(key) for key in made} == made


def test_only_pages_asking_someone_to_take_the_incident_stop_at_acknowledgement() -> None:
    assert [kind for kind in StepKind if kind.stops_at_acknowledgement] == [StepKind.LADDER, StepKind.ASSIGN]


def test_a_key_no_code_makes_is_refused() -> None:
    with pytest.raises(ValueError):
        step_keys.kind_of("escalation:1")


def test_recipients_round_trip() -> None:
    assert recipients.user("rita") == "user:rita"
    assert recipients.parse(recipients.slack_channel("#ops")) == (RecipientKind.SLACK_CHANNEL, "#ops")
    assert recipients.target(recipients.user("a:b")) == "a:b"
