"""The app names jobs by dotted path (it may not import workers): every name must resolve."""

from __future__ import annotations

import importlib

import pytest

from app.platform.queueing import JOB_NAMES


@pytest.mark.parametrize("name", JOB_NAMES)
def test_job_name_resolves_to_a_function(name: str) -> None:
    module, _, function = name.rpartition(".")
    assert callable(getattr(importlib.import_module(module), function))
