"""The `klaxon` command's entry point: `klaxon worker` without the web app, everything else `app.cli`."""

from __future__ import annotations

import sys


def main() -> None:
    """Dispatch `klaxon worker` before Flask and the web app are imported; the rest to app.cli's group."""
    if sys.argv[1:2] == ["worker"]:
        from app.worker_command import worker_command

        worker_command.main(args=sys.argv[2:], prog_name="klaxon worker")
        return
    from app.cli import main as cli

    cli()
