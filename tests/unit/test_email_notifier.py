"""KLAXON_SMTP_URL parsing, the email a page becomes, and which SMTP failures are worth retrying."""

from __future__ import annotations

import smtplib
import socket
import ssl
import traceback
from dataclasses import replace
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import pytest

from integrations.email import (
    SmtpSettings,
    TlsMode,
    build_message,
    delivery_error,
    email_body,
    email_subject,
    is_email_address,
    parse_smtp_url,
    require_email,
)
from integrations.notifier import PermanentDeliveryError, Recipient, TransientDeliveryError
from tests.unit.twilio.pages import make_page

NOW = datetime(2026, 3, 1, 9, 0, 5, tzinfo=timezone.utc)
ALICE = Recipient(user_id="alice", name="Alice Liddell", email="alice@example.com")


@pytest.mark.parametrize(
    "url, expected",
    [
        ("smtp://mail.example.com",
         SmtpSettings("mail.example.com", 25, TlsMode.AUTO, "klaxon@mail.example.com")),
        ("SMTP://Mail.Example.COM:2525/?starttls=required",
         SmtpSettings("mail.example.com", 2525, TlsMode.REQUIRED, "klaxon@mail.example.com")),
        ("smtp://relay.internal?starttls=never&from=pages%40example.com",
         SmtpSettings("relay.internal", 25, TlsMode.NEVER, "pages@example.com")),
        # `+` is part of the address, not a form-encoded space.
        ("smtp://relay?from=pages+ops@example.com", SmtpSettings("relay", 25, TlsMode.AUTO, "pages+ops@example.com")),
        ("smtps://apikey:p%40ss%2Fw%3Ard@smtp.example.com",
         SmtpSettings("smtp.example.com", 465, TlsMode.IMPLICIT, "klaxon@smtp.example.com", "apikey", "p@ss/w:rd")),
        ("smtps://smtp.example.com:2465", SmtpSettings("smtp.example.com", 2465, TlsMode.IMPLICIT,
                                                       "klaxon@smtp.example.com")),
        ("smtp://ops%2Bpager@relay", SmtpSettings("relay", 25, TlsMode.AUTO, "klaxon@relay", "ops+pager")),
        ("smtp://u:@relay", SmtpSettings("relay", 25, TlsMode.AUTO, "klaxon@relay", "u", "")),
        ("smtp://127.0.0.1:1025", SmtpSettings("127.0.0.1", 1025, TlsMode.AUTO, "klaxon@[127.0.0.1]")),
        ("smtp://[::1]", SmtpSettings("::1", 25, TlsMode.AUTO, "klaxon@[IPv6:::1]")),
    ],
)
def test_good_smtp_urls(url: str, expected: SmtpSettings) -> None:
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize(
    "url, says",
    [
        ("http://mail.example.com", "must start with smtp:// or smtps:// (got 'http')"),
        ("mail.example.com:25", "must start with smtp:// or smtps://"),
        ("//mail.example.com", "(got no scheme)"),
        ("smtp://", "no host"),
        ("smtp://:2525", "no host"),
        ("smtp://mail.example.com:abc", "bad port"),
        ("smtp://mail.example.com:0", "bad port"),
        ("smtp://mail.example.com:70000", "bad port"),
        ("smtp://mail.example.com:", "bad port"),
        ("smtp://mail.example.com/inbox", "text after the host"),
        ("smtp://mail.example.com#top", "text after the host"),
        ("smtp://mail.example.com?starttls=yes", "starttls must be auto, required or never"),
        ("smtps://mail.example.com?starttls=required", "starttls applies to smtp:// only"),
        ("smtp://mail.example.com?sender=a@example.com", "unknown query parameter"),
        ("smtp://mail.example.com?from=a@example.com&from=b@example.com", "gives from twice"),
        ("smtp://mail.example.com?from=pager", "from must be one email address"),
        ("smtp://mail.example.com?from=a@example.com%0D%0ABcc:%20x@example.com", "from must be one email address"),
        ("smtp://:hunter2@mail.example.com", "password but no user"),
        ("smtp://j%C3%B6rg:pw@mail.example.com", "must be ASCII"),
        ("smtp://[::1", "is not a URL"),
    ],
)
def test_bad_smtp_urls_say_what_is_wrong(url: str, says: str) -> None:
    with pytest.raises(ValueError, match="KLAXON_SMTP_URL") as error:
        parse_smtp_url(url)
    assert says in str(error.value)


