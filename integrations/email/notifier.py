"""Pages and notices by email: the message, and the Notifier that hands it to an SMTP server.

Failure rule, as for the other channels: no answer, a dropped connection and 4xx replies are transient
(retry on our queue); 5xx replies (550 no such mailbox, 535 bad login) and a refused certificate are
permanent (fall through to the next channel). `code` is the SMTP reply code as a string.
"""

from __future__ import annotations

import smtplib
import ssl
from datetime import datetime, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from integrations.email.smtp_url import SmtpSettings, TlsMode, is_email_address
from integrations.notifier import (
    DeliveryError,
    DeliveryReceipt,
    Page,
    PermanentDeliveryError,
    Recipient,
    TransientDeliveryError,
)

SENDER_NAME = "Klaxon"
# Mail clients cut long subjects anyway; the body has the whole title.
_SUBJECT_TITLE_MAX = 160


def _one_line(text: str) -> str:
    """Titles come from monitoring tools: a newline in a header would be refused (or worse, injected)."""
    return " ".join(text.split())


def email_subject(page: Page) -> str:
    """`[SEV1] Checkout API: <title> (incident 12)`, or `Klaxon: incident 12 (<title>)` for a notice."""
    title = _one_line(page.title) or "(no title)"
    if len(title) > _SUBJECT_TITLE_MAX:
        title = title[: _SUBJECT_TITLE_MAX - 1].rstrip() + "…"
    if page.notice:
        return f"Klaxon: incident {page.incident_id} ({title})"
    service = _one_line(page.service_name or page.service_id)
    return f"[{_one_line(page.severity)}] {service}: {title} (incident {page.incident_id})"


def incident_url(page: Page) -> str | None:
    """The incident's page in the UI, or None when KLAXON_PUBLIC_URL is not set."""
    return f"{page.public_url.rstrip('/')}/incidents/{page.incident_id}" if page.public_url else None


def email_body(page: Page) -> str:
    """The plain-text body: the console outbox's wording, one fact a line, and the link to the incident."""
    url = incident_url(page)
    link = [f"Open the incident: {url}"] if url else []
    if page.notice:
        return "\n\n".join([page.notice, *link]) + "\n"
    reason = f" ({page.severity_reason})" if page.severity_reason else ""
    service = page.service_name or page.service_id
    lines = [*([page.message, ""] if page.message else []),  # a responder request says why first
        f"[{page.severity}] {service}: {page.title} (incident {page.incident_id}, {page.status})",
        "",
        f"Severity: {page.severity}{reason}",
        f"Service: {service}" + (f" ({page.service_id})" if page.service_name else ""),
        f"Status: {page.status}",
        f"Opened: {page.created_at}",
        *([f"Paged as: {page.level_name}"] if page.level_name else []),
    ]
    for label, who in (("Acknowledged by", page.acknowledged_by), ("Resolved by", page.resolved_by),
                       ("Commander", page.commander)):
        if who:
            lines.append(f"{label}: {who}")
    for item in page.links:
        href = item.get("href") or item.get("url")
        if href:
            lines.append(f"Link: {item.get('text') or href} <{href}>")
    if link:
        lines += ["", *link]
    return "\n".join(lines) + "\n"


def require_email(recipient: Recipient) -> str:
    """The recipient's address, or a PermanentDeliveryError (no address: no email can work)."""
    if not recipient.email:
        raise PermanentDeliveryError(f"{recipient.user_id or '?'} has no email address")
    if not is_email_address(recipient.email):
        raise PermanentDeliveryError(f"email address {recipient.email!r} of {recipient.user_id or '?'} is not valid")
    return recipient.email


def build_message(page: Page, recipient: Recipient, *, sender: str, now: datetime) -> EmailMessage:
    """The email for one page to one recipient, with Date (`now`, aware) and a fresh Message-ID."""
    message = EmailMessage()
    message["From"] = Address(SENDER_NAME, addr_spec=sender)
    message["To"] = Address(_one_line(recipient.name), addr_spec=require_email(recipient))
    message["Subject"] = email_subject(page)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid("klaxon", domain=sender.rpartition("@")[2])  # not getfqdn(): no DNS
    # RFC 3834: out-of-office responders stay quiet instead of answering every page.
    message["Auto-Submitted"] = "auto-generated"
    body = email_body(page)
    # 8bit needs the relay's 8BITMIME; quoted-printable passes any relay.
    message.set_content(body, cte=None if body.isascii() else "quoted-printable")
    return message


