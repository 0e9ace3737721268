"""Twilio SMS and voice: outbound pages, inbound webhooks (replies, key presses, status callbacks).

Framework-free: functions take plain headers, form mappings and URLs, and return strings (TwiML) or
small value objects. Every REST call goes to TWILIO_API_URL through `make_twilio_client`.
"""

from integrations.twilio.client import RoutedHttpClient, make_twilio_client
from integrations.twilio.errors import call_twilio, delivery_error, describe_error_code
from integrations.twilio.replies import SmsReply, SmsReplyError, digit_action, parse_sms_reply
from integrations.twilio.signature import (
    SIGNATURE_HEADER,
    TwilioSignatureError,
    public_request_url,
    verify_twilio_request,
)
from integrations.twilio.sms import TwilioSmsNotifier, bundle_sms_body, reply_code, sms_body
from integrations.twilio.status import (
    StatusCallbackError,
    StatusUpdate,
    advances,
    answered_by_machine,
    is_failure,
    is_final,
    parse_status_callback,
    status_rank,
)
from integrations.twilio.twiml import (
    empty_twiml,
    sms_reply_twiml,
    voice_invalid_digit_twiml,
    voice_machine_twiml,
    voice_page_twiml,
    voice_result_twiml,
)
from integrations.twilio.voice import TwilioVoiceNotifier, url_with_params, voice_url_for

__all__ = [
    "SIGNATURE_HEADER",
    "RoutedHttpClient",
    "SmsReply",
    "SmsReplyError",
    "StatusCallbackError",
    "StatusUpdate",
    "TwilioSignatureError",
    "TwilioSmsNotifier",
    "TwilioVoiceNotifier",
    "advances",
    "answered_by_machine",
    "bundle_sms_body",
    "call_twilio",
    "delivery_error",
    "describe_error_code",
    "digit_action",
    "empty_twiml",
    "is_failure",
    "is_final",
    "make_twilio_client",
    "parse_sms_reply",
    "parse_status_callback",
    "public_request_url",
    "reply_code",
    "sms_body",
    "sms_reply_twiml",
    "status_rank",
    "url_with_params",
    "verify_twilio_request",
    "voice_invalid_digit_twiml",
    "voice_machine_twiml",
    "voice_page_twiml",
    "voice_result_twiml",
    "voice_url_for",
]
