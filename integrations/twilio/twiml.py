"""TwiML answers for Twilio's webhooks: page calls (read out, press a key) and SMS replies.

Built with twilio-python's VoiceResponse / MessagingResponse so the XML is always well formed and
escaped, whatever an alert title contains.
"""

from __future__ import annotations

import re

from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from integrations.notifier import Page

KEY_INSTRUCTIONS = "Press 4 to acknowledge, 6 to resolve, or 5 to escalate."
# Seconds Twilio waits for a key after the prompt ends; short, since the prompt is read twice.
GATHER_TIMEOUT_SECONDS = 6
# Text-to-speech of a 2 KB title would keep the person on the phone for minutes.
SPOKEN_TITLE_CHARS = 300
MACHINE_TITLE_CHARS = 120


def _cut(text: str, limit: int) -> str:
    """At most `limit` characters, ending on a whole word (speech of half a word is noise)."""
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[:limit]
    return cut.rsplit(" ", 1)[0] if " " in cut else cut


def spoken_severity(severity: str) -> str:
    """`SEV1` -> `Severity 1`: text-to-speech spells SEV out letter by letter."""
    match = re.fullmatch(r"(?i)sev\s*(\d)", severity.strip())
    return f"Severity {match.group(1)}" if match else severity


def page_speech(page: Page, title_chars: int = SPOKEN_TITLE_CHARS) -> str:
    """What a page call says before the key instructions."""
    service = page.service_name or page.service_id
    title = _cut(page.title, title_chars).rstrip(".") or "no title"
    asked = f"{_cut(page.message, title_chars).rstrip('.')}. " if page.message else ""
    return f"{asked}{spoken_severity(page.severity)} incident {page.incident_id}, on {service}. {title}."


def _gather(response: VoiceResponse, action_url: str, text: str) -> None:
    # DTMF only: speech recognition would turn background noise on a call into actions.
    gather = response.gather(
        input="dtmf", num_digits=1, action=action_url, method="POST", timeout=GATHER_TIMEOUT_SECONDS
    )
    gather.say(text)


def voice_page_twiml(page: Page, action_url: str) -> str:
    """Read the page and wait for one key (4 ack, 6 resolve, 5 escalate); once more; then goodbye."""
    response = VoiceResponse()
    speech = page_speech(page)
    # No key falls through a <Gather> to the next verb: the second one repeats the page once.
    _gather(response, action_url, f"This is Klaxon. {speech} {KEY_INSTRUCTIONS}")
    _gather(response, action_url, f"Again: {speech} {KEY_INSTRUCTIONS}")
    response.say("No key was pressed. The page stays open. Goodbye.")
    response.hangup()
    return str(response)


def voice_machine_twiml(page: Page) -> str:
    """For an answering machine: a short message without keys (nobody can press one on a recording)."""
    response = VoiceResponse()
    speech = page_speech(page, MACHINE_TITLE_CHARS)
    response.say(f"This is Klaxon with a page for you. {speech} Check Slack or your text messages to respond.")
    response.hangup()
    return str(response)


def voice_result_twiml(message: str) -> str:
    """Confirm what a key press did (`Incident 12 acknowledged.`), then hang up."""
    response = VoiceResponse()
    response.say(message)
    response.say("Goodbye.")
    response.hangup()
    return str(response)


def voice_invalid_digit_twiml(action_url: str, digits: str = "") -> str:
    """Say the key is not an option, and ask once more."""
    response = VoiceResponse()
    pressed = f"{' '.join(digits)} is" if digits else "that key is"
    _gather(response, action_url, f"Sorry, {pressed} not an option. {KEY_INSTRUCTIONS}")
    response.say("No key was pressed. The page stays open. Goodbye.")
    response.hangup()
    return str(response)


def sms_reply_twiml(text: str) -> str:
    """Answer an inbound SMS with one message."""
    response = MessagingResponse()
    response.message(text)
    return str(response)


def empty_twiml() -> str:
    """An empty <Response/>: Twilio sends nothing back (unknown numbers, opt-out keywords)."""
    return str(MessagingResponse())
