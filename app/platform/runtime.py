"""The live resources of one process (engine, Redis, job dispatcher, notifiers), built from Settings.

Flask keeps one on `app.extensions["klaxon"]`; workers build their own, both through
`app.wiring.build_runtime`, which also plugs in the channels. Nothing here holds state a second
process would need: it is connections only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from redis import Redis
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.platform.database import make_engine, new_session, read_only
from app.platform.queueing import JobDispatcher, bind_dispatcher
from app.platform.settings import Settings

if TYPE_CHECKING:
    from integrations.notifier import Notifier


@dataclass
class Runtime:
    """Connections and adapters shared by the code of one process."""

    settings: Settings
    engine: Engine
    redis: Redis
    dispatcher: JobDispatcher
    build_notifiers: Callable[[Settings], dict[str, "Notifier"]]
    _notifiers: dict[str, "Notifier"] | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings, build_notifiers: Callable[[Settings], dict[str, "Notifier"]]) -> "Runtime":
        """Connect to the database and Redis named by `settings` (lazily: nothing is dialled yet);
        `build_notifiers` chooses each channel's Notifier when the first page goes out."""
        engine = make_engine(settings.database_url)
        redis = Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=5)
        return cls(settings, engine, redis, JobDispatcher(redis, settings.queue_prefix), build_notifiers)

    def session(self, *, reading: bool = False) -> Session:
        """A new session whose deferred jobs are enqueued after it commits (`reading`: one that only
        reads, which on SQLite waits on no writer)."""
        session = bind_dispatcher(new_session(read_only(self.engine) if reading else self.engine), self.dispatcher)
        session.info["slack_configured"] = self.settings.slack_configured  # app.slack.incident_channel reads it
        return session

    @property
    def notifiers(self) -> dict[str, "Notifier"]:
        """The Notifier for each channel: the real provider when configured, else the console."""
        if self._notifiers is None:
            self._notifiers = self.build_notifiers(self.settings)
        return self._notifiers

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()
        self.redis.close()
