"""The severity scale, most urgent first (CONTRACT section 4): one definition for the classifier, the
incident service, the API and simulate."""

from __future__ import annotations

from app.platform.errors import BadRequest

SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")


def require_severity(severity: str) -> str:
    """`severity` when it is on the scale, else a BadRequest that names the scale."""
    if severity not in SEVERITIES:
        raise BadRequest(f"severity must be one of {', '.join(SEVERITIES)}, not {severity!r}")
    return severity
