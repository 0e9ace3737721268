"""What a person can text back to a page (CONTRACT section 5), and what a key press on a call means.

Accepted: `ACK 12`, `RES 12`, `ESC 12` (also the words ACKNOWLEDGE / RESOLVE / ESCALATE, and the
digits 4 / 6 / 5 used on calls), any case, extra spaces, `#12`, a trailing full stop. Without a
number the action is for the latest page sent to that phone (`incident_id` None). Carrier opt-out
and opt-in keywords are recognised so the app can record them: Twilio itself blocks further SMS to
a number that sent STOP (error 21610) until it sends START.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Twilio's default opt-out / opt-in keywords for long codes (whole message, case-insensitive).
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})

ACTION_WORDS = {
    "ACK": "acknowledge",
    "ACKNOWLEDGE": "acknowledge",
    "4": "acknowledge",
    "RES": "resolve",
    "RESOLVE": "resolve",
    "6": "resolve",
    "ESC": "escalate",
    "ESCALATE": "escalate",
    "5": "escalate",
}
DIGIT_ACTIONS = {"4": "acknowledge", "6": "resolve", "5": "escalate"}

HELP_TEXT = (
    "Reply ACK 12, RES 12 or ESC 12 (or 4 12, 6 12, 5 12) with the incident number from the page; "
    "without a number it applies to your latest page."
)

_WORD_THEN_ID = re.compile(r"^(?P<word>[A-Z]+)\s*#?\s*(?P<id>\d+)$")  # "ACK 12", "ACK12", "ack #12"
_DIGIT_THEN_ID = re.compile(r"^(?P<word>[456])\s+#?\s*(?P<id>\d+)$")  # "4 12" (a space is required)
_MAX_ID_DIGITS = 12


class SmsReplyError(ValueError):
    """The reply is not one we understand; the message says what is accepted (send it back)."""


@dataclass(frozen=True)
class SmsReply:
    """A parsed SMS reply: `action` acknowledge / resolve / escalate / stop / start."""

    action: str | None
    incident_id: int | None = None


def _normalise(body: str) -> str:
    # Phones add trailing punctuation and auto-capitalise; neither changes the meaning.
    return re.sub(r"\s+", " ", body).strip().rstrip(".!").strip().upper()


def _incident_id(text: str, original: str) -> int:
    if len(text) > _MAX_ID_DIGITS or int(text) <= 0:
        raise SmsReplyError(f'"{original.strip()}": {text} is not an incident number. {HELP_TEXT}')
    return int(text)


def parse_sms_reply(body: str) -> SmsReply:
    """Parse one inbound SMS body into an SmsReply, or raise SmsReplyError listing the accepted forms."""
    text = _normalise(body)
    if not text:
        raise SmsReplyError(f"Empty reply. {HELP_TEXT}")
    if text in STOP_WORDS:
        return SmsReply(action="stop")
    if text in START_WORDS:
        return SmsReply(action="start")
    if text in ACTION_WORDS:
        return SmsReply(action=ACTION_WORDS[text])
    match = _DIGIT_THEN_ID.match(text) or _WORD_THEN_ID.match(text)
    if match and match.group("word") in ACTION_WORDS:
        return SmsReply(
            action=ACTION_WORDS[match.group("word")], incident_id=_incident_id(match.group("id"), body)
        )
    raise SmsReplyError(f'Sorry, "{_preview(body)}" is not a command. {HELP_TEXT}')


def _preview(body: str) -> str:
    # The error goes back by SMS: quote a little of what was sent, not a whole paragraph.
    body = re.sub(r"\s+", " ", body).strip()
    return body if len(body) <= 20 else body[:17] + "..."


def digit_action(digits: str) -> str | None:
    """The action for a key pressed during a page call: 4 acknowledge, 6 resolve, 5 escalate."""
    return DIGIT_ACTIONS.get(digits.strip())
