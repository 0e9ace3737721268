"""PagerDuty Events API v2 (`POST /v2/enqueue`): PagerDuty's own rules and error wording.

Each problem becomes one entry of `InvalidEvent.errors`, worded as PagerDuty words it
(`'payload.source' is missing or blank`, `Length of 'routing_key' is incorrect (should be 32
characters)`), so tools that log PagerDuty's answer log ours the same way. The HTTP layer answers
400 {"status": INVALID_EVENT_STATUS, "message": INVALID_EVENT_MESSAGE, "errors": exc.errors}.

Only a trigger is checked for `payload`: PagerDuty ignores the payload of acknowledge and resolve.
PagerDuty sends no labels; component, group, class, custom_details, images, client and client_url
go into `details`. The routing key is removed from `raw`: integration keys are stored hashed, so
the stored copy of the event must not hold one in clear.
"""

from __future__ import annotations

from datetime import datetime

from integrations.inbound.event import InboundEvent, InvalidEvent

INVALID_EVENT_STATUS = "invalid event"
INVALID_EVENT_MESSAGE = "Event object is invalid"
ROUTING_KEY_LENGTH = 32
ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")
MAX_SUMMARY = 1024
MAX_DEDUP_KEY = 255
REDACTED = "[redacted]"
_PAYLOAD_TEXT = ("component", "group", "class")


def parse_pagerduty(body: object) -> tuple[str, InboundEvent]:
    """Validate an Events API v2 alert event; return (routing_key, event) or raise InvalidEvent."""
    if not isinstance(body, dict):
        problem = "Event object format is unrecognized (the body must be a JSON object)"
        raise InvalidEvent(problem, [problem])
    errors: list[str] = []
    routing_key = _routing_key(body.get("routing_key"), errors)
    action = _action(body.get("event_action"), errors)
    dedup_key = _dedup_key(body.get("dedup_key"), action, errors)
    summary, severity, source, timestamp = "", None, None, None
    details: dict[str, object] = {}
    if action == "trigger":
        summary, severity, source, timestamp, details = _payload(body.get("payload"), errors)
    links = _links(body.get("links"), errors)
    details.update(_context(body, errors))
    client_link = _client_link(details)
    if errors:
        raise InvalidEvent(f"{INVALID_EVENT_MESSAGE}: {'; '.join(errors)}", errors)
    raw = dict(body)
    if "routing_key" in raw:
        raw["routing_key"] = REDACTED
    event = InboundEvent(
        action=str(action),
        summary=summary,
        severity=severity,
        source=source,
        dedup_key=dedup_key,
        details=details,
        links=links + client_link,
        occurred_at=timestamp,
        integration="pagerduty",
        raw=raw,
    )
    return str(routing_key), event


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _string(value: object, name: str, errors: list[str], *, required: bool) -> str | None:
    """A string field: None when absent; notes "missing or blank" (if required) or a wrong type."""
    if _blank(value):
        if required:
            errors.append(f"'{name}' is missing or blank")
        return None
    if not isinstance(value, str):
        errors.append(f"'{name}' must be a string")
        return None
    return value


def _routing_key(value: object, errors: list[str]) -> str | None:
    key = _string(value, "routing_key", errors, required=True)
    if key is not None and len(key) != ROUTING_KEY_LENGTH:
        errors.append("Length of 'routing_key' is incorrect (should be 32 characters)")
        return None
    return key


def _action(value: object, errors: list[str]) -> str | None:
    action = _string(value, "event_action", errors, required=True)
    if action is not None and action not in ACTIONS:
        errors.append(
            "'event_action' is invalid (must be one of the following: "
            "'trigger', 'acknowledge' or 'resolve')"
        )
        return None
    return action


def _dedup_key(value: object, action: str | None, errors: list[str]) -> str | None:
    """The dedup key; required to acknowledge or resolve, optional (None: generated) to trigger."""
    if _blank(value) and action in ("acknowledge", "resolve"):
        errors.append(f"'dedup_key' is missing or blank (required to {action})")
        return None
    key = _string(value, "dedup_key", errors, required=False)
    if key is not None and len(key) > MAX_DEDUP_KEY:
        errors.append(f"'dedup_key' is too long (maximum is {MAX_DEDUP_KEY} characters)")
        return None
    return key


