"""The normalised alert event every inbound parser produces."""

from __future__ import annotations

from dataclasses import dataclass, field


class InvalidEvent(ValueError):
    """The payload cannot be accepted; `errors` lists each problem, naming the field."""

    def __init__(self, message: str, errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or [message]


@dataclass(frozen=True)
class InboundEvent:
    """One alert event, whatever tool sent it.

    `action` is trigger, acknowledge or resolve. `severity` is the source's own word
    (critical / error / warning / info, or whatever the tool said), classified later by the app.
    `dedup_key` is None when the source gave none (the app then makes one).
    """

    action: str
    summary: str
    severity: str | None = None
    source: str | None = None
    dedup_key: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    details: dict[str, object] = field(default_factory=dict)
    links: tuple[dict[str, str], ...] = ()
    occurred_at: str | None = None  # the source's timestamp, ISO 8601, as given
    integration: str = "generic"  # pagerduty | alertmanager | grafana | generic
    raw: dict[str, object] = field(default_factory=dict)
