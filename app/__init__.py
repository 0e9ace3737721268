"""Klaxon's application: alerts in, incidents, escalation, the outbox and its channels, the web surface."""
