"""Inbound alert parsers: plain JSON-decoded bodies in, one normalised InboundEvent out.

`parse_pagerduty` also returns the routing key (the key is in the body); the webhook parsers get
their key from the URL, and `WEBHOOK_PARSERS` maps the URL's kind (`/integrations/<kind>/<key>`)
to its parser. Every parser raises InvalidEvent, whose `errors` name each bad field.
"""

from __future__ import annotations

from collections.abc import Callable

from integrations.inbound.alertmanager import parse_alertmanager
from integrations.inbound.event import InboundEvent, InvalidEvent
from integrations.inbound.generic import parse_generic, parse_generic_batch
from integrations.inbound.grafana import parse_grafana
from integrations.inbound.pagerduty import parse_pagerduty

WEBHOOK_PARSERS: dict[str, Callable[[object], InboundEvent]] = {
    "alertmanager": parse_alertmanager,
    "grafana": parse_grafana,
    "generic": parse_generic,
}

__all__ = [
    "InboundEvent",
    "InvalidEvent",
    "WEBHOOK_PARSERS",
    "parse_alertmanager",
    "parse_generic",
    "parse_generic_batch",
    "parse_grafana",
    "parse_pagerduty",
]
