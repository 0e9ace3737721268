"""The step key of a page: which run of which step made it, typed.

Every outbox row keeps its step key as text (`notification.step_key`, part of the once-only unique
constraint, shown by the API as `step`). Code builds keys here and reads their kind through
`kind_of`, never by matching prefixes of its own.
"""

from __future__ import annotations

from enum import StrEnum


class StepKind(StrEnum):
    """What made a page; the value is the key's prefix."""

    LADDER = "esc"  # a step of the escalation ladder: urgent, and cancelled once someone acknowledges
    BY_HAND = "manual"  # "escalate now": the next level, paged at once
    TRIGGER = "trigger"  # an open-time trigger (a SEV1 still open after 15 minutes...)
    HANDOVER = "handover"  # telling the previous responders that another team has it
    SERVICE_CHANNEL = "service-channel"  # the post of a new incident in its service's Slack channel
    INCIDENT_CHANNEL = "incident-channel"  # the live message in the incident's own Slack channel
    RESPONDERS = "responders"  # more people paged by the commander, without escalating; acknowledged or not
    STATUS_UPDATE = "status"  # a status update told to a subscriber or the incident's Slack channel (a notice)
    ASSIGN = "assign"  # the one person the incident was reassigned to; the ladder stopped

    @property
    def stops_at_acknowledgement(self) -> bool:
        """True for pages that ask someone to take the incident: urgent while nobody has it, pointless once
        someone does (the ladder's, and a reassignment's)."""
        return self in (StepKind.LADDER, StepKind.ASSIGN)


def ladder_step(step: int, round_: int) -> str:
    """Ladder step `step` of the ladder's `round_`-th start (0: the first), unique across repeats."""
    return f"{StepKind.LADDER}:{step}" if round_ == 0 else f"{StepKind.LADDER}:{step}@{round_}"


def by_hand(token: str) -> str:
    """An escalation by hand, named by the escalation token it took (one per press)."""
    return f"{StepKind.BY_HAND}:{token[:12]}"


def trigger(index: int) -> str:
    """Open-time trigger number `index` of the incident's policy."""
    return f"{StepKind.TRIGGER}:{index}"


def handover(count: int) -> str:
    """The `count`-th hand-over of the incident."""
    return f"{StepKind.HANDOVER}:{count}"


def responders(request: int) -> str:
    """The `request`-th responder request of the incident."""
    return f"{StepKind.RESPONDERS}:{request}"


def status_update(number: int) -> str:
    """The incident's `number`-th status update."""
    return f"{StepKind.STATUS_UPDATE}:{number}"


def assign(token: str) -> str:
    """A reassignment to one person, named by the escalation token it set."""
    return f"{StepKind.ASSIGN}:{token[:12]}"


def kind_of(step_key: str) -> StepKind:
    """The kind of a stored step key; ValueError for one no code of ours makes."""
    return StepKind(step_key.split(":", 1)[0])
