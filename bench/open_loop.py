"""Open-loop senders: request n starts at t0 + n/rate whether or not earlier answers came back, as
monitoring tools send alerts; when the senders fall behind, the lag is recorded, not hidden."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from bench.api import Api


@dataclass
class Sent:
    """One request: when it was due and when it started (time.time()), and how it was answered."""

    name: str
    scheduled_at: float
    posted_at: float = 0.0
    answered_at: float = 0.0
    accepted: bool = False
    dropped: int = 0
    drops: tuple[str, ...] = ()


def send_open_loop(base_url: str, path: str, bodies: list[Any], rate: float, *,
                   on_accepted: Callable[[str, Any], None] | None = None,
                   name_of: Callable[[Any], str] = lambda body: str(body["dedup_key"])) -> list[Sent]:
    """POST each body at `rate` per second from enough keep-alive connections to keep the schedule
    while answers take up to 0.1 s (at least 4, at most 32); returns when every request has been answered."""
    senders = max(4, min(32, math.ceil(rate / 10)))
    start = time.time() + 0.2
    sent = [Sent(name_of(body), start + n / rate) for n, body in enumerate(bodies)]

    def run(first: int) -> None:
        api = Api(base_url)
        for n in range(first, len(bodies), senders):
            time.sleep(max(0.0, sent[n].scheduled_at - time.time()))
            before = api.dropped
            sent[n].posted_at = time.time()
            try:
                status, answer = api.request("POST", path, bodies[n])
            except OSError:
                status, answer = 0, None
            sent[n].answered_at = time.time()
            sent[n].dropped = api.dropped - before
            sent[n].drops = tuple(api.drops[before:])
            sent[n].accepted = 200 <= status < 300
            if sent[n].accepted and on_accepted is not None:
                on_accepted(sent[n].name, answer)

    threads = [threading.Thread(target=run, args=(first,)) for first in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sent
