"""Slack: outbound pages (SlackNotifier) and inbound buttons, slash commands and request signatures."""

from integrations.slack.channel_names import incident_channel_name
from integrations.slack.client import SlackNotifier, split_provider_id
from integrations.slack.commands import SlashCommand, SlashCommandUsageError, ephemeral_reply, parse_command
from integrations.slack.interactions import SlackAction, SlackPayloadError, parse_interaction
from integrations.slack.messages import fallback_text, page_blocks
from integrations.slack.signature import SlackSignatureError, slack_signature, verify_slack_request

__all__ = [
    "SlackAction",
    "SlackNotifier",
    "SlackPayloadError",
    "SlackSignatureError",
    "SlashCommand",
    "SlashCommandUsageError",
    "ephemeral_reply",
    "fallback_text",
    "incident_channel_name",
    "page_blocks",
    "parse_command",
    "parse_interaction",
    "slack_signature",
    "split_provider_id",
    "verify_slack_request",
]
