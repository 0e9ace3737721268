"""Fixtures for the schedule API, feeds and CLI: both schedules applied, and tokens of every role."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.schedules_app.support import schedules_config
from tests.support.config import apply_test_config, make_token


@pytest.fixture
def api(runtime: Any, client: Any) -> Any:
    """A test client on a database holding checkout-primary and support-hours."""
    apply_test_config(runtime, schedules_config())
    return client


@pytest.fixture
def admin(runtime: Any, api: Any) -> dict[str, str]:
    return make_token(runtime, "alice", "admin")


@pytest.fixture
def commander(runtime: Any, api: Any) -> dict[str, str]:
    return make_token(runtime, "bob", "commander")


@pytest.fixture
def responder(runtime: Any, api: Any) -> dict[str, str]:
    return make_token(runtime, "carol", "responder")
