"""Per-integration-key rate limits (`600/m`), counted in Redis so every web process shares them.

A fixed window per key: simple, shared, and generous enough for alert bursts; over the limit the
answer is 429 with the seconds until the window turns (`Retry-After`).
"""

from __future__ import annotations

import re
import time

from redis import Redis
from redis.exceptions import RedisError

from app.platform.errors import RateLimited

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(s|m|h)\s*$")
_WINDOW = {"s": 1, "m": 60, "h": 3600}


class RateLimitSpecError(ValueError):
    """A rate limit that does not read as `N/s`, `N/m` or `N/h`."""


def parse_rate_limit(spec: str) -> tuple[int, int]:
    """`600/m` -> (600, 60): requests allowed per window of seconds."""
    match = _SPEC.match(spec)
    if not match or int(match.group(1)) <= 0:
        raise RateLimitSpecError(f"bad rate limit {spec!r}: use N/s, N/m or N/h, such as 600/m")
    return int(match.group(1)), _WINDOW[match.group(2)]


def check_rate(redis: Redis, key_id: str, spec: str | None, now: float | None = None, *, events: int = 1) -> None:
    """Count `events` for `key_id`; raise RateLimited when over `spec`. Redis down = no limit."""
    if not spec:
        return
    limit, window = parse_rate_limit(spec)
    current = time.time() if now is None else now
    bucket = int(current // window)
    name = f"klaxon:rate:{key_id}:{bucket}"
    try:
        pipe = redis.pipeline()
        pipe.incrby(name, events)
        pipe.expire(name, window + 1)
        count = int(pipe.execute()[0])
    except RedisError:
        return  # never refuse alerts because the limiter is unavailable
    if count > limit:
        retry_after = max(1, int((bucket + 1) * window - current + 0.999))
        raise RateLimited(f"integration key over its rate limit of {spec}", retry_after=retry_after)
