"""Slash commands: `/oncall [schedule]` and `/incident <verb> ...`, parsed from Slack's form fields.

Slack sends `command`, `text`, `user_id`, `channel_id`, `response_url`, `trigger_id` (and more) as
`application/x-www-form-urlencoded`. Slack escapes `&`, `<` and `>` that people type, and sends
user mentions as `<@U123|name>` (or `<@U123>`) when the command escapes them, `@name` otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from integrations.slack.interactions import SlackPayloadError

SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")  # as app.ingest.classifier.SEVERITIES: integrations import nothing of app
USAGE = (
    "*Usage*\n"
    "• `/incident declare SEV1 TITLE` — declare an incident (SEV1 to SEV4)\n"
    "• `/incident ack ID` · `/incident resolve ID` · `/incident escalate ID`\n"
    "• `/incident sev ID SEV2` — change the severity\n"
    "• `/incident commander ID @user` — make someone the incident commander\n"
    "• `/incident note ID TEXT` — add a note to the timeline\n"
    "• `/incident responders ID @a @b [MESSAGE]` — page more people, without escalating\n"
    "• `/incident update ID TEXT` — a status update for the subscribers and the incident's channel\n"
    "• `/oncall [SCHEDULE]` — who is on call now"
)
_VERB_ALIASES = {"acknowledge": "ack", "severity": "sev"}
_INCIDENT_VERBS = ("declare", "ack", "resolve", "escalate", "sev", "commander", "note", "responders", "update")
_ESCAPED_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|([^>]*))?>$")
_PLAIN_MENTION = re.compile(r"^@?([a-z0-9][a-z0-9._-]*)$", re.IGNORECASE)


class SlashCommandUsageError(ValueError):
    """The command was used wrongly; str(error) is the reply to show: what was wrong, then the usage."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"{problem}\n\n{USAGE}")
        self.problem = problem


@dataclass(frozen=True)
class SlashCommand:
    """One parsed slash command and who sent it from where."""

    command: str  # /oncall | /incident
    verb: str  # oncall | declare | ack | resolve | escalate | sev | commander | note | responders | update
    slack_user_id: str
    channel_id: str = ""
    response_url: str = ""
    incident_id: int | None = None
    severity: str | None = None  # declare, sev: SEV1..SEV4
    text: str | None = None  # declare: the title; note, update: the text; responders: the message (unescaped)
    schedule: str | None = None  # /oncall SCHEDULE
    target_user: str | None = None  # commander: a Slack user id when Slack escaped it, else the name
    target_is_slack_id: bool = False
    responders: tuple[tuple[str, bool], ...] = ()  # responders: (Slack user id or name, is a Slack id) each


def ephemeral_reply(text: str) -> dict[str, str]:
    """The JSON body answering a slash command with a message only its sender sees."""
    return {"response_type": "ephemeral", "text": text}


def parse_command(form: Mapping[str, str]) -> SlashCommand:
    """Parse a slash command's form fields; raise SlashCommandUsageError with a helpful reply if misused."""
    user_id = (form.get("user_id") or "").strip()
    if not user_id:
        raise SlackPayloadError("slash command without user_id")
    command = (form.get("command") or "").strip().lower()
    sender = SlashCommand(
        command=command,
        verb="",
        slack_user_id=user_id,
        channel_id=(form.get("channel_id") or "").strip(),
        response_url=(form.get("response_url") or "").strip(),
    )
    text = (form.get("text") or "").strip()
    if command == "/oncall":
        words = text.split()
        if len(words) > 1:
            raise SlashCommandUsageError(f"`/oncall` takes at most one schedule id, got `{text}`.")
        return replace(sender, verb="oncall", schedule=words[0] if words else None)
    if command == "/incident":
        return _parse_incident(text, sender)
    raise SlashCommandUsageError(f"Unknown command `{command or '(none)'}`.")


