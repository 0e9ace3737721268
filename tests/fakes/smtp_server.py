"""A local stand-in for an SMTP relay (RFC 5321), on aiosmtpd.

It refuses what a relay refuses, with a relay's reply codes: a MAIL FROM or RCPT TO that is not an address
(553 5.1.7 / 553 5.1.3); a message with a bare LF (550 5.5.2), raw 8-bit header bytes without SMTPUTF8
(550 5.6.7), or that does not parse, lacks or repeats From, To, Subject, Date or Message-ID, or has a Date
or Message-ID nobody can read (550 5.6.0). Stricter than a relay, so our own mistakes show: a To header
that differs from the envelope recipients is refused (550 5.7.1). With `user` and `password` it requires
AUTH (PLAIN or LOGIN, in the clear unless it offers STARTTLS): MAIL before AUTH gets 530 5.7.0, a wrong
login 535 5.7.8. With `tls="starttls"` or `tls="implicit"` and a certificate (`self_signed_certificate`)
it offers STARTTLS or speaks TLS from the first byte. `fail_next` answers the next MAIL, RCPT or DATA
with an error. Accepted messages are recorded, parsed as a mail client would, in `messages`.

    with FakeSmtpServer(user="klaxon", password="s3cret") as smtp:   # 127.0.0.1, free port, own thread
        notifier = EmailNotifier(parse_smtp_url(smtp.url(user="klaxon", password="s3cret")))
        smtp.fail_next(451, times=2)        # the next two RCPT: 451 4.3.0 ... try again later
        ...
        smtp.messages[0].message["Subject"]; smtp.messages[0].rcpt_tos
"""

from __future__ import annotations

import re
import socket
import ssl
import subprocess
import threading
from collections.abc import Awaitable
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"
# Independent of integrations.email's own check on purpose: a shared bug would hide itself.
_ADDRESS = re.compile(r"[^@\s<>()\[\],;:\"]+@(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[A-Za-z0-9:.]+\])")
_MESSAGE_ID = re.compile(r"<[^<>@\s]+@[^<>@\s]+>")
_REQUIRED = ("From", "To", "Subject", "Date", "Message-ID")
_REPLIES = {
    421: "4.3.2 Service not available, closing transmission channel",
    450: "4.2.1 Mailbox busy, try again later",
    451: "4.3.0 Local error in processing, try again later",
    452: "4.3.1 Insufficient system storage",
    550: "5.1.1 Mailbox unavailable",
    552: "5.3.4 Message size exceeds fixed limit",
    553: "5.1.3 Mailbox name not allowed",
    554: "5.7.1 Transaction failed",
}
Stage = Literal["MAIL", "RCPT", "DATA"]


@dataclass(frozen=True)
class ReceivedMessage:
    """One accepted message: the envelope, the message parsed as a mail client would, and how it came."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    tls: bool  # arrived over TLS (STARTTLS or implicit)
    login: str | None  # the AUTH user, None when the session did not log in


@dataclass
class _Failure:
    stage: Stage
    reply: str
    times: int


class FakeSmtpServer:
    """The stand-in relay; `messages` holds what it accepted, in order."""

    def __init__(self, *, user: str | None = None, password: str | None = None,
                 tls: Literal["starttls", "implicit"] | None = None,
                 certificate: tuple[Path, Path] | None = None) -> None:
        """`certificate` is (cert, key) PEM files, required with `tls`."""
        if tls and certificate is None:
            raise ValueError("tls needs a certificate: see self_signed_certificate()")
        self.user = user
        self.password = password
        self.tls = tls
        self._certificate = certificate
        self._messages: list[ReceivedMessage] = []
        self._failures: list[_Failure] = []
        self._lock = threading.Lock()
        self._controller: _BoundController | None = None

    def start(self) -> FakeSmtpServer:
        """Listen on 127.0.0.1 on a free port (aiosmtpd's own thread and event loop); returns self."""
        context = None
        if self._certificate is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*self._certificate)
        smtp_options: dict[str, Any] = {"server_hostname": "smtp.stand-in.test"}
        if self.user is not None:
            # Relays refuse AUTH before STARTTLS when they offer it; in the clear only when they cannot.
            # (MAIL before AUTH is refused in handle_MAIL: aiosmtpd's auth_required warns without TLS.)
            smtp_options.update(auth_require_tls=self.tls == "starttls", authenticator=self._authenticate)
        if self.tls == "starttls":
            smtp_options["tls_context"] = context
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((HOST, 0))  # bound before aiosmtpd starts: no window for another process to take the port
        self._controller = _BoundController(_Handler(self), sock,
                                            ssl_context=context if self.tls == "implicit" else None, **smtp_options)
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> FakeSmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port it listens on."""
        assert self._controller is not None, "call start() first"
        return self._controller.port

    def url(self, *, user: str | None = None, password: str | None = None, query: str = "") -> str:
        """A KLAXON_SMTP_URL for this server: smtps:// when it speaks TLS from the start, else smtp://."""
        login = quote(user, safe="") if user is not None else ""
        if password is not None:
            login += ":" + quote(password, safe="")
        scheme = "smtps" if self.tls == "implicit" else "smtp"
        return f"{scheme}://{login + '@' if login else ''}{HOST}:{self.port}" + (f"?{query}" if query else "")

    @property
    def messages(self) -> list[ReceivedMessage]:
        """The accepted messages so far (a copy)."""
        with self._lock:
            return list(self._messages)

    def fail_next(self, code: int = 451, times: int = 1, *, at: Stage = "RCPT", text: str | None = None) -> None:
        """Answer the next `times` MAIL, RCPT or DATA commands with `code` (451 try later, 550 no such mailbox...)."""
        reply = f"{code} {text or _REPLIES.get(code, '5.0.0 Refused' if code >= 500 else '4.0.0 Try again later')}"
        with self._lock:
            self._failures.append(_Failure(at, reply, times))

    def _take_failure(self, stage: Stage) -> str | None:
        with self._lock:
            for failure in self._failures:
                if failure.stage == stage and failure.times > 0:
                    failure.times -= 1
                    return failure.reply
        return None

    def _accept(self, received: ReceivedMessage) -> None:
        with self._lock:
            self._messages.append(received)

    def _authenticate(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                      auth_data: Any) -> AuthResult:
        valid = (isinstance(auth_data, LoginPassword) and self.user is not None and self.password is not None
                 and auth_data.login == self.user.encode() and auth_data.password == self.password.encode())
        # handled=False: aiosmtpd answers a failure with 535 5.7.8, as relays do.
        return AuthResult(success=True, auth_data=self.user) if valid else AuthResult(success=False, handled=False)


