"""Twilio's webhooks (CONTRACT section 5): inbound texts, page-call TwiML and key presses, status callbacks.

Every request must carry a valid X-Twilio-Signature over KLAXON_PUBLIC_URL + path + query (the URL
Twilio called, even behind a proxy that rewrites host and path), else 403 and nothing changes. With
no auth token configured nothing can be verified, so every request is refused (fail closed).
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from werkzeug.datastructures import MultiDict

from app.phone.page_calls import NOT_REGISTERED, far_end_number, open_call, press_key
from app.phone.provider_status import apply_status_callback
from app.phone.sms_replies import reply_to_sms
from app.platform.clock import utc_now
from app.platform.errors import BadRequest, Forbidden
from app.web.api_docs import documented
from app.web.api_models import TwilioCall, TwilioSms, TwilioStatus
from app.web.context import db, runtime
from integrations.twilio import (
    SIGNATURE_HEADER,
    StatusCallbackError,
    TwilioSignatureError,
    empty_twiml,
    parse_status_callback,
    public_request_url,
    sms_reply_twiml,
    url_with_params,
    verify_twilio_request,
    voice_invalid_digit_twiml,
    voice_machine_twiml,
    voice_page_twiml,
    voice_result_twiml,
)

log = logging.getLogger(__name__)

bp = Blueprint("twilio", __name__, url_prefix="/twilio")


def _signed_form() -> MultiDict[str, str]:
    """The POST form, once the signature shows it comes from Twilio; Forbidden otherwise."""
    settings = runtime().settings
    url = public_request_url(settings.public_url, request.path, request.query_string)
    try:
        verify_twilio_request(settings.twilio_auth_token or "", url, request.form, request.headers.get(SIGNATURE_HEADER))
    except TwilioSignatureError as error:
        log.warning("refused unsigned Twilio request to %s: %s", request.path, error)
        raise Forbidden(str(error)) from error
    return request.form


def _twiml(xml: str) -> Response:
    return Response(xml, status=200, mimetype="text/xml")


@bp.post("/sms")
@documented(form=TwilioSms, bearer=False, errors=(400, 403), tag="twilio")
def inbound_sms() -> Response:
    """An inbound text: act on it and answer with a TwiML message (nothing at all for unknown numbers)."""
    form = _signed_form()
    session = db()
    text = reply_to_sms(session, phone=form.get("From", ""), body=form.get("Body", ""), now=utc_now())
    session.commit()
    return _twiml(empty_twiml() if text is None else sms_reply_twiml(text))


@bp.post("/voice")
@documented(form=TwilioCall, bearer=False, errors=(400, 403), tag="twilio")
def voice() -> Response:
    """A page call: the page read out (or a message for a machine); with `gather=1`, the key pressed."""
    form = _signed_form()
    incident_id = _incident_id_arg()
    session = db()
    phone, call_sid = far_end_number(form), form.get("CallSid", "")
    if request.args.get("gather"):
        if incident_id is None:
            raise BadRequest("a key press needs ?incident_id=N on the action URL")
        result = press_key(session, incident_id=incident_id, digits=form.get("Digits", ""), call_sid=call_sid,
                           phone=phone, now=utc_now())
        session.commit()
        if not result.valid:
            return _twiml(voice_invalid_digit_twiml(_gather_url(incident_id), form.get("Digits", "")))
        return _twiml(voice_result_twiml(result.message))
    opening = open_call(session, incident_id=incident_id, call_sid=call_sid, phone=phone,
                        answered_by=form.get("AnsweredBy"), public_url=runtime().settings.public_url,
                        now=utc_now())
    session.commit()
    if opening.page is None:
        return _twiml(voice_result_twiml(NOT_REGISTERED))
    if opening.machine:
        return _twiml(voice_machine_twiml(opening.page))
    return _twiml(voice_page_twiml(opening.page, _gather_url(opening.page.incident_id)))


@bp.post("/status")
@documented(form=TwilioStatus, bearer=False, errors=(400, 403), tag="twilio")
def status() -> Response:
    """A message or call status callback: move the notification forward (200 even for unknown SIDs)."""
    form = _signed_form()
    try:
        update = parse_status_callback(form)
    except StatusCallbackError as error:
        raise BadRequest(str(error)) from error
    session = db()
    apply_status_callback(session, update=update, now=utc_now())
    session.commit()
    return Response("", status=200, mimetype="text/plain")


def _incident_id_arg() -> int | None:
    """`?incident_id=N` as an int; None when absent (a call to our number), 400 when malformed."""
    text = request.args.get("incident_id")
    if text is None:
        return None
    if not text.isdigit() or len(text) > 12:
        raise BadRequest(f"incident_id must be a number, not {text!r}")
    return int(text)


def _gather_url(incident_id: int) -> str:
    """Where Twilio posts the key pressed: this endpoint, with the incident and `gather=1` (signed too)."""
    base = runtime().settings.public_url.rstrip("/") + "/twilio/voice"
    return url_with_params(base, incident_id=incident_id, gather=1)
