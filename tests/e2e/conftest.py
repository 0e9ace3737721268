"""End-to-end fixtures: real web and worker processes on the test's database and private Redis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import KlaxonProcesses


@pytest.fixture
def klaxon(settings: Any, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[KlaxonProcesses]:
    """A KlaxonProcesses handle; the test starts what it needs. Everything is stopped afterwards."""
    procs = KlaxonProcesses(settings.database_url, settings.redis_url, tmp_path)
    yield procs
    procs.stop_all()
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        print(procs.logs())


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
