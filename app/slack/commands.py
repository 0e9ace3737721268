"""Slash commands from Slack (`/oncall [schedule]`, `/incident <verb> ...`), run as the sender's Klaxon user.

Slack users are Klaxon users through `slack_user_id`. Roles follow CONTRACT section 6: every linked
user may acknowledge, resolve, escalate (the Escalate button is on every page, so typing it is
allowed too) and add notes; declaring, changing the severity and naming a commander need the
commander role, which in Slack means holding an unrevoked commander or admin API token, or, for an
incident's severity and commander, being that incident's commander. `/oncall` answers anyone in the
workspace: who to call is no secret. Every answer is ephemeral, and a refused command changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from app.escalation.oncall import oncall_users
from app.incidents import command as incident_command
from app.incidents import lifecycle as incidents
from app.incidents import severity as severities
from app.incidents.responders import act
from app.models import ApiToken, Incident, ScheduleRecord, Service, User
from app.platform.credentials import ROLES
from app.platform.errors import KlaxonError
from integrations.slack import SlashCommand, SlashCommandUsageError, parse_command
from integrations.slack.messages import escape

ACTIONS = {"ack": "acknowledge", "resolve": "resolve", "escalate": "escalate"}
NOT_LINKED = ("Your Slack account is not linked to a Klaxon user, so I can't act for you. Ask a Klaxon admin "
              "to add `slack_user_id: {slack_user_id}` to your user in the configuration and apply it.")


@dataclass(frozen=True)
class CommandReply:
    """The ephemeral answer, and whether the command changed anything (the caller commits only then)."""

    text: str
    changed: bool = False


def linked_user(session: Session, slack_user_id: str) -> User | None:
    """The Klaxon user whose `slack_user_id` this is, or None."""
    return session.exec(select(User).where(col(User.slack_user_id) == slack_user_id)
                        .order_by(col(User.id)).limit(1)).first()


def slack_role(session: Session, user_id: str) -> str:
    """The user's role in Slack: the highest of their unrevoked API tokens; a linked user is a responder."""
    roles = session.exec(select(ApiToken.role).where(
        col(ApiToken.user_id) == user_id, col(ApiToken.revoked_at).is_(None))).all()
    return max((r for r in roles if r in ROLES), key=ROLES.index, default="responder")


def run_command(session: Session, *, form: Mapping[str, str], now: datetime) -> CommandReply:
    """Run one slash command (its form fields) and say what happened, or how to use it."""
    try:
        command = parse_command(form)
    except SlashCommandUsageError as error:
        return CommandReply(str(error))
    if command.verb == "oncall":
        return CommandReply(oncall_text(session, schedule_id=command.schedule, now=now))
    user = linked_user(session, command.slack_user_id)
    if user is None:
        return CommandReply(NOT_LINKED.format(slack_user_id=command.slack_user_id))
    try:
        return _VERBS[command.verb](session, command, user, form, now)
    except KlaxonError as error:
        return CommandReply(f"Nothing changed: {escape(error.message)}.")


def oncall_text(session: Session, *, schedule_id: str | None, now: datetime) -> str:
    """Who is on call now, for one schedule or for each."""
    known = list(session.exec(select(ScheduleRecord.id).order_by(col(ScheduleRecord.id))).all())
    if schedule_id is not None and schedule_id not in known:
        listed = ", ".join(f"`{s}`" for s in known) or "none yet"
        return f"There is no schedule `{escape(schedule_id)}`. Schedules: {listed}."
    if not known:
        return "There are no schedules yet."
    lines = [f"• `{sid}`: {_people(session, oncall_users(session, sid, now))}"
             for sid in ([schedule_id] if schedule_id else known)]
    return "*On call now*\n" + "\n".join(lines)


def _people(session: Session, user_ids: tuple[str, ...]) -> str:
    shown = []
    for user_id in user_ids:
        user = session.get(User, user_id)
        name = escape(user.name if user else user_id)
        shown.append(f"{name} (<@{user.slack_user_id}>)" if user and user.slack_user_id else name)
    return ", ".join(shown) or "nobody"


def _may_command(session: Session, user: User, incident: Incident | None = None) -> bool:
    if incident is not None and incident.commander == user.id:
        return True
    return ROLES.index(slack_role(session, user.id)) >= ROLES.index("commander")


def _refused(what: str, user: User) -> CommandReply:
    return CommandReply(f"Only commanders can {what}. Ask one, or have an admin run "
                        f"`klaxon token create --user {user.id} --role commander`.")


def _declare(session: Session, command: SlashCommand, user: User, form: Mapping[str, str],
             now: datetime) -> CommandReply:
    if not _may_command(session, user):
        return _refused("declare incidents", user)
    service, title = _service_and_title(session, command.text or "", form)
    if service is None:
        return CommandReply(title)
    incident = incidents.declare(session, service_id=service.id, title=title, severity=command.severity or "",
                                 user_id=user.id, now=now)
    return CommandReply(f"Declared incident #{incident.id} ({incident.severity}) on *{escape(service.name)}*: "
                        f"{escape(incident.title)}. You are its commander; the on-call is being paged.", True)


