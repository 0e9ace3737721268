"""API bearer tokens: created by `klaxon token create`, stored as SHA-256 only."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Table, bindparam, select
from sqlmodel import Session

from app.models import ApiToken, User
from app.platform.credentials import ROLES, Caller, hash_secret
from app.platform.errors import BadRequest, Unauthorized


def create_token(session: Session, *, user_id: str, role: str, now: datetime) -> str:
    """Create a token for a user; the plaintext is returned once and never stored."""
    if role not in ROLES:
        raise BadRequest(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if session.get(User, user_id) is None:
        raise BadRequest(f"unknown user {user_id!r}")
    plaintext = "klx_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user_id, role=role, token_hash=hash_secret(plaintext), created_at=now))
    return plaintext


# Every API request runs this: a plain-row read (SQLAlchemy Core), built once.
_TOKENS: Table = ApiToken.__table__  # type: ignore[attr-defined]
_LIVE_TOKEN = (select(_TOKENS.c.user_id, _TOKENS.c.role)
               .where(_TOKENS.c.token_hash == bindparam("token_hash"), _TOKENS.c.revoked_at.is_(None)))


def authenticate(session: Session, authorization: str | None) -> Caller:
    """The caller behind an `Authorization: Bearer <token>` header, or Unauthorized."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("send Authorization: Bearer <token> (create one with `klaxon token create`)")
    token = authorization[7:].strip()
    row = session.execute(_LIVE_TOKEN, {"token_hash": hash_secret(token)}).first()
    if row is None:
        raise Unauthorized("unknown or revoked token")
    return Caller(row.user_id, row.role)
