"""Accepting events: the few Core statements that make an alert durable before the 202."""
