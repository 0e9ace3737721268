"""What a credential is: the roles, the caller behind a token, and the hash the database keeps of a secret
(API tokens, integration keys, calendar feed tokens alike)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

ROLES = ("responder", "commander", "admin")


@dataclass(frozen=True)
class Caller:
    """Who is calling the API, and with which role."""

    user_id: str
    role: str

    def may(self, role: str) -> bool:
        """True when the caller's role is `role` or above."""
        return ROLES.index(self.role) >= ROLES.index(role)


def hash_secret(secret: str) -> str:
    """SHA-256 hex of a token or key: what the database keeps."""
    return hashlib.sha256(secret.encode()).hexdigest()
