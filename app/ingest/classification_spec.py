"""Reading the `classification:` config into a policy (errors named by their path) and writing it back:
pure, like the classifier it feeds."""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Mapping
from typing import Any

from app.ingest.classifier import (
    CONDITION_KEYS,
    DEFAULT_FALLBACK,
    DEFAULT_MAP,
    DEFAULT_POLICY,
    FALLBACK_KEY,
    ClassificationPolicy,
    ClassificationSpecError,
    Condition,
    Rule,
)
from app.platform.severity import SEVERITIES


def policy_from_dict(data: Mapping[str, Any] | None) -> ClassificationPolicy:
    """Read CONTRACT section 3's `classification:` mapping; raise ClassificationSpecError."""
    if data is None:
        return DEFAULT_POLICY
    if not isinstance(data, Mapping):
        raise ClassificationSpecError("", "must be a mapping with rules and default")
    _no_unknown_keys(data, ("rules", "default"), "")
    rules_data = data.get("rules")
    rules_data = [] if rules_data is None else rules_data
    if not isinstance(rules_data, list):
        raise ClassificationSpecError("rules", "must be a list of rules")
    rules: list[Rule] = []
    first_seen: dict[str, int] = {}
    for index, item in enumerate(rules_data):
        rule = _rule(item, f"rules[{index}]")
        if rule.name in first_seen:
            raise ClassificationSpecError(
                f"rules[{index}].name",
                f"duplicate rule name {rule.name!r} (also rules[{first_seen[rule.name]}])",
            )
        first_seen[rule.name] = index
        rules.append(rule)
    default, fallback = _default(data.get("default"))
    return ClassificationPolicy(rules=tuple(rules), default=default, fallback=fallback)


def policy_to_dict(policy: ClassificationPolicy) -> dict[str, Any]:
    """The config mapping for a policy; policy_from_dict(policy_to_dict(p)) == p."""
    default = dict(policy.default)
    if policy.fallback != DEFAULT_FALLBACK:
        default[FALLBACK_KEY] = policy.fallback
    return {"rules": [_rule_to_dict(rule) for rule in policy.rules], "default": default}


def _rule_to_dict(rule: Rule) -> dict[str, Any]:
    when: dict[str, Any] = {}
    if rule.when.severity:
        when["severity"] = list(rule.when.severity)
    if rule.when.labels:
        when["labels"] = dict(rule.when.labels)
    for name, pattern in (("summary", rule.when.summary), ("source", rule.when.source)):
        if pattern is not None:
            when[name] = pattern.pattern  # inline flags such as (?i) live in the pattern text
    return {"name": rule.name, "when": when, "set": rule.set}


def _rule(item: object, path: str) -> Rule:
    if not isinstance(item, Mapping):
        raise ClassificationSpecError(path, "must be a mapping with name, when and set")
    _no_unknown_keys(item, ("name", "when", "set"), path)
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ClassificationSpecError(f"{path}.name", "missing or blank: every rule needs a name")
    if "when" not in item:
        raise ClassificationSpecError(f"{path}.when", "missing (write `when: {}` to match all)")
    when = _condition(item["when"], f"{path}.when")
    return Rule(name=name, when=when, set=_severity(item.get("set"), f"{path}.set"))


def _condition(data: object, path: str) -> Condition:
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ClassificationSpecError(path, f"must be a mapping of {', '.join(CONDITION_KEYS)}")
    _no_unknown_keys(data, CONDITION_KEYS, path)
    return Condition(
        severity=_words(data.get("severity"), f"{path}.severity"),
        labels=_labels(data.get("labels"), f"{path}.labels"),
        summary=_pattern(data.get("summary"), f"{path}.summary"),
        source=_pattern(data.get("source"), f"{path}.source"),
    )


def _words(value: object, path: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(w, str) and w.strip() for w in items):
        raise ClassificationSpecError(path, "must be a list of source severities: [critical]")
    return tuple(items)


def _labels(value: object, path: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ClassificationSpecError(path, "must be a mapping of label name to value")
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            # YAML reads `version: 2` or `canary: true` as a number or a boolean, never a string.
            hint = f' (quote it: "{json.dumps(item)}")' if isinstance(item, (int, float)) else ""
            raise ClassificationSpecError(f"{path}.{key}", f"must be a string{hint}")
    return dict(value)


def _pattern(value: object, path: str) -> re.Pattern[str] | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ClassificationSpecError(path, "must be a non-empty regular expression")
    try:
        pattern = re.compile(value)
    except re.error as exc:
        raise ClassificationSpecError(path, f"bad regular expression {value!r}: {exc}") from None
    if _nests_unbounded_repeats(value):
        raise ClassificationSpecError(
            path,
            f"regular expression {value!r} repeats a repeated group, such as (a+)+, which can take "
            "exponential time on one unlucky alert; repeat a character class instead ([\\w ]+)",
        )
    return pattern


def _default(value: object) -> tuple[dict[str, str], str]:
    """(severity map, fallback) from `default:`; the "*" key sets the fallback."""
    if value is None:
        return dict(DEFAULT_MAP), DEFAULT_FALLBACK
    if not isinstance(value, Mapping):
        raise ClassificationSpecError("default", "must be a mapping of source severity to SEVn")
    mapping, fallback = {}, DEFAULT_FALLBACK
    for word, sev in value.items():
        if not isinstance(word, str) or not word.strip():
            raise ClassificationSpecError(f"default.{word}", "source severity must be a word")
        if word == FALLBACK_KEY:
            fallback = _severity(sev, f"default.{word}")
        else:
            mapping[word.lower()] = _severity(sev, f"default.{word}")
    return mapping, fallback


def _severity(value: object, path: str) -> str:
    if value is None:
        raise ClassificationSpecError(path, "missing: expected one of SEV1, SEV2, SEV3, SEV4")
    if not isinstance(value, str) or value.upper() not in SEVERITIES:
        raise ClassificationSpecError(
            path, f"unknown severity {value!r} (expected SEV1, SEV2, SEV3 or SEV4)"
        )
    return value.upper()


def _no_unknown_keys(data: Mapping[Any, Any], allowed: tuple[str, ...], path: str) -> None:
    for key in data:
        if key not in allowed:
            where = f"{path}.{key}" if path else str(key)
            raise ClassificationSpecError(where, f"unknown key (allowed: {', '.join(allowed)})")


def _nests_unbounded_repeats(pattern: str) -> bool:
    """True when an unbounded repeat sits inside another: the shape of catastrophic backtracking."""
    try:
        parser: Any = importlib.import_module("re._parser")  # private, but the only parse tree
    except ImportError:  # a future Python without it: the length cap still bounds the work
        return False
    unbounded = (parser.MAX_REPEAT, parser.MIN_REPEAT)

    def walk(node: Any, inside: bool) -> bool:
        if isinstance(node, parser.SubPattern):
            return any(walk(item, inside) for item in node)
        # `is`, not ==: the opcodes are int constants, and a character range is a pair of ints.
        if isinstance(node, tuple) and len(node) == 2 and any(node[0] is op for op in unbounded):
            _low, high, body = node[1]
            repeats = high == parser.MAXREPEAT
            return (repeats and inside) or walk(body, inside or repeats)
        if isinstance(node, (tuple, list)):
            return any(walk(item, inside) for item in node)
        return False

    return walk(parser.parse(pattern), False)
