"""The value types of the config file (ids, durations, targets, phones...), each checked and normalised."""

from __future__ import annotations

import re
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, Field

from integrations.phone import PhoneNumberError, normalize_e164
from schedules.duration import DurationError, parse_duration

CHANNELS = ("slack", "sms", "voice", "email")
TARGET_KINDS = ("user", "schedule", "slack", "account")
# What an `account:` target names of the incident's account (CONTRACT section 3).
ACCOUNT_ROLES = ("director", "stakeholders")

_HANDLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_SLACK_CHANNEL = re.compile(r"#[^\s#]+")
_KEY = re.compile(r"[A-Za-z0-9]{32}")
_RATE = re.compile(r"([1-9][0-9]*)/([smh])")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


def check_handle(value: str) -> str:
    """An id as used in targets and URLs, or ValueError saying what an id may contain."""
    # Ids appear in targets (`user:ID`), URLs and Slack commands, so they stay simple and short.
    if not _HANDLE.fullmatch(value):
        raise ValueError(f"not a valid id {value!r}: use up to 64 letters, digits, '.', '_' or '-'")
    return value


def _seconds(value: object) -> int:
    try:
        return int(parse_duration(value).total_seconds())
    except DurationError as error:
        raise ValueError(str(error)) from None


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}: use an IANA name such as America/New_York") from None
    return value


def _phone(value: object) -> str:
    # An unquoted number reaches us as an int; its text is still worth checking.
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str):
        raise ValueError(f"not an E.164 number {value!r}")
    try:
        return normalize_e164(text)
    except PhoneNumberError:
        raise ValueError(f"not an E.164 number {text!r}") from None


def _slack_channel(value: str) -> str:
    if not _SLACK_CHANNEL.fullmatch(value):
        raise ValueError(f"not a Slack channel {value!r}: write it as '#channel-name'")
    return value


def _target(value: str) -> str:
    kind, colon, name = value.partition(":")
    if not colon or kind not in TARGET_KINDS:
        raise ValueError(f"unknown target {value!r}: use user:ID, schedule:ID, slack:#channel or account:director")
    if kind == "slack":
        # In a YAML flow list, `slack:"#major-incidents"` (as CONTRACT section 3 writes it) reaches
        # us with its quotes, since the quotes are not at the start of the scalar.
        name = name.strip("\"'")
        if not _SLACK_CHANNEL.fullmatch(name):
            raise ValueError(f"not a Slack channel target {value!r}: write it as slack:#channel-name")
        return f"slack:{name}"
    if kind == "account":
        if name not in ACCOUNT_ROLES:
            raise ValueError(f"unknown target {value!r}: use account:director or account:stakeholders")
        return value
    if not _HANDLE.fullmatch(name):
        raise ValueError(f"unknown target {value!r}: use user:ID, schedule:ID or slack:#channel")
    return value


def _integration_key(value: str) -> str:
    # Never echo the key itself: error output ends up in CI logs.
    if len(value) != 32:
        raise ValueError(f"must be exactly 32 letters or digits (this one has {len(value)} characters)")
    if not _KEY.fullmatch(value):
        raise ValueError("must be exactly 32 letters or digits (this one has other characters)")
    return value


def _rate_limit(value: str) -> str:
    if not _RATE.fullmatch(value):
        raise ValueError(f"bad rate limit {value!r}: write it as a count per s, m or h, such as 600/m")
    return value


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise ValueError(f"not an email address {value!r}")
    return value


Handle = Annotated[str, AfterValidator(check_handle)]
Seconds = Annotated[int, BeforeValidator(_seconds)]
TimeZone = Annotated[str, AfterValidator(_time_zone)]
Phone = Annotated[str, BeforeValidator(_phone)]
SlackChannel = Annotated[str, AfterValidator(_slack_channel)]
Target = Annotated[str, AfterValidator(_target)]
IntegrationKeyValue = Annotated[str, AfterValidator(_integration_key)]
RateLimit = Annotated[str, AfterValidator(_rate_limit)]
Email = Annotated[str, AfterValidator(_email)]
Severity = Literal["SEV1", "SEV2", "SEV3", "SEV4"]
Channel = Literal["slack", "sms", "voice", "email"]
StatusChannel = Literal["slack", "sms", "email"]
Targets = Annotated[list[Target], Field(min_length=1)]
Severities = Annotated[list[Severity], Field(min_length=1)]
Count = Annotated[int, Field(ge=0, strict=True)]
