"""KLAXON_SMTP_URL: where and how pages are mailed, read into a `SmtpSettings`.

    smtp://[user[:password]@]host[:port][?from=klaxon@example.com][&starttls=auto|required|never]
    smtps://[user[:password]@]host[:port][?from=...]

`smtp` (port 25) upgrades with STARTTLS when the server offers it (`starttls=auto`, the default), refuses
to send in the clear (`required`) or never upgrades (`never`, for a local relay with a broken certificate).
`smtps` (port 465) speaks TLS from the first byte. User and password are percent-decoded; `from` defaults
to `klaxon@<host>`.

Errors say which part is wrong but never echo the URL's text: a password with an unencoded `/`, `?` or
`#` ends up where the port, path or query belongs, and error messages reach logs.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import SplitResult, unquote, urlsplit

_ENCODING_HINT = "percent-encode / ? # @ : in the user or password (%2F %3F %23 %40 %3A)"
_FORMAT = "smtp://[user[:password]@]host[:port][?from=...&starttls=auto|required|never] or smtps://..."

# Good enough to catch typos and header injection; the relay has the final word on what exists. ASCII
# only: an internationalised address needs SMTPUTF8, which we do not speak.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}(?:\.{_LABEL})*|\[[A-Za-z0-9:.]+\])")


class TlsMode(StrEnum):
    """How the connection to the SMTP server is protected."""

    IMPLICIT = "implicit"  # smtps://: TLS from the first byte
    REQUIRED = "required"  # smtp:// with STARTTLS, or no mail at all
    AUTO = "auto"  # smtp:// with STARTTLS when the server offers it
    NEVER = "never"  # smtp:// in the clear


@dataclass(frozen=True)
class SmtpSettings:
    """The SMTP server pages go through; `repr` leaves the password out (settings get logged)."""

    host: str
    port: int
    tls: TlsMode
    from_address: str  # bare address, also the envelope sender
    user: str | None = None
    password: str | None = field(default=None, repr=False)


def is_email_address(text: str) -> bool:
    """Whether `text` is one bare address (`local@domain` or `local@[192.0.2.1]`), nothing around it."""
    return _ADDRESS.fullmatch(text) is not None


def parse_smtp_url(url: str) -> SmtpSettings:
    """Read KLAXON_SMTP_URL; a ValueError names what is wrong (never quoting the URL, which holds a password)."""
    parts = _split(url)
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps"):
        got = f"got {scheme!r}" if scheme else "got no scheme"
        raise ValueError(f"KLAXON_SMTP_URL must start with smtp:// or smtps:// ({got}): {_FORMAT}")
    if parts.path not in ("", "/") or parts.fragment:
        raise ValueError(f"KLAXON_SMTP_URL has text after the host that is not a query: {_ENCODING_HINT}")
    host = parts.hostname
    if not host:
        raise ValueError(f"KLAXON_SMTP_URL has no host: {_FORMAT}")
    port = _port(parts, default=465 if scheme == "smtps" else 25)
    params = _query(parts.query)
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if password is not None and user is None:
        raise ValueError("KLAXON_SMTP_URL has a password but no user")
    if not (user or "").isascii() or not (password or "").isascii():
        # smtplib's AUTH encodes them as ASCII: better refused at start-up than at the first page.
        raise ValueError("KLAXON_SMTP_URL: user and password must be ASCII")
    from_address = params.get("from") or _default_sender(host)
    if not is_email_address(from_address):
        raise ValueError("KLAXON_SMTP_URL: from must be one email address such as klaxon@example.com")
    return SmtpSettings(host=host, port=port, tls=_tls_mode(scheme, params.get("starttls")),
                        from_address=from_address, user=user, password=password)


def _split(url: str) -> SplitResult:
    try:
        return urlsplit(url.strip())
    except ValueError:
        # urllib's message quotes the bracketed host; ours quotes nothing.
        raise ValueError(f"KLAXON_SMTP_URL is not a URL ({_FORMAT})") from None


def _port(parts: SplitResult, *, default: int) -> int:
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0 or (port is None and parts.netloc.endswith(":")):  # `host:` has an empty port
        raise ValueError(f"KLAXON_SMTP_URL has a bad port: it must be a number from 1 to 65535 ({_ENCODING_HINT})")
    return default if port is None else port


def _query(query: str) -> dict[str, str]:
    """The query's parameters. Not parse_qs: it turns `+` into a space, and `klaxon+pages@` is an address."""
    params: dict[str, str] = {}
    for pair in filter(None, query.split("&")):
        key, _, value = pair.partition("=")
        key = unquote(key).lower()
        if key not in ("from", "starttls"):
            raise ValueError(f"KLAXON_SMTP_URL has an unknown query parameter; known are from and starttls "
                             f"({_ENCODING_HINT})")
        if key in params:
            raise ValueError(f"KLAXON_SMTP_URL gives {key} twice")
        params[key] = unquote(value).strip()
    return params


def _tls_mode(scheme: str, starttls: str | None) -> TlsMode:
    if scheme == "smtps":
        if starttls is not None:
            raise ValueError("KLAXON_SMTP_URL: starttls applies to smtp:// only (smtps:// is TLS from the start)")
        return TlsMode.IMPLICIT
    choices = {"auto": TlsMode.AUTO, "required": TlsMode.REQUIRED, "never": TlsMode.NEVER}
    if starttls is None:
        return TlsMode.AUTO
    if starttls.lower() not in choices:
        raise ValueError("KLAXON_SMTP_URL: starttls must be auto, required or never")
    return choices[starttls.lower()]


def _default_sender(host: str) -> str:
    """`klaxon@host`; an IP address goes in brackets, as RFC 5321 writes address literals."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return f"klaxon@{host}"
    return f"klaxon@[IPv6:{address}]" if address.version == 6 else f"klaxon@[{address}]"