def _service_and_title(session: Session, text: str, form: Mapping[str, str]) -> tuple[Service | None, str]:
    """The service named by a leading `service:ID`, else the one whose slack_channel this is; else why not."""
    first, _, rest = text.partition(" ")
    services = list(session.exec(select(Service).order_by(col(Service.id))).all())
    if first.startswith("service:"):
        wanted = first[len("service:"):]
        found = next((s for s in services if s.id == wanted), None)
        if found is None:
            return None, f"There is no service `{escape(wanted)}`. Services: {_listed(services)}."
        return (found, rest.strip()) if rest.strip() else (None, "Give the incident a title after the service.")
    here = {form.get("channel_id", ""), "#" + form.get("channel_name", "")} - {"", "#"}
    matches = [s for s in services if s.slack_channel and s.slack_channel in here]
    if len(matches) == 1:
        return matches[0], text
    why = ("several services use this channel" if matches
           else "this channel is not the Slack channel of any service")
    return None, (f"I can't tell which service this incident is for: {why}. Name it first, e.g. "
                  f"`/incident declare SEV1 service:ID {escape(text)}`. Services: {_listed(matches or services)}.")


def _listed(services: list[Service]) -> str:
    return ", ".join(f"`{s.id}`" for s in services) or "none yet"


def _respond(session: Session, command: SlashCommand, user: User, form: Mapping[str, str],
             now: datetime) -> CommandReply:
    outcome = act(session, incident_id=command.incident_id or 0, user_id=user.id, action=ACTIONS[command.verb],
                  now=now)
    return CommandReply(outcome.message, outcome.changed)


def _severity(session: Session, command: SlashCommand, user: User, form: Mapping[str, str],
              now: datetime) -> CommandReply:
    incident = incidents.get(session, command.incident_id or 0)
    if not _may_command(session, user, incident):
        return _refused("change the severity", user)
    previous = incident.severity
    severities.change_severity(session, incident_id=incident.id or 0, severity=command.severity or "",
                              user_id=user.id, now=now)
    if previous == incident.severity:
        return CommandReply(f"Incident #{incident.id} is already {previous}.")
    return CommandReply(f"Incident #{incident.id} is now {incident.severity} (was {previous}).", True)


def _commander(session: Session, command: SlashCommand, user: User, form: Mapping[str, str],
               now: datetime) -> CommandReply:
    incident = incidents.get(session, command.incident_id or 0)
    if not _may_command(session, user, incident):
        return _refused("name the incident commander", user)
    target = (linked_user(session, command.target_user or "") if command.target_is_slack_id
              else session.get(User, command.target_user or ""))
    if target is None:
        who = f"<@{command.target_user}>" if command.target_is_slack_id else f"`{escape(command.target_user or '')}`"
        return CommandReply(f"{who} is not a Klaxon user: mention someone whose Slack account is linked, "
                            "or use their Klaxon id.")
    incidents.assign_commander(session, incident_id=incident.id or 0, commander_id=target.id, user_id=user.id, now=now)
    return CommandReply(f"{escape(target.name)} is now the commander of incident #{incident.id}.", True)


def _note(session: Session, command: SlashCommand, user: User, form: Mapping[str, str],
          now: datetime) -> CommandReply:
    incidents.add_note(session, incident_id=command.incident_id or 0, user_id=user.id, text=command.text or "",
                       now=now)
    return CommandReply(f"Note added to incident #{command.incident_id}.", True)


def _responders(session: Session, command: SlashCommand, user: User, form: Mapping[str, str],
                now: datetime) -> CommandReply:
    incident = incidents.get(session, command.incident_id or 0)
    if not _may_command(session, user, incident):
        return _refused("add responders", user)
    targets = []
    for name, is_slack_id in command.responders:
        person = linked_user(session, name) if is_slack_id else session.get(User, name)
        if person is None:
            who = f"<@{name}>" if is_slack_id else f"`{escape(name)}`"
            return CommandReply(f"{who} is not a Klaxon user: mention someone whose Slack account is linked, "
                                "or use their Klaxon id. Nobody was paged.")
        targets.append(f"user:{person.id}")
    incident_command.add_responders(session, incident_id=incident.id or 0, targets=targets, message=command.text,
                                    user_id=user.id, now=now)
    return CommandReply(f"Paging {', '.join(t[5:] for t in dict.fromkeys(targets))} for incident #{incident.id}.",
                        True)


def _update(session: Session, command: SlashCommand, user: User, form: Mapping[str, str],
            now: datetime) -> CommandReply:
    incident = incidents.get(session, command.incident_id or 0)
    if not _may_command(session, user, incident):
        return _refused("post status updates", user)
    incident_command.post_status_update(session, incident_id=incident.id or 0, text=command.text or "",
                                        user_id=user.id, now=now)
    return CommandReply(f"Status update posted on incident #{incident.id}; the subscribers are being told.", True)


_VERBS: dict[str, Callable[[Session, SlashCommand, User, Mapping[str, str], datetime], CommandReply]] = {
    "declare": _declare, "ack": _respond, "resolve": _respond, "escalate": _respond,
    "sev": _severity, "commander": _commander, "note": _note, "responders": _responders, "update": _update,
}
