"""Settings, read from the environment in one place (CONTRACT section 1) and passed to `create_app`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

DEFAULT_DATABASE_URL = "sqlite:///" + str(Path("var") / "klaxon.db")


@dataclass(frozen=True)
class Settings:
    """Everything configurable about one Klaxon deployment. Secrets are never logged (see `__repr__`)."""

    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str = "redis://127.0.0.1:6379/0"
    port: int = 8080
    secret_key: str = "dev-only-not-secret"
    public_url: str = "http://127.0.0.1:8080"
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_api_url: str = "https://slack.com/api/"
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from_number: str | None = None
    twilio_api_url: str = "https://api.twilio.com"
    smtp_url: str | None = None  # KLAXON_SMTP_URL: smtp[s]://[user:password@]host[:port][?from=...]
    # How often the sweeper looks for timers whose Redis wake-up was lost.
    sweeper_period_seconds: float = 2.0
    # Default per-integration-key rate limit when the config gives none (None = unlimited).
    default_rate_limit: str | None = None
    queue_prefix: str = "klaxon"
    metrics_token: str | None = None  # a bearer token that may read /metrics and nothing else
    extra: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:  # never print secrets
        return f"Settings(database_url={_redact_url(self.database_url)!r}, redis_url={_redact_url(self.redis_url)!r})"

    @property
    def slack_configured(self) -> bool:
        """True when pages go to the real Slack API rather than the console outbox."""
        return bool(self.slack_bot_token)

    @property
    def twilio_configured(self) -> bool:
        """True when SMS and voice go to Twilio rather than the console outbox."""
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.twilio_from_number)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        """Build settings from `os.environ` (or the mapping given)."""
        env = os.environ if env is None else env
        port = int(env.get("PORT", "8080"))
        return cls(
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            redis_url=env.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
            port=port,
            secret_key=env.get("KLAXON_SECRET_KEY") or "dev-only-not-secret",
            public_url=(env.get("KLAXON_PUBLIC_URL") or f"http://127.0.0.1:{port}").rstrip("/"),
            slack_bot_token=env.get("SLACK_BOT_TOKEN") or None,
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
            slack_api_url=env.get("SLACK_API_URL") or "https://slack.com/api/",
            twilio_account_sid=env.get("TWILIO_ACCOUNT_SID") or None,
            twilio_auth_token=env.get("TWILIO_AUTH_TOKEN") or None,
            twilio_from_number=env.get("TWILIO_FROM_NUMBER") or None,
            twilio_api_url=(env.get("TWILIO_API_URL") or "https://api.twilio.com").rstrip("/"),
            smtp_url=env.get("KLAXON_SMTP_URL") or None,
            sweeper_period_seconds=float(env.get("KLAXON_SWEEPER_PERIOD", "2")),
            default_rate_limit=env.get("KLAXON_DEFAULT_RATE_LIMIT") or None,
            queue_prefix=env.get("KLAXON_QUEUE_PREFIX") or "klaxon",
            metrics_token=env.get("KLAXON_METRICS_TOKEN") or None,
        )


def _redact_url(url: str) -> str:
    """Hide the password of a database or Redis URL."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"