def _parse_incident(text: str, sender: SlashCommand) -> SlashCommand:
    words = text.split()
    if not words or words[0].lower() == "help":
        raise SlashCommandUsageError("Tell me what to do with an incident.")
    verb = _VERB_ALIASES.get(words[0].lower(), words[0].lower())
    if verb not in _INCIDENT_VERBS:
        raise SlashCommandUsageError(f"Unknown action `{words[0]}`.")
    if verb == "declare":
        parts = text.split(None, 2)
        if len(parts) < 3:
            raise SlashCommandUsageError(
                "`declare` needs a severity and a title, e.g. `/incident declare SEV2 Checkout is down`."
            )
        return replace(sender, verb=verb, severity=_severity(parts[1]), text=_unescape(parts[2]))
    if len(words) < 2:
        raise SlashCommandUsageError(f"`{verb}` needs an incident id, e.g. `/incident {verb} 42`.")
    incident_id = _incident_id(words[1])
    if verb in ("ack", "resolve", "escalate"):
        if len(words) != 2:
            raise SlashCommandUsageError(f"`{verb}` takes only an incident id, e.g. `/incident {verb} 42`.")
        return replace(sender, verb=verb, incident_id=incident_id)
    if verb == "sev":
        if len(words) != 3:
            raise SlashCommandUsageError("`sev` needs an incident id and a severity, e.g. `/incident sev 42 SEV2`.")
        return replace(sender, verb=verb, incident_id=incident_id, severity=_severity(words[2]))
    if verb == "commander":
        if len(words) != 3:
            raise SlashCommandUsageError(
                "`commander` needs an incident id and one person, e.g. `/incident commander 42 @alice`."
            )
        target, is_slack_id = _user(words[2])
        return replace(
            sender, verb=verb, incident_id=incident_id, target_user=target, target_is_slack_id=is_slack_id
        )
    if verb == "responders":
        return _parse_responders(text, replace(sender, verb=verb, incident_id=incident_id))
    parts = text.split(None, 2)  # note, update: keep the text's own spacing
    if len(parts) < 3:
        example = "rolled back" if verb == "note" else "failover done, watching replication"
        raise SlashCommandUsageError(f"`{verb}` needs an incident id and the text, e.g. `/incident {verb} 42 {example}`.")
    return replace(sender, verb=verb, incident_id=incident_id, text=_unescape(parts[2]))


def _parse_responders(text: str, command: SlashCommand) -> SlashCommand:
    """`responders 42 @a @b need eyes on the DB`: the mentions, then the message (optional)."""
    rest = text.split(None, 2)[2] if len(text.split(None, 2)) > 2 else ""
    people: list[tuple[str, bool]] = []
    while rest:
        word, _, after = rest.partition(" ")
        if not (_ESCAPED_MENTION.match(word) or word.startswith("@")):
            break
        people.append(_user(word))
        rest = after.strip()
    if not people:
        raise SlashCommandUsageError("`responders` needs an incident id and at least one person, "
                                     "e.g. `/incident responders 42 @alice @bob need eyes on the DB`.")
    return replace(command, responders=tuple(people), text=_unescape(rest) or None)


def _incident_id(word: str) -> int:
    digits = word.removeprefix("#")
    if not digits.isascii() or not digits.isdigit() or int(digits) == 0:
        raise SlashCommandUsageError(f"`{word}` is not an incident id; use the number, e.g. `42`.")
    return int(digits)


def _severity(word: str) -> str:
    severity = word.upper()
    if severity not in SEVERITIES:
        raise SlashCommandUsageError(f"`{word}` is not a severity; use one of {', '.join(SEVERITIES)}.")
    return severity


def _user(word: str) -> tuple[str, bool]:
    escaped = _ESCAPED_MENTION.match(word)
    if escaped:
        return escaped.group(1), True
    plain = _PLAIN_MENTION.match(word)
    if plain:
        return plain.group(1), False
    raise SlashCommandUsageError(f"`{word}` is not a person; mention them, e.g. `@alice`.")


def _unescape(text: str) -> str:
    # Undo Slack's escaping of what people typed; `&amp;` last so "&amp;lt;" stays "&lt;".
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
