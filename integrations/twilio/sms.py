"""Page SMS: the text (one or two GSM-7 segments, reply code always kept) and the Twilio sender."""

from __future__ import annotations

import re
from typing import Any

from integrations.notifier import DeliveryReceipt, Page, Recipient
from integrations.twilio.errors import call_twilio, require_phone
from integrations.twilio.gsm7 import (
    ELLIPSIS,
    MAX_SEGMENTS,
    MULTI_SEGMENT_SEPTETS,
    fits,
    largest_fitting,
    septets,
    shorten,
    to_gsm7,
)

# Long enough to recognise a service, short enough to leave the title most of the room.
SERVICE_NAME_SEPTETS = 30
# Upper bound for the title allowance search; a title longer than any SMS needs no finer search.
_TITLE_CEILING = 400


def reply_code(incident_id: int) -> str:
    """The reply instructions every page SMS carries (CONTRACT section 5)."""
    return f"Reply ACK {incident_id}, RES {incident_id} or ESC {incident_id}"


def _clean(text: str) -> str:
    """GSM-7 only, on one line, single spaces: titles come from monitoring tools and contain anything."""
    return re.sub(r"\s+", " ", to_gsm7(text)).strip()


def _service(page: Page) -> str:
    return shorten(_clean(page.service_name or page.service_id), SERVICE_NAME_SEPTETS)


def _severity(page: Page) -> str:
    return _clean(page.severity).upper() or "SEV?"


def _title(page: Page) -> str:
    # The page ends with ". Reply ...", so trailing punctuation of the title would double up. A responder
    # request's message leads: it says why this person is asked; cut with the title, the reply code survives.
    title = _clean(page.title).rstrip(" .") or "(no title)"
    return f"{_clean(page.message).rstrip(' .')}. {title}" if page.message else title


def sms_body(page: Page) -> str:
    """The text of one page: `[SEV1] Checkout API: <title>. Reply ACK 12, RES 12 or ESC 12`.

    The title is cut first, so the reply code always survives; the result fits two GSM-7 segments.
    A notice (not a page) is its own text, cut to the same two segments, with no reply code.
    """
    if page.notice:
        return shorten(_clean(page.notice), MAX_SEGMENTS * MULTI_SEGMENT_SEPTETS)
    head = f"[{_severity(page)}] {_service(page)}: "
    code = reply_code(page.incident_id)
    title = _title(page)

    def build(limit: int) -> str:
        cut = shorten(title, limit)
        # "...down... Reply" reads better than "...down.... Reply".
        return head + cut + (" " if cut.endswith(ELLIPSIS) else ". ") + code

    limit = largest_fitting(build, septets(title))
    if limit < 0:  # cannot happen with the caps above; keep the reply code whatever it costs
        return shorten(head, 20) + " " + code
    return build(limit)


def _bundle_item(page: Page, limit: int) -> str:
    """`#12 SEV1 Checkout API: title`, the service and title cut to `limit` septets (0 drops them)."""
    label = f"#{page.incident_id} {_severity(page)}"
    about = shorten(f"{_service(page)}: {_title(page)}", limit)
    return f"{label} {about}" if about else label


def _severity_order(page: Page) -> tuple[int, int]:
    # SEV1 first (the most urgent pages are listed, and kept, first); unknown words after SEV4.
    match = re.fullmatch(r"SEV(\d)", _severity(page))
    return (int(match.group(1)) if match else 9, page.incident_id)


def bundle_sms_body(pages: list[Page]) -> str:
    """One SMS for several pages to the same phone: count, each page shortened, how to reply.

    Fits two GSM-7 segments. Titles shrink first; when even bare ids do not fit, the least urgent
    pages are summarised as `+N more` (the count in the first line still tells the total).
    """
    if not pages:
        raise ValueError("bundle_sms_body needs at least one page")
    unique = {page.incident_id: page for page in pages}
    ordered = sorted(unique.values(), key=_severity_order)
    if len(ordered) == 1:
        return sms_body(ordered[0])
    first = ordered[0].incident_id
    head = f"Klaxon: {len(ordered)} open pages"
    tail = f"{reply_code(first)} (any # above)"

    def build_with(count: int, limit: int) -> str:
        lines = [head] + [_bundle_item(page, limit) for page in ordered[:count]]
        if count < len(ordered):
            lines.append(f"+{len(ordered) - count} more")
        return "\n".join(lines + [tail])

    count = len(ordered)
    while count > 1 and not fits(build_with(count, 0)):
        count -= 1
    limit = largest_fitting(lambda n: build_with(count, n), _TITLE_CEILING)
    return build_with(count, max(limit, 0))


class TwilioSmsNotifier:
    """Sends page SMS through Twilio `messages.create` (Notifier for channel "sms")."""

    channel = "sms"
    provider = "twilio"

    def __init__(self, client: Any, from_number: str, *, status_callback_url: str) -> None:
        """`client` is a twilio.rest.Client (see make_twilio_client); callbacks go to our /twilio/status."""
        self._client = client
        self._from = from_number
        self._status_callback_url = status_callback_url

    def send(self, page: Page, recipient: Recipient) -> DeliveryReceipt:
        """Send `sms_body(page)` to the recipient's phone, or raise a DeliveryError subclass."""
        return self.send_text(require_phone(recipient), sms_body(page))

    def send_bundle(self, pages: list[Page], recipient: Recipient) -> DeliveryReceipt:
        """Send several pages to one phone as one SMS (`bundle_sms_body`)."""
        return self.send_text(require_phone(recipient), bundle_sms_body(pages))

    def send_text(self, phone: str, body: str) -> DeliveryReceipt:
        """Send any text (already short) to `phone` with our status callback."""
        message = call_twilio(
            self._client,
            lambda: self._client.messages.create(
                to=phone, from_=self._from, body=body, status_callback=self._status_callback_url
            ),
        )
        return DeliveryReceipt(provider_id=message.sid, status="sent", detail=f"twilio: {message.status}")