class _BoundController(Controller):
    """aiosmtpd's Controller serving a socket bound beforehand (it only knows fixed port numbers)."""

    def __init__(self, handler: object, sock: socket.socket, **kwargs: Any) -> None:
        self._sock = sock
        super().__init__(handler, hostname=HOST, port=sock.getsockname()[1], **kwargs)

    def _create_server(self) -> Awaitable[Any]:
        return self.loop.create_server(self._factory_invoker, sock=self._sock, ssl=self.ssl_context)


class _Handler:
    """aiosmtpd's hooks: each returns the reply line a relay would send."""

    def __init__(self, stand_in: FakeSmtpServer) -> None:
        self.stand_in = stand_in

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          mail_options: list[str]) -> str:
        if self.stand_in.user is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        failure = self.stand_in._take_failure("MAIL")
        if failure:
            return failure
        if not _ADDRESS.fullmatch(address):
            return "553 5.1.7 Bad sender address syntax"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        failure = self.stand_in._take_failure("RCPT")
        if failure:
            return failure
        if not _ADDRESS.fullmatch(address):
            return "553 5.1.3 Bad recipient address syntax"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        failure = self.stand_in._take_failure("DATA")
        if failure:
            return failure
        raw = envelope.original_content or b""
        parsed = _check(raw, envelope)
        if isinstance(parsed, str):
            return parsed
        transport = server.transport
        self.stand_in._accept(ReceivedMessage(
            mail_from=envelope.mail_from or "", rcpt_tos=list(envelope.rcpt_tos), message=parsed,
            tls=transport is not None and transport.get_extra_info("ssl_object") is not None,
            login=session.auth_data if session.authenticated else None,
        ))
        return "250 2.0.0 OK: queued"


def _check(raw: bytes, envelope: Envelope) -> EmailMessage | str:
    """The message parsed, or the 550 reply a relay (or a strict stand-in) gives it."""
    if raw.count(b"\n") != raw.count(b"\r\n"):  # RFC 5321 2.3.8; what SMTP smuggling relies on
        return "550 5.5.2 Bare LF received"
    text = raw.replace(b"\r\n", b"\n")  # as a mail client stores it
    if not envelope.smtp_utf8 and not text.split(b"\n\n", 1)[0].isascii():
        return "550 5.6.7 Non-ASCII header bytes need SMTPUTF8"
    message = BytesParser(policy=policy.default).parsebytes(text)
    if not isinstance(message, EmailMessage) or message.defects:
        return "550 5.6.0 Message does not parse"
    for name in _REQUIRED:
        values: list[Any] = message.get_all(name) or []  # header objects under policy.default
        if len(values) != 1 or values[0].defects:
            return f"550 5.6.0 Exactly one valid {name} header required (RFC 5322 3.6)"
    try:
        parsedate_to_datetime(str(message["Date"]))
    except (TypeError, ValueError):
        return "550 5.6.0 Unreadable Date header"
    if not _MESSAGE_ID.fullmatch(str(message["Message-ID"]).strip()):
        return "550 5.6.0 Unreadable Message-ID header"
    senders = [address for _, address in getaddresses([str(message["From"])])]
    if len(senders) != 1 or not _ADDRESS.fullmatch(senders[0]):
        return "550 5.6.0 From header must be one address"
    to = sorted(address.lower() for _, address in getaddresses([str(message["To"])]))
    if to != sorted(address.lower() for address in envelope.rcpt_tos):
        return "550 5.7.1 To header does not match the envelope recipients"
    return message


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A one-day certificate for 127.0.0.1 and localhost, made by the openssl command: (cert, key)."""
    cert, key = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key
