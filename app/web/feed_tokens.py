"""Read-only calendar feed tokens: what a calendar app puts in the feed URL instead of an API token.

Calendar clients (Google Calendar, Outlook, Apple Calendar) fetch a URL and cannot send an
`Authorization` header, so the credential has to ride in the query string, where it ends up in access
logs and in the calendar provider's storage. An API token there could acknowledge incidents or change
configuration; a feed token can only read the `.ics` feeds.

A feed token is derived from one API token, `klxf_<api token id>_<HMAC>`, keyed by the server's secret
and the API token's stored hash. Nothing new is stored: revoking the API token (or changing
KLAXON_SECRET_KEY) revokes its feed token.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlmodel import Session, col, select

from app.models import ApiToken
from app.platform.credentials import hash_secret
from app.platform.errors import Unauthorized

PREFIX = "klxf_"


def feed_token_for(session: Session, *, api_token: str, secret_key: str) -> str:
    """The feed token derived from the (valid, unrevoked) plaintext `api_token`."""
    row = session.exec(select(ApiToken).where(col(ApiToken.token_hash) == hash_secret(api_token),
                                              col(ApiToken.revoked_at).is_(None))).first()
    if row is None or row.id is None:
        raise Unauthorized("unknown or revoked token")
    return f"{PREFIX}{row.id}_{_mac(row, secret_key)}"


def authenticate_feed(session: Session, *, feed_token: str, secret_key: str) -> str:
    """The user id behind a feed token, or Unauthorized."""
    if not feed_token.startswith(PREFIX):
        # Most likely an API token pasted into a URL: say how to get the right thing.
        raise Unauthorized("?token= takes a read-only feed token (klxf_...), not an API token; "
                           "get the feed URLs from GET /api/v1/feeds")
    token_id, _, mac = feed_token[len(PREFIX):].partition("_")
    row = session.get(ApiToken, int(token_id)) if token_id.isdigit() and len(token_id) < 19 else None
    if row is None or row.revoked_at is not None or not hmac.compare_digest(mac, _mac(row, secret_key)):
        raise Unauthorized("unknown or revoked feed token")
    return row.user_id


def _mac(row: ApiToken, secret_key: str) -> str:
    key = f"{secret_key}\0{row.token_hash}".encode()
    return hmac.new(key, f"ical-feed:{row.id}".encode(), hashlib.sha256).hexdigest()[:40]
