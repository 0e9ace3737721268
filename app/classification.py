"""The deployment's classification policy, as `klaxon apply` stored it."""

from __future__ import annotations

from sqlmodel import Session

from app.classifier import DEFAULT_POLICY, ClassificationPolicy, policy_from_dict
from app.models import ConfigDocument


def classification_policy(session: Session) -> ClassificationPolicy:
    """The stored policy, or the built-in default map when none was applied."""
    document = session.get(ConfigDocument, "classification")
    if document is None or not document.body:
        return DEFAULT_POLICY
    return policy_from_dict(document.body)