class EmailNotifier:
    """Sends pages by SMTP through smtplib (Notifier for channel "email")."""

    channel = "email"
    provider = "smtp"

    def __init__(self, settings: SmtpSettings, timeout: float = 10.0, *,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        """`timeout` bounds the connect and each reply; `ssl_context` trusts a private CA (default: system CAs)."""
        self._settings = settings
        self._timeout = timeout
        self._ssl_context = ssl_context or ssl.create_default_context()

    def send(self, page: Page, recipient: Recipient) -> DeliveryReceipt:
        """Mail the page to the recipient's address, or raise a DeliveryError subclass."""
        to = require_email(recipient)
        message = build_message(page, recipient, sender=self._settings.from_address, now=datetime.now(timezone.utc))
        try:
            self._deliver(message, to)
        except OSError as exc:  # smtplib.SMTPException, ssl.SSLError and socket errors are all OSErrors
            server = f"{self._settings.host}:{self._settings.port}"
            raise delivery_error(exc, server=server, password=self._settings.password) from exc
        return DeliveryReceipt(provider_id=str(message["Message-ID"]), status="sent",
                               detail=f"smtp: accepted by {self._settings.host}")

    def _connect(self) -> smtplib.SMTP:
        s = self._settings
        if s.tls is TlsMode.IMPLICIT:
            return smtplib.SMTP_SSL(s.host, s.port, timeout=self._timeout, context=self._ssl_context)
        return smtplib.SMTP(s.host, s.port, timeout=self._timeout)

    def _deliver(self, message: EmailMessage, to: str) -> None:
        smtp = self._connect()
        try:
            smtp.ehlo_or_helo_if_needed()
            if self._settings.tls is TlsMode.REQUIRED or (
                    self._settings.tls is TlsMode.AUTO and smtp.has_extn("starttls")):
                # SMTPNotSupportedError when not offered. starttls() forgets the EHLO answer given in the
                # clear (RFC 3207), so login and send_message ask again over TLS.
                smtp.starttls(context=self._ssl_context)
            if self._settings.user is not None:
                smtp.login(self._settings.user, self._settings.password or "")
            smtp.send_message(message, from_addr=self._settings.from_address, to_addrs=[to])
        except BaseException:
            smtp.close()
            raise
        try:
            smtp.quit()
        except OSError:
            # The server took the message (250 after DATA): a failed goodbye must not become a retry,
            # which would page the person twice.
            smtp.close()


def delivery_error(exc: OSError, *, server: str, password: str | None = None) -> DeliveryError:
    """Map an smtplib or socket failure to a Transient or Permanent error, with the SMTP code and the
    server's words; `password` is masked should a server echo it (it must reach no timeline or log)."""
    kind, message, code = _classify(exc, server)
    if password:
        message = message.replace(password, "***")
    return kind(message, code=code)


_Kind = type[TransientDeliveryError] | type[PermanentDeliveryError]


def _classify(exc: OSError, server: str) -> tuple[_Kind, str, str | None]:
    """Which error, what to say and the SMTP code. Order matters: every SMTPException is an OSError."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        # One recipient per message, so "all refused" is that one recipient's reply.
        code, reply = next(iter(exc.recipients.values()), (0, b""))
        return _by_code(code), f"SMTP {code} from {server} refusing the recipient: {_text(reply)}", str(code)
    if isinstance(exc, smtplib.SMTPResponseException):
        code = exc.smtp_code
        about = " refusing the login (check the user and password in KLAXON_SMTP_URL)" if isinstance(
            exc, smtplib.SMTPAuthenticationError) else ""
        return _by_code(code), f"SMTP {code} from {server}{about}: {_text(exc.smtp_error)}", str(code)
    if isinstance(exc, ssl.SSLCertVerificationError):
        # The same certificate will be refused on every retry: someone must fix the server or the CA.
        return PermanentDeliveryError, f"TLS certificate of {server} not trusted: {exc}", None
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return PermanentDeliveryError, f"SMTP server {server} lacks what KLAXON_SMTP_URL asks for: {exc}", None
    if isinstance(exc, smtplib.SMTPServerDisconnected) or not isinstance(exc, smtplib.SMTPException):
        return TransientDeliveryError, f"cannot reach SMTP server {server}: {exc or type(exc).__name__}", None
    # No AUTH mechanism in common and the like: the same next time.
    return PermanentDeliveryError, f"SMTP server {server}: {exc}", None


def _by_code(code: int) -> _Kind:
    """5xx: the server will say the same next time. 4xx (greylisting, try later) and anything odd: retry,
    the safer guess for a page."""
    return PermanentDeliveryError if 500 <= code <= 599 else TransientDeliveryError


def _text(reply: bytes | str) -> str:
    return _one_line(reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply)
