"""Worker heartbeats in Redis: how `/readyz` knows that some `klaxon worker` can send pages now.

Each worker process sets its own key with a short TTL about once a second, only while all of its
lanes run; a worker that dies, hangs or loses a lane stops beating and its key expires on its own
(Redis enforces the TTL, so no clock is compared across hosts). An index (a sorted set, scored by
the last beat) lets a reader find the keys without scanning the keyspace; the beating workers prune
it of names not seen for a day.
"""

from __future__ import annotations

import json
import time
from typing import Any

from redis import Redis

HEARTBEAT_TTL_SECONDS = 5
_INDEX_KEEP_SECONDS = 86400
_READ_AT_MOST = 100


def heartbeat_key(prefix: str, name: str) -> str:
    """The key one worker process beats on."""
    return f"{prefix}:worker-heartbeat:{name}"


def index_key(prefix: str) -> str:
    """The sorted set of worker names that have beaten recently."""
    return f"{prefix}:worker-heartbeats"


def beat(redis: Redis, prefix: str, name: str, info: dict[str, Any]) -> None:
    """Say that worker `name` can send pages for the next HEARTBEAT_TTL_SECONDS (one round trip)."""
    now = time.time()
    with redis.pipeline(transaction=False) as pipe:
        pipe.set(heartbeat_key(prefix, name), json.dumps(info), ex=HEARTBEAT_TTL_SECONDS)
        pipe.zadd(index_key(prefix), {name: now})
        pipe.zremrangebyscore(index_key(prefix), "-inf", now - _INDEX_KEEP_SECONDS)
        pipe.execute()


def forget(redis: Redis, prefix: str, name: str) -> None:
    """Withdraw worker `name` at once (it is stopping)."""
    with redis.pipeline(transaction=False) as pipe:
        pipe.delete(heartbeat_key(prefix, name))
        pipe.zrem(index_key(prefix), name)
        pipe.execute()


def live_workers(redis: Redis, prefix: str) -> list[dict[str, Any]]:
    """What every worker with a live heartbeat said about itself (most recent first)."""
    names = [n.decode() if isinstance(n, bytes) else str(n)
             for n in redis.zrevrange(index_key(prefix), 0, _READ_AT_MOST - 1)]
    if not names:
        return []
    values = redis.mget([heartbeat_key(prefix, name) for name in names])
    return [json.loads(value) for value in values if value is not None]
