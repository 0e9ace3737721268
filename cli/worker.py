"""`klaxon worker`, kept apart from the rest of the CLI: it imports neither Flask nor the web app.

The `klaxon` command (`cli.main`) runs this one directly, so a cold worker spends its start-up
importing only what sends pages (measured: 0.4 s less on 2 shared cores, issue 9's start-up figure).
`klaxon --help` still lists it: cli.commands adds the same command to its group.
"""

from __future__ import annotations

import importlib

import click

from app.platform.settings import Settings


@click.command("worker")
@click.option("--burst", is_flag=True, help="Process what is queued and due, then exit (for tests).")
def worker_command(burst: bool) -> None:
    """Run the RQ workers (escalation, one per channel), the RQ scheduler and the sweeper as threads of one process."""
    # app never imports workers (STYLE.md); the command finds it by name.
    importlib.import_module("workers.process").run(Settings.from_env(), burst=burst)