@pytest.mark.parametrize(
    "url",
    [
        "smtp://ops:hunter2@mail.example.com:abc",
        "smtp://ops:hunter2@mail.example.com?starttls=sure",
        "http://ops:hunter2@mail.example.com",
        # Unencoded / ? # in a password move its tail into the port, query or fragment.
        "smtp://ops:hun/ter2@mail.example.com",
        "smtp://ops:hun?ter2@mail.example.com",
        "smtp://ops:hun#ter2@mail.example.com",
        "smtp://ops:hunter2@mail.example.com/x?from=a@b.com",
    ],
)
def test_a_bad_url_error_never_quotes_the_password(url: str) -> None:
    with pytest.raises(ValueError) as error:
        parse_smtp_url(url)
    # What a log handler prints: the message and any exception chained to it (urllib's quote the port).
    logged = "".join(traceback.format_exception(error.value))
    assert "KLAXON_SMTP_URL" in logged
    assert "hun" not in logged and "ter2" not in logged


def test_settings_repr_hides_the_password_it_holds() -> None:
    settings = parse_smtp_url("smtps://ops:hunter2@smtp.example.com")
    assert settings.password == "hunter2"
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings)
    assert "ops" in repr(settings)


@pytest.mark.parametrize(
    "text, valid",
    [("alice@example.com", True), ("pages+ops@example.com", True), ("a.b@c-d.example", True),
     ("klaxon@[127.0.0.1]", True), ("root@localhost", True), ("alice@", False), ("@example.com", False),
     ("a..b@example.com", False), ("alice@example.com.", False), ("alice@-example.com", False),
     ("Alice <alice@example.com>", False), ("a@example.com\nBcc: x@example.com", False),
     ("jörg@example.de", False), ("a@b@example.com", False)],
)
def test_email_address_shape(text: str, valid: bool) -> None:
    assert is_email_address(text) is valid


def test_page_subject_names_severity_service_title_and_incident() -> None:
    assert email_subject(make_page()) == "[SEV1] Checkout API: Checkout latency above 2s (incident 12)"


def test_notice_subject() -> None:
    notice = replace(make_page(), notice="Hand-over: bob is on call for incident 12 now.")
    assert email_subject(notice) == "Klaxon: incident 12 (Checkout latency above 2s)"


def test_subject_is_one_line_and_bounded_whatever_the_title() -> None:
    subject = email_subject(make_page(title="disk full\r\nBcc: everyone@example.com\t" + "x" * 500))
    assert "\n" not in subject and "\r" not in subject
    assert subject.startswith("[SEV1] Checkout API: disk full Bcc: everyone@example.com xxx")
    assert subject.endswith("… (incident 12)") and len(subject) < 220


def test_page_body_has_the_console_wording_the_facts_and_the_link() -> None:
    page = replace(make_page(), acknowledged_by="alice", status="acknowledged",
                   links=({"href": "https://grafana.example.com/d/checkout", "text": "Dashboard"},))
    lines = email_body(page).splitlines()
    assert lines[0] == "[SEV1] Checkout API: Checkout latency above 2s (incident 12, acknowledged)"
    assert "Severity: SEV1 (prod-critical: severity=critical and labels.env=prod)" in lines
    assert "Service: Checkout API (checkout)" in lines
    assert "Status: acknowledged" in lines
    assert "Acknowledged by: alice" in lines
    assert "Link: Dashboard <https://grafana.example.com/d/checkout>" in lines
    assert lines[-1] == "Open the incident: https://klaxon.example.com/incidents/12"


def test_body_has_no_link_without_a_public_url() -> None:
    assert "/incidents/" not in email_body(replace(make_page(), public_url=""))


def test_notice_body_is_the_notice_text() -> None:
    notice = replace(make_page(), notice="Hand-over: bob is on call for incident 12 now.", public_url="")
    assert email_body(notice) == "Hand-over: bob is on call for incident 12 now.\n"


