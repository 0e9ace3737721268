"""Unit tests for the inbound parsers; `load_fixture` reads tests/fixtures/ payloads as sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def load_fixture(name: str) -> Any:
    """A fresh copy of a literal payload from tests/fixtures/ (tests may change it freely)."""
    return json.loads((FIXTURES / name).read_text())
