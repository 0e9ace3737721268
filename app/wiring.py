"""Where the parts are plugged together, explicitly: every process builds its Runtime here.

The core knows no channel. Here each channel gets its Notifier (the real provider when its
credentials are set, else the console outbox), Slack subscribes to incident changes, and SMS gets its
policy (bundling, per-phone limits) as the outbox's send hook: never as an import side effect.
"""

from __future__ import annotations

from app.outbox.console_outbox import ConsoleNotifier
from app.phone import sms_policy
from app.platform.queueing import CHANNELS
from app.platform.runtime import Runtime
from app.platform.settings import Settings
from app.slack import sync as slack_sync
from integrations.notifier import Notifier


def build_runtime(settings: Settings) -> Runtime:
    """The process's Runtime, with every channel plugged in (the app factory, the worker, the CLI)."""
    connect_channels()
    return Runtime.from_settings(settings, build_notifiers)


def connect_channels() -> None:
    """Subscribe each channel to what it follows (idempotent: once per process however often called)."""
    slack_sync.register()  # Slack messages and threads follow every incident change
    sms_policy.register()  # every claimed SMS goes through bundling and the per-phone limits


def build_notifiers(settings: Settings) -> dict[str, Notifier]:
    """One Notifier per channel (slack, sms, voice, email)."""
    notifiers: dict[str, Notifier] = {channel: ConsoleNotifier(channel) for channel in CHANNELS}
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
    if settings.smtp_url:
        from integrations.email import EmailNotifier, parse_smtp_url

        notifiers["email"] = EmailNotifier(parse_smtp_url(settings.smtp_url))
    return notifiers

