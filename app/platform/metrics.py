"""Prometheus metrics: counters and histograms kept where the work happens, read for free at scrape.

`klaxon web` and `klaxon worker` count as they go (alerts accepted, pages sent or failed, how long a
first page took, how late a ladder step ran); a scrape only adds them up, with no query of the
database. The processes of one host share `PROMETHEUS_MULTIPROC_DIR` (prometheus_client's
multiprocess mode; the `klaxon` command sets it to `var/metrics` for `web` and `worker` unless it is
set, before prometheus_client is imported), so the web's `/metrics` shows the workers' pages too;
scrape every web host. A counter counts when the work
is recorded, before its transaction commits: a rollback that follows (rare) leaves it one high.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.registry import REGISTRY, Collector

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

ALERTS_ACCEPTED = Counter("klaxon_alerts_accepted", "Alerts accepted, by integration.", ["integration"])
PAGES = Counter("klaxon_pages", "Pages handed to a provider, by channel and outcome (sent, retry, failed).",
                ["channel", "outcome"])
FIRST_PAGE_SECONDS = Histogram("klaxon_first_page_seconds",
                               "From an incident's creation to each of its level-1 pages sent.",
                               buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300))
ESCALATION_LATENESS_SECONDS = Histogram("klaxon_escalation_lateness_seconds",
                                        "From when a ladder step fell due to when it ran.",
                                        buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60))


def exposition(extra: Collector) -> bytes:
    """The text a scrape gets: every process's counters (one process's without a shared directory),
    and `extra`'s figures read now."""
    if os.environ.get(MULTIPROCESS_DIR):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(extra)
        return generate_latest(registry)
    return generate_latest(REGISTRY) + generate_latest(_Only(extra))


class _Only(CollectorRegistry):
    """A registry of one collector, read once."""

    def __init__(self, collector: Collector) -> None:
        super().__init__(auto_describe=False)
        self.register(collector)

