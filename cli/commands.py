"""The `klaxon` command (a Flask CLI group): apply, token, classify, oncall, simulate, review, web, worker, db."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from typing import Any

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from app.platform.runtime import Runtime
from app.platform.settings import Settings
from app.web.factory import create_app
from cli.worker import worker_command


def _runtime() -> Runtime:
    return current_app.extensions["klaxon"]  # type: ignore[no-any-return]


@click.group(cls=FlaskGroup, create_app=lambda: create_app(), add_default_commands=False, add_version_option=False)
def main() -> None:
    """Klaxon: incident on-call paging."""


@main.command("apply")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Print the changes only.")
@with_appcontext
def apply_command(file: str, dry_run: bool) -> None:
    """Apply a configuration file (users, schedules, policies, services, classification)."""
    from app.configuration import run_apply

    sys.exit(run_apply(_runtime().session, file, dry_run, sys.stdout))


@main.group("token")
def token_group() -> None:
    """API tokens."""


@token_group.command("create")
@click.option("--user", "user_id", required=True, help="The user id the token acts as.")
@click.option("--role", type=click.Choice(["responder", "commander", "admin"]), required=True)
@with_appcontext
def token_create(user_id: str, role: str) -> None:
    """Create an API token; it is printed once, alone on the last line."""
    from app.platform.clock import utc_now
    from app.platform.errors import KlaxonError
    from app.web.tokens import create_token

    with _runtime().session() as session:
        try:
            token = create_token(session, user_id=user_id, role=role, now=utc_now())
        except KlaxonError as error:
            raise click.ClickException(error.message) from None
        session.commit()
    click.echo(f"Created a {role} token for {user_id}. It is shown once; keep it secret:")
    click.echo(token)


@main.command("classify")
@click.option("--service", "service_id", required=True)
@click.argument("file", default="-", type=click.File("r"))
@with_appcontext
def classify_command(service_id: str, file: Any) -> None:
    """Classify a PagerDuty v2 or generic event without creating anything; prints JSON."""
    from app.ingest.classification import classification_policy
    from app.ingest.classifier import classify_event
    from app.models import Service
    from integrations.inbound import InvalidEvent, parse_generic, parse_pagerduty

    try:
        body = json.load(file)
    except ValueError as error:
        raise click.ClickException(f"the input is not valid JSON: {error}") from None
    if not isinstance(body, dict):
        raise click.ClickException("the input must be a JSON object")
    with _runtime().session() as session:
        if session.get(Service, service_id) is None:
            raise click.ClickException(f"unknown service {service_id!r}")
        try:
            event = parse_pagerduty(body)[1] if "routing_key" in body or "event_action" in body else parse_generic(body)
        except InvalidEvent as error:
            raise click.ClickException(f"{error}: {'; '.join(error.errors)}") from None
        result = classify_event(classification_policy(session), event)
    click.echo(json.dumps({"service": service_id, "severity": result.severity, "rule": result.rule,
                           "reason": result.reason}, indent=2))


@main.command("simulate")
@click.option("--service", "service_id", required=True)
@click.option("--severity", required=True, help="SEV1 .. SEV4")
@click.option("--at", "at_text", default=None, help="When the incident opens (ISO 8601; default now).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@with_appcontext
def simulate_command(service_id: str, severity: str, at_text: str | None, as_json: bool) -> None:
    """Who would be paged when, on which channel, if nobody acknowledges (changes nothing)."""
    from app.escalation.simulation import format_offset, simulate
    from app.platform.clock import isoformat, parse_instant, utc_now
    from app.platform.errors import KlaxonError

    try:
        at = parse_instant(at_text) if at_text else utc_now()
    except ValueError:
        raise click.ClickException(f"--at must be an ISO 8601 instant, not {at_text!r}") from None
    with _runtime().session() as session:
        try:
            pages = simulate(session, service_id=service_id, severity=severity, at=at)
        except KlaxonError as error:
            raise click.ClickException(error.message) from None
    if as_json:
        click.echo(json.dumps([{"at": isoformat(p.at), "level": p.level, "recipient": p.recipient,
                                "channel": p.channel, "note": p.note} for p in pages], indent=2))
        return
    click.echo(f"{severity} incident on {service_id} opened {isoformat(at)}, never acknowledged:")
    for page in pages:
        level = f"level {page.level}" if page.level else "trigger"
        click.echo(f"  {format_offset(page.at - at):>8}  {isoformat(page.at)}  {level:<8} {page.recipient:<16} "
                   f"{page.channel:<6} {page.note}".rstrip())


@main.command("review")
@click.argument("incident_id", type=int)
@with_appcontext
def review_command(incident_id: int) -> None:
    """Print the post-incident review of an incident as Markdown (as GET /incidents/<id>/review.md)."""
    from app.incidents.review import render_review
    from app.incidents.review_data import load_review
    from app.platform.clock import utc_now

    with _runtime().session() as session:
        data = load_review(session, incident_id)
    if data is None:
        raise click.ClickException(f"no incident {incident_id}")
    click.echo(render_review(data, now=utc_now()), nl=False)


# Log the path only: calendar feed tokens travel in query strings.
ACCESS_LOG_FORMAT = '%(addr)s [%(time)s] "%(method)s %(path)s %(protocol)s" %(status)d %(dt_ms).1fms'


@main.command("web")
@click.option("--workers", type=int, default=None,
              help="Worker processes (default: one per core, at most 4; one on SQLite).")
@click.option("--threads", type=int, default=None, help="Request threads per worker (default 8).")
def web_command(workers: int | None, threads: int | None) -> None:
    """Serve the web app with granian's WSGI server (chosen by bench/wsgi_servers.py)."""
    args = granian_args(Settings.from_env(), workers, threads, os.environ)
    os.execvp(sys.executable, [sys.executable, "-m", *args])


def granian_args(settings: Settings, workers: int | None, threads: int | None,
                 environ: Mapping[str, str]) -> list[str]:
    """granian's command line for `klaxon web`."""
    # A request is CPU-bound Python: a process per core. Threads cover the database round trips and
    # keep monitoring tools' keep-alive connections open; granian's Rust front end holds idle ones.
    # SQLite takes one writer at a time: a second process adds no throughput, only writers that meet
    # in SQLite's sleeping busy handler instead of the process's own queue (app/platform/sqlite_writers.py);
    # bench/ingest.py: p99 221 ms with two processes, 18 ms with one, at the same rate.
    cores = 1 if settings.database_url.startswith("sqlite") else min(4, os.cpu_count() or 1)
    count = workers or int(environ.get("WEB_CONCURRENCY", cores))
    per_worker = threads or int(environ.get("WEB_THREADS", 8))
    return ["granian", "--interface", "wsgi", "--host", "0.0.0.0", "--port", str(settings.port),
            "--workers", str(count), "--blocking-threads", str(per_worker), "--respawn-failed-workers",
            "--workers-kill-timeout", "20", "--access-log", "--access-log-fmt", ACCESS_LOG_FORMAT, "wsgi:app"]


main.add_command(worker_command)  # `klaxon worker` itself starts through cli.main, without this module


@main.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the latest schema."""
    from app.platform.migrate import upgrade

    settings = Settings.from_env()
    upgrade(settings.database_url)
    click.echo("database is up to date")


from cli.schedules import register as register_schedule_commands  # noqa: E402 - needs `main` defined

register_schedule_commands(main)


if __name__ == "__main__":
    main()
