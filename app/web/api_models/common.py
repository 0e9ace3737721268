"""What every model shares: the strict base, the error body, instants, severities and paging."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["SEV1", "SEV2", "SEV3", "SEV4"]
Status = Literal["triggered", "acknowledged", "resolved"]
Instant = str  # ISO 8601 UTC with a Z, e.g. 2026-12-01T09:30:00Z
NEXT = "URL of the next page, or null on the last one"


class Strict(BaseModel):
    """A model whose fields are all there is (an extra field in an answer is a mistake in the model)."""

    model_config = ConfigDict(extra="forbid")


class ErrorBody(Strict):
    """Every error of the API: what is wrong, in words, and details when there are any."""

    error: str
    detail: Any = None


class Paging(BaseModel):
    """Every list pages (CONTRACT section 6)."""

    limit: int | None = Field(None, ge=1, le=1000, description="at most this many (default 100)")
    cursor: str | None = Field(None, description="the opaque cursor of the previous page's `next`")


class Alive(Strict):
    """The process is up."""

    status: Literal["ok"]


class Readiness(Strict):
    """Ready when pages can go out (503 otherwise), with each check's state."""

    status: Literal["ready", "not ready"]
    checks: dict[str, str]
