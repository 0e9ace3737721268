"""Slash commands as Slack sends them: /oncall [schedule] and /incident <verb> ..."""

from __future__ import annotations

import pytest

from integrations.slack.commands import (
    SlashCommand,
    SlashCommandUsageError,
    ephemeral_reply,
    parse_command,
)

# Slack's slash command form fields (values as Slack sends them, already URL-decoded).
FORM = {
    "token": "gIkuvaNzQIHg97ATvDxqgjtO",
    "team_id": "T0KLAXON",
    "team_domain": "klaxon-test",
    "enterprise_id": "",
    "channel_id": "C0CHECKOUT",
    "channel_name": "checkout-alerts",
    "user_id": "U0ALICE",
    "user_name": "alice",
    "command": "/incident",
    "text": "",
    "api_app_id": "A0KLAXON",
    "is_enterprise_install": "false",
    "response_url": "https://hooks.slack.com/commands/T0KLAXON/1234567890/abcdefABCDEF",
    "trigger_id": "13345224609.738474920.8088930838d88f008e0",
}
WHO = {"slack_user_id": "U0ALICE", "channel_id": "C0CHECKOUT",
       "response_url": "https://hooks.slack.com/commands/T0KLAXON/1234567890/abcdefABCDEF"}


def parse(text: str, command: str = "/incident") -> SlashCommand:
    return parse_command({**FORM, "command": command, "text": text})


@pytest.mark.parametrize(
    ("command", "text", "expected"),
    [
        ("/oncall", "", {"verb": "oncall"}),
        ("/oncall", "checkout-primary", {"verb": "oncall", "schedule": "checkout-primary"}),
        ("/incident", "declare SEV1 Checkout   is down", {"verb": "declare", "severity": "SEV1",
                                                           "text": "Checkout   is down"}),
        ("/incident", "declare sev2 Payments &amp; refunds &lt;EU&gt;", {"verb": "declare", "severity": "SEV2",
                                                                        "text": "Payments & refunds <EU>"}),
        ("/incident", "ack 42", {"verb": "ack", "incident_id": 42}),
        ("/incident", "acknowledge #42", {"verb": "ack", "incident_id": 42}),
        ("/incident", "RESOLVE 42", {"verb": "resolve", "incident_id": 42}),
        ("/incident", "escalate 42", {"verb": "escalate", "incident_id": 42}),
        ("/incident", "sev 42 sev3", {"verb": "sev", "incident_id": 42, "severity": "SEV3"}),
        ("/incident", "commander 42 <@U0DAVE|dave>", {"verb": "commander", "incident_id": 42,
                                                      "target_user": "U0DAVE", "target_is_slack_id": True}),
        ("/incident", "commander 42 <@W0DAVE>", {"verb": "commander", "incident_id": 42,
                                                 "target_user": "W0DAVE", "target_is_slack_id": True}),
        ("/incident", "commander 42 @dave.smith", {"verb": "commander", "incident_id": 42,
                                                   "target_user": "dave.smith", "target_is_slack_id": False}),
        ("/incident", "note 42 rolled back to v1.2 &amp; watching", {"verb": "note", "incident_id": 42,
                                                                     "text": "rolled back to v1.2 & watching"}),
    ],
)
def test_valid_commands_parse(command: str, text: str, expected: dict[str, object]) -> None:
    assert parse(text, command) == SlashCommand(command=command, **{**WHO, **expected})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("command", "text", "problem"),
    [
        ("/incident", "", "Tell me what to do"),
        ("/incident", "help", "Tell me what to do"),
        ("/incident", "reboot 42", "Unknown action `reboot`"),
        ("/incident", "declare SEV1", "needs a severity and a title"),
        ("/incident", "declare SEV9 Checkout down", "`SEV9` is not a severity"),
        ("/incident", "declare Checkout is down", "`Checkout` is not a severity"),
        ("/incident", "ack", "`ack` needs an incident id"),
        ("/incident", "ack forty-two", "`forty-two` is not an incident id"),
        ("/incident", "ack 0", "`0` is not an incident id"),
        ("/incident", "resolve 42 now please", "`resolve` takes only an incident id"),
        ("/incident", "sev 42", "`sev` needs an incident id and a severity"),
        ("/incident", "sev 42 critical", "`critical` is not a severity"),
        ("/incident", "commander 42", "`commander` needs an incident id and one person"),
        ("/incident", "commander 42 <#C0CHAN|general>", "is not a person"),
        ("/incident", "note 42", "`note` needs an incident id and the text"),
        ("/oncall", "checkout primary", "at most one schedule"),
        ("/page", "alice", "Unknown command `/page`"),
    ],
)
def test_misuse_replies_with_what_was_wrong_and_the_correct_forms(command: str, text: str, problem: str) -> None:
    with pytest.raises(SlashCommandUsageError) as caught:
        parse(text, command)
    reply = str(caught.value)
    assert problem in caught.value.problem
    assert reply.startswith(caught.value.problem)
    for form in ("/incident declare SEV1 TITLE", "/incident ack ID", "/incident sev ID SEV2",
                 "/incident commander ID @user", "/incident note ID TEXT", "/oncall [SCHEDULE]"):
        assert form in reply


def test_ephemeral_reply_is_seen_only_by_the_sender() -> None:
    assert ephemeral_reply("Acknowledged #42") == {"response_type": "ephemeral", "text": "Acknowledged #42"}


def test_a_form_without_user_id_is_not_a_slack_command() -> None:
    from integrations.slack.interactions import SlackPayloadError

    with pytest.raises(SlackPayloadError, match="user_id"):
        parse_command({**FORM, "user_id": "", "text": "ack 42"})


def test_responders_takes_mentions_then_an_optional_message() -> None:
    parsed = parse("responders #42 <@UBOB|bob> @carol need eyes on the DB &amp; cache")
    assert (parsed.verb, parsed.incident_id) == ("responders", 42)
    assert parsed.responders == (("UBOB", True), ("carol", False))
    assert parsed.text == "need eyes on the DB & cache"
    assert parse("responders 42 @carol").text is None


def test_update_keeps_its_text_as_typed() -> None:
    parsed = parse("update 42 failover  done &lt;3")
    assert (parsed.verb, parsed.incident_id, parsed.text) == ("update", 42, "failover  done <3")
