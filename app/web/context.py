"""Per-request access to the runtime, a database session and the caller."""

from __future__ import annotations

from functools import wraps
from typing import Any, Callable, TypeVar

from flask import current_app, g, request
from sqlmodel import Session

from app.platform.credentials import Caller
from app.platform.errors import Forbidden
from app.platform.runtime import Runtime
from app.web.tokens import authenticate

F = TypeVar("F", bound=Callable[..., Any])


def runtime() -> Runtime:
    """This app's Runtime."""
    return current_app.extensions["klaxon"]  # type: ignore[no-any-return]


def db() -> Session:
    """The request's session (closed at teardown; rolled back unless committed)."""
    if "db_session" not in g:
        g.db_session = runtime().session(reading=request.method in ("GET", "HEAD"))
    return g.db_session  # type: ignore[no-any-return]


def close_session(_error: BaseException | None = None) -> None:
    """Teardown: close the request's session."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def caller() -> Caller:
    """The authenticated caller of this request."""
    return g.caller  # type: ignore[no-any-return]


def requires(role: str) -> Callable[[F], F]:
    """Authenticate the bearer token and require `role` or above."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            who = authenticate(db(), request.headers.get("Authorization"))
            if not who.may(role):
                raise Forbidden(f"this needs the {role} role; your token is {who.role}")
            g.caller = who
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a BadRequest saying what is wrong."""
    from app.platform.errors import BadRequest

    data = request.get_json(silent=True)
    if data is None:
        raise BadRequest("the body must be a JSON object (Content-Type: application/json)")
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object, not " + type(data).__name__)
    return data
