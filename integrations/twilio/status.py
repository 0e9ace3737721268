"""Twilio status callbacks (/twilio/status) for page SMS and page calls, normalised.

Twilio sends callbacks concurrently and they can arrive out of order (`sent` after `delivered`),
so every status has a rank and a notification only ever moves to a higher one (`advances`). The
first terminal status wins: delivered, undelivered and failed share the top rank, as do completed,
busy, no-answer, failed and canceled for calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

# Twilio's own words -> ours. SMS: queued/accepted/scheduled/sending are all "not yet on the network".
_SMS_STATUSES = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "queued",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",  # read receipts (WhatsApp/RCS) imply delivery
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "canceled",
}
# Calls: ringing means the network reached the phone, which is what "sent" means for an SMS.
_CALL_STATUSES = {
    "queued": "queued",
    "initiated": "queued",
    "ringing": "sent",
    "in-progress": "answered",
    "answered": "answered",
    "completed": "completed",
    "busy": "busy",
    "no-answer": "no-answer",
    "failed": "failed",
    "canceled": "canceled",
}

_RANKS = {
    "queued": 0,
    "sent": 1,
    "answered": 2,
    "delivered": 3,
    "undelivered": 3,
    "failed": 3,
    "completed": 3,
    "busy": 3,
    "no-answer": 3,
    "canceled": 3,
}
FINAL_RANK = 3
FAILED_STATUSES = frozenset({"undelivered", "failed", "busy", "no-answer", "canceled"})


class StatusCallbackError(ValueError):
    """The form is not a message or call status callback we understand."""


@dataclass(frozen=True)
class StatusUpdate:
    """One status callback: which SMS or call (`provider_id` = Twilio SID), and its normalised status."""

    provider_id: str
    kind: str  # sms | voice
    status: str  # queued sent delivered undelivered failed answered no-answer busy completed canceled
    error_code: str | None = None
    answered_by: str | None = None  # human, machine_start, machine_end_beep, fax, unknown (calls only)
    raw_status: str = ""  # Twilio's own word, for the timeline


def parse_status_callback(form: Mapping[str, str]) -> StatusUpdate:
    """Read a Twilio status callback form (MessageSid/MessageStatus or CallSid/CallStatus)."""
    raw_sms = form.get("MessageStatus") or form.get("SmsStatus")
    raw_call = form.get("CallStatus")
    if raw_sms:
        kind, raw, sid, table = "sms", raw_sms, form.get("MessageSid") or form.get("SmsSid"), _SMS_STATUSES
    elif raw_call:
        kind, raw, sid, table = "voice", raw_call, form.get("CallSid"), _CALL_STATUSES
    else:
        raise StatusCallbackError("not a status callback: no MessageStatus or CallStatus field")
    if not sid:
        raise StatusCallbackError(f"{kind} status callback without a MessageSid/CallSid")
    status = table.get(raw.strip().lower())
    if status is None:
        raise StatusCallbackError(f"unknown {kind} status {raw!r} for {sid}")
    return StatusUpdate(
        provider_id=sid,
        kind=kind,
        status=status,
        error_code=(form.get("ErrorCode") or "").strip() or None,
        answered_by=(form.get("AnsweredBy") or "").strip() or None,
        raw_status=raw,
    )


def answered_by_machine(answered_by: str | None) -> bool:
    """True for voicemail and fax. `unknown` (detection could not tell) counts as a person answering."""
    return bool(answered_by) and (answered_by == "fax" or str(answered_by).startswith("machine"))


def is_failure(update: StatusUpdate) -> bool:
    """True when the page did not reach a person: undelivered, failed, busy, no answer, or voicemail."""
    if update.status in FAILED_STATUSES:
        return True
    return update.kind == "voice" and update.status == "completed" and answered_by_machine(update.answered_by)


def status_rank(status: str | None) -> int:
    """Order of statuses; -1 for ours that precede any callback (pending, sending) or unknown ones."""
    return _RANKS.get(status or "", -1)


def advances(current: str | None, new: str) -> bool:
    """True when a callback saying `new` should replace `current` (never move a notification back)."""
    return status_rank(new) > status_rank(current)


def is_final(status: str) -> bool:
    """True when no later callback may change `status`."""
    return status_rank(status) >= FINAL_RANK
