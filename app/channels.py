"""Which Notifier serves each channel: the real provider when its credentials are set, else the console."""

from __future__ import annotations

from typing import Any

from app.console_outbox import ConsoleNotifier
from app.settings import Settings


def build_notifiers(settings: Settings) -> dict[str, Any]:
    """One Notifier per channel (slack, sms, voice)."""
    notifiers: dict[str, Any] = {channel: ConsoleNotifier(channel) for channel in ("slack", "sms", "voice")}
    if settings.slack_configured:
        from integrations.slack import SlackNotifier

        notifiers["slack"] = SlackNotifier(settings.slack_bot_token or "", settings.slack_api_url)
    if settings.twilio_configured:
        from integrations.twilio import TwilioSmsNotifier, TwilioVoiceNotifier, make_twilio_client

        client = make_twilio_client(
            settings.twilio_account_sid or "", settings.twilio_auth_token or "", settings.twilio_api_url
        )
        status_url = f"{settings.public_url}/twilio/status"
        notifiers["sms"] = TwilioSmsNotifier(client, settings.twilio_from_number or "", status_callback_url=status_url)
        notifiers["voice"] = TwilioVoiceNotifier(
            client, settings.twilio_from_number or "",
            voice_url=f"{settings.public_url}/twilio/voice", status_callback_url=status_url,
        )
    return notifiers


def provider_name(notifier: Any) -> str:
    """`console`, `slack` or `twilio`, for the notification row."""
    return str(getattr(notifier, "provider", None) or ("slack" if notifier.channel == "slack" else "twilio"))
