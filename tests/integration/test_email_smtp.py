"""The real EmailNotifier and smtplib against the local SMTP stand-in, over loopback."""

from __future__ import annotations

import shutil
import smtplib
import socket
import ssl
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Literal

import pytest

from integrations.email import EmailNotifier, parse_smtp_url
from integrations.notifier import PermanentDeliveryError, Recipient, TransientDeliveryError
from tests.fakes.smtp_server import FakeSmtpServer, Stage, self_signed_certificate
from tests.unit.twilio.pages import make_page

ALICE = Recipient(user_id="alice", name="Alice Liddell", email="alice@example.com")
FROM = "from=pages@example.com"
USER, PASSWORD = "klaxon", "p@ss/w:rd hunter2"  # characters that must be percent-encoded in the URL


@pytest.fixture
def smtp() -> Iterator[FakeSmtpServer]:
    with FakeSmtpServer() as server:
        yield server


@pytest.fixture
def notifier(smtp: FakeSmtpServer) -> EmailNotifier:
    return EmailNotifier(parse_smtp_url(smtp.url(query=FROM)), timeout=5)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command makes the stand-in's certificate")
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


def trusting(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


def test_a_page_arrives_once_with_its_headers_and_body(smtp: FakeSmtpServer, notifier: EmailNotifier) -> None:
    receipt = notifier.send(make_page(), ALICE)
    [received] = smtp.messages
    message = received.message
    assert (received.mail_from, received.rcpt_tos) == ("pages@example.com", ["alice@example.com"])
    assert message["Subject"] == "[SEV1] Checkout API: Checkout latency above 2s (incident 12)"
    assert message["From"] == "Klaxon <pages@example.com>"
    assert message["To"] == "Alice Liddell <alice@example.com>"
    assert receipt.provider_id == message["Message-ID"] and receipt.status == "sent"
    assert abs(parsedate_to_datetime(message["Date"]) - datetime.now(timezone.utc)) < timedelta(minutes=1)
    body = message.get_content()
    assert body.startswith("[SEV1] Checkout API: Checkout latency above 2s (incident 12, triggered)\n")
    assert "Severity: SEV1 (prod-critical: severity=critical and labels.env=prod)" in body
    assert "Open the incident: https://klaxon.example.com/incidents/12" in body
    assert received.tls is False and received.login is None


def test_a_notice_arrives_with_its_text(smtp: FakeSmtpServer, notifier: EmailNotifier) -> None:
    notice = replace(make_page(), notice="Hand-over: bob is on call for incident 12 now.")
    notifier.send(notice, ALICE)
    [received] = smtp.messages
    assert received.message["Subject"] == "Klaxon: incident 12 (Checkout latency above 2s)"
    assert received.message.get_content().startswith("Hand-over: bob is on call for incident 12 now.\n")


def test_non_ascii_pages_pass_a_relay_without_smtputf8(smtp: FakeSmtpServer, notifier: EmailNotifier) -> None:
    notifier.send(make_page(title="Zahlungen schlagen fehl — 502 für €-Konten"), replace(ALICE, name="Jörg"))
    [received] = smtp.messages
    assert received.message["Subject"].endswith("502 für €-Konten (incident 12)")
    assert received.message["To"].addresses[0].display_name == "Jörg"


def test_login_with_the_url_credentials() -> None:
    with FakeSmtpServer(user=USER, password=PASSWORD) as smtp:
        EmailNotifier(parse_smtp_url(smtp.url(user=USER, password=PASSWORD, query=FROM))).send(make_page(), ALICE)
        assert [m.login for m in smtp.messages] == [USER]


def test_a_wrong_password_is_permanent_535_and_never_quoted() -> None:
    with FakeSmtpServer(user=USER, password=PASSWORD) as smtp:
        notifier = EmailNotifier(parse_smtp_url(smtp.url(user=USER, password="wrong-secret", query=FROM)))
        with pytest.raises(PermanentDeliveryError) as error:
            notifier.send(make_page(), ALICE)
        assert error.value.code == "535"
        assert "wrong-secret" not in str(error.value)
        assert smtp.messages == []


def test_no_login_where_the_server_requires_one_is_permanent_530() -> None:
    with FakeSmtpServer(user=USER, password=PASSWORD) as smtp:
        with pytest.raises(PermanentDeliveryError) as error:
            EmailNotifier(parse_smtp_url(smtp.url(query=FROM))).send(make_page(), ALICE)
        assert error.value.code == "530"
        assert smtp.messages == []


@pytest.mark.parametrize("stage", ["MAIL", "RCPT", "DATA"])
def test_451_is_transient_and_the_retry_is_delivered(smtp: FakeSmtpServer, notifier: EmailNotifier,
                                                     stage: Stage) -> None:
    smtp.fail_next(451, at=stage)
    with pytest.raises(TransientDeliveryError) as error:
        notifier.send(make_page(), ALICE)
    assert error.value.code == "451"
    assert smtp.messages == []
    notifier.send(make_page(), ALICE)
    assert len(smtp.messages) == 1


@pytest.mark.parametrize("stage", ["RCPT", "DATA"])
def test_550_is_permanent_with_the_servers_words(smtp: FakeSmtpServer, notifier: EmailNotifier,
                                                 stage: Stage) -> None:
    smtp.fail_next(550, at=stage)
    with pytest.raises(PermanentDeliveryError) as error:
        notifier.send(make_page(), ALICE)
    assert error.value.code == "550"
    assert "5.1.1 Mailbox unavailable" in str(error.value)
    assert smtp.messages == []


def test_server_not_listening_is_transient() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused, the port stays ours
        port = closed.getsockname()[1]
        notifier = EmailNotifier(parse_smtp_url(f"smtp://127.0.0.1:{port}?{FROM}"), timeout=5)
        with pytest.raises(TransientDeliveryError) as error:
            notifier.send(make_page(), ALICE)
    assert "cannot reach SMTP server 127.0.0.1" in str(error.value)
    assert error.value.code is None


def test_server_that_never_answers_is_transient_after_the_timeout() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # the kernel completes the connection; nobody ever says 220
        port = silent.getsockname()[1]
        notifier = EmailNotifier(parse_smtp_url(f"smtp://127.0.0.1:{port}?{FROM}"), timeout=0.3)
        with pytest.raises(TransientDeliveryError, match="timed out"):
            notifier.send(make_page(), ALICE)


def test_recipient_without_email_is_permanent_before_any_connection() -> None:
    # Port 9 (discard) on loopback is not listening: a connection attempt would be transient instead.
    notifier = EmailNotifier(parse_smtp_url(f"smtp://127.0.0.1:9?{FROM}"), timeout=5)
    with pytest.raises(PermanentDeliveryError, match="^alice has no email address$"):
        notifier.send(make_page(), Recipient(user_id="alice", name="Alice"))


def test_starttls_required_but_not_offered_is_permanent_and_sends_nothing(smtp: FakeSmtpServer) -> None:
    notifier = EmailNotifier(parse_smtp_url(smtp.url(query=FROM + "&starttls=required")))
    with pytest.raises(PermanentDeliveryError, match="STARTTLS"):
        notifier.send(make_page(), ALICE)
    assert smtp.messages == []


def test_starttls_when_offered_then_login_over_tls(certificate: tuple[Path, Path]) -> None:
    # This server offers AUTH only after STARTTLS, as relays do: the login proves the order.
    with FakeSmtpServer(user=USER, password=PASSWORD, tls="starttls", certificate=certificate) as smtp:
        settings = parse_smtp_url(smtp.url(user=USER, password=PASSWORD, query=FROM))
        EmailNotifier(settings, ssl_context=trusting(certificate)).send(make_page(), ALICE)
        assert [(m.tls, m.login) for m in smtp.messages] == [(True, USER)]


def test_starttls_never_stays_in_the_clear(certificate: tuple[Path, Path]) -> None:
    with FakeSmtpServer(tls="starttls", certificate=certificate) as smtp:
        EmailNotifier(parse_smtp_url(smtp.url(query=FROM + "&starttls=never"))).send(make_page(), ALICE)
        assert [m.tls for m in smtp.messages] == [False]


def test_smtps_speaks_tls_from_the_first_byte(certificate: tuple[Path, Path]) -> None:
    with FakeSmtpServer(tls="implicit", certificate=certificate) as smtp:
        settings = parse_smtp_url(smtp.url(query=FROM))
        assert settings.port == smtp.port and smtp.url().startswith("smtps://")
        EmailNotifier(settings, ssl_context=trusting(certificate)).send(make_page(), ALICE)
        assert [m.tls for m in smtp.messages] == [True]


@pytest.mark.parametrize("tls", ["starttls", "implicit"])
def test_an_untrusted_certificate_is_permanent(certificate: tuple[Path, Path],
                                               tls: Literal["starttls", "implicit"]) -> None:
    with FakeSmtpServer(tls=tls, certificate=certificate) as smtp:
        with pytest.raises(PermanentDeliveryError, match="not trusted"):
            EmailNotifier(parse_smtp_url(smtp.url(query=FROM))).send(make_page(), ALICE)
        assert smtp.messages == []


def valid_message(to: str = "alice@example.com") -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "pages@example.com", to, "hi"
    message["Date"], message["Message-ID"] = "Sun, 01 Mar 2026 09:00:00 +0000", "<1@example.com>"
    message.set_content("hi")
    return message


@pytest.mark.parametrize(
    "drop, to, says",
    [("Message-ID", "alice@example.com", "Message-ID header"), ("Date", "alice@example.com", "Date header"),
     (None, "bob@example.com", "does not match the envelope")],
)
def test_the_stand_in_refuses_what_a_strict_relay_refuses(smtp: FakeSmtpServer, drop: str | None, to: str,
                                                          says: str) -> None:
    # A stand-in that takes anything proves nothing: these are the checks the notifier's tests rely on.
    message = valid_message(to)
    if drop:
        del message[drop]
    with smtplib.SMTP("127.0.0.1", smtp.port, timeout=5) as client:
        client.send_message(valid_message(), to_addrs=["alice@example.com"])
        with pytest.raises(smtplib.SMTPDataError) as error:
            client.send_message(message, to_addrs=["alice@example.com"])
    assert error.value.smtp_code == 550 and says in str(error.value)
    assert len(smtp.messages) == 1
