"""Integration keys: how a missing one is generated and how every one is stored (hashed)."""

from __future__ import annotations

import secrets
import string

from app.platform.credentials import hash_secret

KEY_ALPHABET = string.ascii_letters + string.digits
KEY_LENGTH = 32


def generate_integration_key() -> str:
    """A fresh 32-character key of letters and digits, the shape the config file requires."""
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_LENGTH))


def hash_integration_key(key: str) -> str:
    """What the database keeps of a key: its SHA-256, hex (the same hash as API tokens)."""
    return hash_secret(key)
