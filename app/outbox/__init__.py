"""Sending what must be sent: notification rows, claims, delivery, fall-through, page text."""
