"""The Runtime a worker process's jobs use: built once per process from the environment."""

from __future__ import annotations

from app.platform.runtime import Runtime
from app.platform.settings import Settings
from app.wiring import build_runtime

_runtime: Runtime | None = None


def get_runtime() -> Runtime:
    """This process's Runtime (created on first use, after any fork)."""
    global _runtime
    if _runtime is None:
        _runtime = build_runtime(Settings.from_env())
    return _runtime


def use_runtime(runtime: Runtime | None) -> None:
    """Make jobs in this process use `runtime` (tests running jobs in-process)."""
    global _runtime
    _runtime = runtime