def _payload(
    payload: object, errors: list[str]
) -> tuple[str, str | None, str | None, str | None, dict[str, object]]:
    """(summary, severity, source, timestamp, details) from a trigger's payload."""
    if payload is None:
        errors.append("'payload' is missing (required to trigger)")
        return "", None, None, None, {}
    if not isinstance(payload, dict):
        errors.append("'payload' must be an object")
        return "", None, None, None, {}
    summary = _string(payload.get("summary"), "payload.summary", errors, required=True)
    if summary is not None and len(summary) > MAX_SUMMARY:
        errors.append(f"'payload.summary' is too long (maximum is {MAX_SUMMARY} characters)")
    source = _string(payload.get("source"), "payload.source", errors, required=True)
    severity = _string(payload.get("severity"), "payload.severity", errors, required=True)
    if severity is not None and severity not in SEVERITIES:
        errors.append(
            "'payload.severity' is invalid (must be one of the following: "
            "'critical', 'error', 'warning' or 'info')"
        )
    timestamp = _timestamp(payload.get("timestamp"), errors)
    details: dict[str, object] = {}
    for name in _PAYLOAD_TEXT:
        text = _string(payload.get(name), f"payload.{name}", errors, required=False)
        if text is not None:
            details[name] = text
    if payload.get("custom_details") is not None:
        # Kept as sent: PagerDuty documents an object but accepts any JSON value here.
        details["custom_details"] = payload["custom_details"]
    return summary or "", severity, source, timestamp, details


def _timestamp(value: object, errors: list[str]) -> str | None:
    """The optional ISO 8601 timestamp, kept as given once it reads as one."""
    if _blank(value):
        return None
    if isinstance(value, str):
        try:
            datetime.fromisoformat(value)
            return value
        except ValueError:
            pass
    errors.append("'payload.timestamp' is invalid (must be an ISO 8601 date and time)")
    return None


def _links(value: object, errors: list[str]) -> tuple[dict[str, str], ...]:
    links: list[dict[str, str]] = []
    for index, item in enumerate(_objects(value, "links", errors)):
        href = _string(item.get("href"), f"links[{index}].href", errors, required=True)
        text = _string(item.get("text"), f"links[{index}].text", errors, required=False)
        if href is not None:
            links.append({"href": href, "text": text} if text else {"href": href})
    return tuple(links)


def _context(body: dict[str, object], errors: list[str]) -> dict[str, object]:
    """images, client and client_url, for details."""
    context: dict[str, object] = {}
    images: list[dict[str, str]] = []
    for index, item in enumerate(_objects(body.get("images"), "images", errors)):
        image = {"src": _string(item.get("src"), f"images[{index}].src", errors, required=True)}
        for name in ("href", "alt"):
            image[name] = _string(item.get(name), f"images[{index}].{name}", errors, required=False)
        images.append({name: text for name, text in image.items() if text is not None})
    if images:
        context["images"] = images
    for name in ("client", "client_url"):
        text = _string(body.get(name), name, errors, required=False)
        if text is not None:
            context[name] = text
    return context


def _client_link(details: dict[str, object]) -> tuple[dict[str, str], ...]:
    """PagerDuty shows client_url as a "View in <client>" link; so do we."""
    url, client = details.get("client_url"), details.get("client")
    if not isinstance(url, str):
        return ()
    return ({"href": url, "text": f"View in {client}" if isinstance(client, str) else url},)


def _objects(value: object, name: str, errors: list[str]) -> list[dict[str, object]]:
    """The objects of an optional array field (links, images); notes every other element."""
    if value is None:
        return []
    if not isinstance(value, list):
        errors.append(f"'{name}' must be an array")
        return []
    objects: list[dict[str, object]] = []
    for index, item in enumerate(value):
        if isinstance(item, dict):
            objects.append(item)
        else:
            errors.append(f"'{name}[{index}]' must be an object")
    return objects
