"""Errors the service layer raises, mapped to JSON HTTP answers in one handler (`app.web.errors`)."""

from __future__ import annotations

from typing import Any


class KlaxonError(Exception):
    """Base: `status` is the HTTP status it maps to, `detail` optional structured context."""

    status = 400
    error = "bad request"

    def __init__(self, message: str, *, detail: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class BadRequest(KlaxonError):
    """The input is malformed or invalid; nothing was changed."""


class Unauthorized(KlaxonError):
    """No or a wrong credential."""

    status = 401
    error = "unauthorized"


class Forbidden(KlaxonError):
    """The credential is valid but its role may not do this."""

    status = 403
    error = "forbidden"


class NotFound(KlaxonError):
    """The named thing does not exist."""

    status = 404
    error = "not found"


class Conflict(KlaxonError):
    """The request is valid but the current state does not allow it."""

    status = 409
    error = "conflict"


class PayloadTooLarge(KlaxonError):
    """The body is over the limit."""

    status = 413
    error = "payload too large"


class RateLimited(KlaxonError):
    """Over a rate limit; `retry_after` seconds until the next request is accepted."""

    status = 429
    error = "rate limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, detail={"retry_after": retry_after})
        self.retry_after = retry_after
