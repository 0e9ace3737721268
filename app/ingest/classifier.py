"""Classification: which Klaxon severity (SEV1..SEV4) an alert gets, and exactly why. Pure.

The first rule whose conditions all hold wins. Otherwise the source severity maps through `default`
(case-insensitively; what a policy gives overrides the built-in critical/error/warning/info map, so
`default: {warning: SEV2}` cannot leave critical unmapped); a source severity that already is a
Klaxon one (`SEV2` from a generic sender) is kept; anything else, or none, gets `fallback`: SEV3
(notify, don't escalate) unless the config says `default: {"*": SEVn}`.

Regexes search only the first MAX_MATCH_CHARS characters, and patterns nesting unbounded repeats
(`(a+)+`) are refused when read: one hostile alert text must not hang a worker in backtracking.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from app.platform.severity import SEVERITIES
from integrations.inbound.event import InboundEvent

DEFAULT_MAP = {"critical": "SEV1", "error": "SEV2", "warning": "SEV3", "info": "SEV4"}
DEFAULT_FALLBACK = "SEV3"
FALLBACK_KEY = "*"
MAX_MATCH_CHARS = 4096
CONDITION_KEYS = ("severity", "labels", "summary", "source")
_SHOWN_CHARS = 60


class ClassificationSpecError(ValueError):
    """A `classification:` config that cannot be used; `path` is relative to `classification`."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


@dataclass(frozen=True)
class Condition:
    """What must all hold for a rule to match; an empty condition matches every alert."""

    severity: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    summary: re.Pattern[str] | None = None
    source: re.Pattern[str] | None = None

    def __post_init__(self) -> None:
        words = (self.severity,) if isinstance(self.severity, str) else tuple(self.severity)
        object.__setattr__(self, "severity", words)
        object.__setattr__(self, "labels", dict(self.labels))  # our own copy: treat as read-only

    def __hash__(self) -> int:
        return hash((self.severity, tuple(self.labels.items()), self.summary, self.source))


@dataclass(frozen=True)
class Rule:
    """A named rule: when its condition holds, the alert gets severity `set`."""

    name: str
    when: Condition
    set: str

    def __post_init__(self) -> None:
        if self.set not in SEVERITIES:
            raise ValueError(f"rule {self.name!r}: unknown severity {self.set!r}")


@dataclass(frozen=True)
class ClassificationPolicy:
    """Ordered rules, the source-severity map and the severity for anything unmapped."""

    rules: tuple[Rule, ...] = ()
    default: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_MAP))
    fallback: str = DEFAULT_FALLBACK

    def __post_init__(self) -> None:
        merged = {**DEFAULT_MAP, **{word.lower(): sev for word, sev in self.default.items()}}
        for word, sev in merged.items():
            if sev not in SEVERITIES:
                raise ValueError(f"default {word!r}: unknown severity {sev!r}")
        if self.fallback not in SEVERITIES:
            raise ValueError(f"fallback: unknown severity {self.fallback!r}")
        object.__setattr__(self, "rules", tuple(self.rules))
        object.__setattr__(self, "default", merged)

    def __hash__(self) -> int:
        return hash((self.rules, tuple(self.default.items()), self.fallback))


@dataclass(frozen=True)
class Classification:
    """The outcome: the Klaxon severity, the rule that set it (None: the default map) and why."""

    severity: str
    rule: str | None
    reason: str


DEFAULT_POLICY = ClassificationPolicy()


def classify(
    policy: ClassificationPolicy,
    *,
    severity: str | None,
    summary: str,
    source: str | None,
    labels: Mapping[str, str],
) -> Classification:
    """The severity for one alert: the first matching rule, else the default map."""
    for rule in policy.rules:
        reasons = _holds(rule.when, severity, summary, source, labels)
        if reasons is not None:
            why = " and ".join(reasons) if reasons else "no conditions (matches every alert)"
            return Classification(rule.set, rule.name, f"{rule.name}: {why}")
    return _by_default(policy, severity)


def classify_event(policy: ClassificationPolicy, event: InboundEvent) -> Classification:
    """classify() for a parsed inbound event."""
    return classify(policy, severity=event.severity, summary=event.summary,
                    source=event.source, labels=event.labels)


def _holds(
    when: Condition, severity: str | None, summary: str, source: str | None,
    labels: Mapping[str, str],
) -> list[str] | None:
    """Why each condition holds, in a fixed order; None as soon as one does not."""
    reasons: list[str] = []
    if when.severity:
        wanted = {word.casefold() for word in when.severity}
        if severity is None or severity.casefold() not in wanted:
            return None
        reasons.append(f"severity={severity}")
    for key, value in when.labels.items():
        if labels.get(key) != value:
            return None
        reasons.append(f"labels.{key}={value}")
    searches = (("summary", when.summary, summary), ("source", when.source, source))
    for name, pattern, text in searches:
        if pattern is None:
            continue
        found = pattern.search(text[:MAX_MATCH_CHARS]) if text is not None else None
        if found is None:
            return None
        reasons.append(f"{name} matches /{_cut(pattern.pattern)}/ ({_quote(found.group(0))})")
    return reasons


def _by_default(policy: ClassificationPolicy, severity: str | None) -> Classification:
    fallback = f"-> {policy.fallback} (fallback)"
    if severity is None or not severity.strip():
        return Classification(policy.fallback, None, f"default: no source severity {fallback}")
    mapped = policy.default.get(severity.lower())
    if mapped is not None:
        return Classification(mapped, None, f"default: source severity {severity} -> {mapped}")
    if severity.upper() in SEVERITIES:
        why = f"default: source severity {severity} is a Klaxon severity -> {severity.upper()}"
        return Classification(severity.upper(), None, why)
    why = f"default: source severity {_quote(severity)} is not in the default map {fallback}"
    return Classification(policy.fallback, None, why)


def _cut(text: str) -> str:
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def _quote(text: str) -> str:
    return '"' + _cut(text) + '"'
