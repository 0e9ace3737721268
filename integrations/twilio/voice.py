"""Page calls through Twilio `calls.create`: Twilio then fetches our TwiML (see twiml.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from integrations.notifier import DeliveryReceipt, Page, PermanentDeliveryError, Recipient
from integrations.twilio.errors import call_twilio, require_phone

# Every step of the call comes back to /twilio/status, so "no-answer" and "busy" are seen at once.
STATUS_CALLBACK_EVENTS = ("initiated", "ringing", "answered", "completed")
# "Enable" returns AnsweredBy as soon as Twilio knows (human / machine_start / fax / unknown), so the
# voice webhook can give a machine a short message instead of a prompt nobody will answer.
MACHINE_DETECTION = "Enable"
# Voicemail usually picks up after ~25 s; ringing longer only delays the fall-through to the next level.
RING_TIMEOUT_SECONDS = 30


def url_with_params(url: str, **params: object) -> str:
    """`url` with query parameters added (or replaced), keeping those already there."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update({key: str(value) for key, value in params.items()})
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def voice_url_for(voice_url: str, incident_id: int) -> str:
    """The TwiML URL for one page call: our /twilio/voice with `?incident_id=12`."""
    return url_with_params(voice_url, incident_id=incident_id)


class TwilioVoiceNotifier:
    """Places page calls through Twilio (Notifier for channel "voice")."""

    channel = "voice"
    provider = "twilio"

    def __init__(self, client: Any, from_number: str, *, voice_url: str, status_callback_url: str) -> None:
        """`voice_url` is our public /twilio/voice; `status_callback_url` our public /twilio/status."""
        self._client = client
        self._from = from_number
        self._voice_url = voice_url
        self._status_callback_url = status_callback_url

    def send(self, page: Page, recipient: Recipient) -> DeliveryReceipt:
        """Start a call to the recipient's phone, or raise a DeliveryError subclass."""
        if page.notice:
            raise PermanentDeliveryError("a notice is texted, never a phone call", code="notice_by_voice")
        phone = require_phone(recipient)
        call = call_twilio(
            self._client,
            lambda: self._client.calls.create(
                to=phone,
                from_=self._from,
                url=voice_url_for(self._voice_url, page.incident_id),
                method="POST",
                status_callback=self._status_callback_url,
                status_callback_method="POST",
                status_callback_event=list(STATUS_CALLBACK_EVENTS),
                machine_detection=MACHINE_DETECTION,
                timeout=RING_TIMEOUT_SECONDS,
            ),
        )
        return DeliveryReceipt(provider_id=call.sid, status="sent", detail=f"twilio: {call.status}")
