"""`klaxon oncall` and `klaxon schedules gaps`: the schedule questions, answered from the command line.

They answer through `app.escalation.schedule_service`, as the API does, so `klaxon oncall --json` prints the very
JSON `GET /api/v1/schedules/<id>/oncall` returns.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

from app.escalation import schedule_service as service
from app.platform.clock import isoformat, utc_now
from app.platform.errors import KlaxonError
from app.platform.runtime import Runtime


def register(main: click.Group) -> None:
    """Add `oncall` and the `schedules` group to the `klaxon` command."""
    main.add_command(oncall_command)
    main.add_command(schedules_group)


def _runtime() -> Runtime:
    return current_app.extensions["klaxon"]  # type: ignore[no-any-return]


def _instant_option(value: str | None, field: str) -> datetime:
    """The option's instant (no offset means UTC), or now to the second when it is not given."""
    if value is None:
        return utc_now().replace(microsecond=0)
    try:
        return service.instant_field(value, field=field)
    except KlaxonError as error:
        raise click.BadParameter(error.message.split(": ", 1)[-1], param_hint=f"--{field}") from None


@click.command("oncall")
@click.argument("schedule_id", metavar="SCHEDULE")
@click.option("--at", "at_text", metavar="ISO", help="The instant to ask about (default now; no offset means UTC).")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON answer.")
@with_appcontext
def oncall_command(schedule_id: str, at_text: str | None, as_json: bool) -> None:
    """Print who is on call for SCHEDULE, one user id per line."""
    at = _instant_option(at_text, "at")
    with _runtime().session() as session:
        try:
            answer = service.oncall_answer(session, schedule_id=schedule_id, at=at)
        except KlaxonError as error:
            raise click.ClickException(error.message) from None
    if as_json:
        # Compact, as Flask's jsonify writes it, so the bytes match the API's as well as the values.
        click.echo(json.dumps(answer, separators=(",", ":")))
        return
    for user_id in answer["oncall"]:
        click.echo(user_id)
    if not answer["oncall"]:
        # stderr: a script reading stdout gets an empty list, a person gets told why.
        click.echo(f"nobody is on call for {schedule_id} at {answer['at']}", err=True)


@click.group("schedules")
def schedules_group() -> None:
    """On-call schedules."""


@schedules_group.command("gaps")
@click.option("--days", type=click.IntRange(1, service.MAX_WINDOW.days), default=7, show_default=True,
              help="How many days ahead to look.")
@click.option("--start", "start_text", metavar="ISO", help="Look from this instant instead of now.")
@with_appcontext
def gaps_command(days: int, start_text: str | None) -> None:
    """List the coming spans with nobody on call, for every schedule."""
    start_at = _instant_option(start_text, "start")
    end_at = start_at + timedelta(days=days)
    with _runtime().session() as session:
        found = service.coming_gaps(session, start_at=start_at, end_at=end_at)
    lines = [f"{schedule_id}  {isoformat(begin)} -> {isoformat(end)}  ({_span(end - begin)})"
             for schedule_id, gaps in found.items() for begin, end in gaps]
    if not lines:
        click.echo(f"no gaps in the next {days} days" if start_text is None else
                   f"no gaps from {isoformat(start_at)} to {isoformat(end_at)}")
    for line in lines:
        click.echo(line)


def _span(length: timedelta) -> str:
    """`2d 3h 15m`: how long a gap lasts, to the minute."""
    minutes = int(length.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days}d"] if days else []
    parts += [f"{hours}h"] if hours or days else []
    return " ".join([*parts, f"{minutes}m"])
