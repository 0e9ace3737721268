"""The deployment's classification policy, as `klaxon apply` stored it.

Read on every trigger, so the parsed policy is kept in the configuration cache (a few seconds; see
`app.platform.config_cache`) instead of being selected and parsed again for each alert.
"""

from __future__ import annotations

from sqlmodel import Session

from app.ingest.classification_spec import policy_from_dict
from app.ingest.classifier import DEFAULT_POLICY, ClassificationPolicy
from app.models import ConfigDocument
from app.platform.config_cache import cached


def classification_policy(session: Session) -> ClassificationPolicy:
    """The stored policy, or the built-in default map when none was applied."""
    return cached(session, ("classification",), lambda: _load_policy(session))


def _load_policy(session: Session) -> ClassificationPolicy:
    document = session.get(ConfigDocument, "classification")
    if document is None or not document.body:
        return DEFAULT_POLICY
    return policy_from_dict(document.body)
