"""The `klaxon` command's entry point: `klaxon worker` without the web app, everything else `cli.commands`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def main() -> None:
    """Dispatch `klaxon worker` before Flask and the web app are imported; the rest to cli.commands's group."""
    if sys.argv[1:2] in (["web"], ["worker"]):
        share_metrics(Path("var/metrics"))
    if sys.argv[1:2] == ["worker"]:
        from cli.worker import worker_command

        worker_command.main(args=sys.argv[2:], prog_name="klaxon worker")
        return
    from cli.commands import main as cli

    cli()


def share_metrics(default: Path) -> None:
    """Let this host's web and worker processes add up their counters in one folder (app/platform/metrics.py),
    `default` unless the environment names one. Here, before anything imports prometheus_client: it
    picks where to keep its counters when it is imported."""
    folder = Path(os.environ.setdefault(METRICS_DIR, str(default.resolve())))
    folder.mkdir(parents=True, exist_ok=True)
