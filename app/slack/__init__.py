"""Slack: messages kept in step with incidents, incident channels, slash commands."""