def test_message_headers_and_body() -> None:
    message = build_message(make_page(), ALICE, sender="pages@example.com", now=NOW)
    assert message["From"] == "Klaxon <pages@example.com>"
    assert message["To"] == "Alice Liddell <alice@example.com>"
    assert message["Subject"] == "[SEV1] Checkout API: Checkout latency above 2s (incident 12)"
    assert parsedate_to_datetime(message["Date"]) == NOW
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith("@example.com>")
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content() == email_body(make_page())


def test_each_message_gets_its_own_message_id() -> None:
    ids = {build_message(make_page(), ALICE, sender="pages@example.com", now=NOW)["Message-ID"] for _ in range(5)}
    assert len(ids) == 5


def test_non_ascii_text_is_quoted_printable_so_any_relay_takes_it() -> None:
    page = make_page(title="Zahlungen schlagen fehl — 502 für €-Konten", service_name="Kasse")
    message = build_message(page, replace(ALICE, name="Jörg"), sender="pages@example.com", now=NOW)
    assert message["Content-Transfer-Encoding"] == "quoted-printable"
    assert message.as_bytes().isascii()
    assert "502 für €-Konten" in message.get_content()
    assert message["To"].addresses[0].display_name == "Jörg"


@pytest.mark.parametrize(
    "recipient, says",
    [(Recipient(user_id="alice"), "alice has no email address"),
     (Recipient(user_id="alice", email=""), "alice has no email address"),
     (Recipient(user_id="alice", email="alice@"), "'alice@' of alice is not valid"),
     (Recipient(user_id="alice", email="a@example.com\nBcc: x@example.com"), "is not valid")],
)
def test_recipient_without_a_usable_address_is_permanent(recipient: Recipient, says: str) -> None:
    with pytest.raises(PermanentDeliveryError, match=says):
        require_email(recipient)


@pytest.mark.parametrize(
    "exc, code",
    [
        (smtplib.SMTPRecipientsRefused({"a@example.com": (451, b"4.7.1 Greylisted, try again")}), "451"),
        (smtplib.SMTPSenderRefused(421, b"4.3.2 Shutting down", "pages@example.com"), "421"),
        (smtplib.SMTPDataError(452, b"4.3.1 Insufficient system storage"), "452"),
        (smtplib.SMTPConnectError(421, b"4.7.0 Too many connections"), "421"),
        (smtplib.SMTPAuthenticationError(454, b"4.7.0 Temporary authentication failure"), "454"),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), None),
        (ConnectionRefusedError(111, "Connection refused"), None),
        (socket.timeout("timed out"), None),
        (socket.gaierror(-3, "Temporary failure in name resolution"), None),
    ],
)
def test_no_answer_and_4xx_are_transient(exc: OSError, code: str | None) -> None:
    error = delivery_error(exc, server="mail.example.com:25")
    assert isinstance(error, TransientDeliveryError)
    assert error.code == code
    assert "mail.example.com:25" in str(error)


@pytest.mark.parametrize(
    "exc, code, says",
    [
        (smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"5.1.1 Mailbox unavailable")}), "550",
         "refusing the recipient: 5.1.1 Mailbox unavailable"),
        (smtplib.SMTPSenderRefused(553, b"5.7.1 Sender not allowed", "pages@example.com"), "553", "not allowed"),
        (smtplib.SMTPDataError(554, b"5.7.1 Spam"), "554", "Spam"),
        (smtplib.SMTPAuthenticationError(535, b"5.7.8 Authentication credentials invalid"), "535",
         "check the user and password"),
        (smtplib.SMTPNotSupportedError("STARTTLS extension not supported by server."), None, "STARTTLS"),
        (smtplib.SMTPException("No suitable authentication method found."), None, "authentication method"),
        (ssl.SSLCertVerificationError(1, "certificate verify failed"), None, "not trusted"),
    ],
)
def test_5xx_and_misconfiguration_are_permanent(exc: OSError, code: str | None, says: str) -> None:
    error = delivery_error(exc, server="mail.example.com:25")
    assert isinstance(error, PermanentDeliveryError)
    assert error.code == code
    assert says in str(error)


def test_a_password_echoed_by_the_server_is_masked() -> None:
    exc = smtplib.SMTPAuthenticationError(535, b"5.7.8 bad credentials ops/hunter2")
    error = delivery_error(exc, server="mail.example.com:587", password="hunter2")
    assert "hunter2" not in str(error) and "ops/***" in str(error)
    assert error.code == "535"
