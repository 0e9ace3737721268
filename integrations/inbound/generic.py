"""The generic webhook (`POST /integrations/generic/<key>`): Klaxon's own small JSON event.

    {"summary", "severity"?, "source"?, "dedup_key"?, "action"?, "labels"?, "details"?, "links"?}

`action` defaults to trigger. `summary` is required for a trigger; `dedup_key` for acknowledge and
resolve (as in PagerDuty). `severity` is the sender's own word, classified later. Unknown fields are
rejected, so a typo such as `lables` is a 400 instead of a silently unclassified page.

The small field checks at the top (`json_type`, `string_map`, `link_list`) are shared with the
Alertmanager and Grafana parsers.
"""

from __future__ import annotations

from integrations.inbound.event import InboundEvent, InvalidEvent

ACTIONS = ("trigger", "acknowledge", "resolve")
MAX_SUMMARY = 1024  # PagerDuty's limit; one limit for every source keeps titles storable everywhere
MAX_DEDUP_KEY = 255  # PagerDuty's limit
FIELDS = ("summary", "severity", "source", "dedup_key", "action", "labels", "details", "links")


def json_type(value: object) -> str:
    """The JSON name of a decoded value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__


def string_map(value: object, path: str, errors: list[str]) -> dict[str, str]:
    """A JSON object whose values are all strings (labels, annotations); notes each bad entry."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.append(f"{path}: must be an object of strings, got {json_type(value)}")
        return {}
    checked: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(item, str):
            checked[str(key)] = item
        else:
            errors.append(f"{path}.{key}: must be a string, got {json_type(item)}")
    return checked


def link_list(value: object, path: str, errors: list[str]) -> tuple[dict[str, str], ...]:
    """A list of links, each {"href", "text"?} or a bare URL string; notes each bad entry."""
    if value is None:
        return ()
    if not isinstance(value, list):
        errors.append(f"{path}: must be an array of links, got {json_type(value)}")
        return ()
    links: list[dict[str, str]] = []
    for index, item in enumerate(value):
        where = f"{path}[{index}]"
        if isinstance(item, str) and item.strip():
            links.append({"href": item})
            continue
        if not isinstance(item, dict):
            errors.append(f"{where}: must be an object with href, got {json_type(item)}")
            continue
        href, text = item.get("href"), item.get("text")
        if not isinstance(href, str) or not href.strip():
            errors.append(f"{where}.href: is missing or blank")
        elif text is not None and not isinstance(text, str):
            errors.append(f"{where}.text: must be a string, got {json_type(text)}")
        else:
            links.append({"href": href, "text": text} if text else {"href": href})
    return tuple(links)


def parse_generic(body: object) -> InboundEvent:
    """Validate a generic webhook body and normalise it; InvalidEvent names every bad field."""
    if not isinstance(body, dict):
        problem = f"body: must be a JSON object, got {json_type(body)}"
        raise InvalidEvent(f"invalid generic event: {problem}", [problem])
    errors = [
        f"{key}: unknown field (allowed: {', '.join(FIELDS)})" for key in body if key not in FIELDS
    ]
    action = _action(body.get("action"), errors)
    summary = _text(body, "summary", errors)
    severity = _text(body, "severity", errors)
    source = _text(body, "source", errors)
    dedup_key = _text(body, "dedup_key", errors)
    wrong_type = not isinstance(body.get("summary"), (str, type(None)))  # reported already
    if action == "trigger" and summary is None and not wrong_type:
        errors.append("summary: is missing or blank (required for trigger)")
    if summary and len(summary) > MAX_SUMMARY:
        errors.append(f"summary: is too long ({len(summary)} characters, maximum is {MAX_SUMMARY})")
    if action in ("acknowledge", "resolve") and not dedup_key:
        errors.append(f"dedup_key: is missing or blank (required for {action})")
    if dedup_key and len(dedup_key) > MAX_DEDUP_KEY:
        errors.append(f"dedup_key: is too long (maximum is {MAX_DEDUP_KEY} characters)")
    labels = string_map(body.get("labels"), "labels", errors)
    details = body.get("details")
    if details is not None and not isinstance(details, dict):
        errors.append(f"details: must be an object, got {json_type(details)}")
    links = link_list(body.get("links"), "links", errors)
    if errors:
        raise InvalidEvent(f"invalid generic event: {'; '.join(errors)}", errors)
    return InboundEvent(
        action=action or "trigger",
        summary=summary or "",
        severity=severity,
        source=source,
        dedup_key=dedup_key,  # None for a trigger without one: the app generates it
        labels=labels,
        details=dict(details or {}),
        links=links,
        integration="generic",
        raw=dict(body),
    )


def _action(value: object, errors: list[str]) -> str | None:
    if value is None:
        return "trigger"
    if value not in ACTIONS:
        errors.append(f"action: must be one of trigger, acknowledge or resolve, got {value!r}")
        return None
    return str(value)


def _text(body: dict[str, object], key: str, errors: list[str]) -> str | None:
    """The field's string, or None when absent, null or blank (whitespace only)."""
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        errors.append(f"{key}: must be a string, got {json_type(value)}")
        return None
    return value if value and value.strip() else None


MAX_BATCH = 1000


def parse_generic_batch(body: object) -> list[InboundEvent]:
    """Validate `{"events": [...]}` (1 to 1,000 generic events), all or nothing: InvalidEvent names
    every bad field by its index (`events[3].summary: ...`)."""
    if not isinstance(body, dict) or set(body) != {"events"}:
        problem = 'body: must be a JSON object with one field, "events"'
        raise InvalidEvent(f"invalid batch: {problem}", [problem])
    items = body["events"]
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
        got = f"{len(items)} events" if isinstance(items, list) else json_type(items)
        problem = f"events: must be an array of 1 to {MAX_BATCH} events, got {got}"
        raise InvalidEvent(f"invalid batch: {problem}", [problem])
    events: list[InboundEvent] = []
    errors: list[str] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append(f"events[{index}]: must be a JSON object, got {json_type(item)}")
            continue
        try:
            events.append(parse_generic(item))
        except InvalidEvent as error:
            errors.extend(f"events[{index}].{problem}" for problem in error.errors)
    if errors:
        raise InvalidEvent(f"invalid batch: {'; '.join(errors[:20])}", errors)
    return events
