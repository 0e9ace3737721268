"""Page and Recipient builders shared by the Twilio tests."""

from __future__ import annotations

from integrations.notifier import Page


def make_page(incident_id: int = 12, title: str = "Checkout latency above 2s", severity: str = "SEV1",
              service_name: str = "Checkout API") -> Page:
    """A triggered page with sensible defaults; override what the test is about."""
    return Page(
        incident_id=incident_id,
        title=title,
        severity=severity,
        severity_reason="prod-critical: severity=critical and labels.env=prod",
        service_id="checkout",
        service_name=service_name,
        status="triggered",
        created_at="2026-03-01T09:00:00Z",
        public_url="https://klaxon.example.com",
    )
