"""Email: pages and notices mailed through an SMTP server (KLAXON_SMTP_URL) with the standard library.

Framework-free like the other integrations: `parse_smtp_url` reads the setting into `SmtpSettings`,
`EmailNotifier` is the Notifier for channel "email" (provider "smtp").
"""

from integrations.email.notifier import (
    EmailNotifier,
    build_message,
    delivery_error,
    email_body,
    email_subject,
    require_email,
)
from integrations.email.smtp_url import SmtpSettings, TlsMode, is_email_address, parse_smtp_url

__all__ = [
    "EmailNotifier",
    "SmtpSettings",
    "TlsMode",
    "build_message",
    "delivery_error",
    "email_body",
    "email_subject",
    "is_email_address",
    "parse_smtp_url",
    "require_email",
]
