"""Configuration as code (CONTRACT section 3): `klaxon apply FILE [--dry-run]`.

load_config (text -> checked Config, or ConfigError listing every problem by YAML path),
plan_changes (what would change), apply_config (make it so, in one transaction), run_apply (the CLI).
"""

from app.configuration.apply import ApplyResult, GeneratedKey, apply_config
from app.configuration.changes import Change
from app.configuration.command import run_apply
from app.configuration.document import DEFAULT_NOTIFY_RULES, Config
from app.configuration.errors import ConfigError
from app.configuration.keys import generate_integration_key, hash_integration_key
from app.configuration.loading import load_config
from app.configuration.plan import plan_changes

__all__ = [
    "DEFAULT_NOTIFY_RULES",
    "ApplyResult",
    "Change",
    "Config",
    "ConfigError",
    "GeneratedKey",
    "apply_config",
    "generate_integration_key",
    "hash_integration_key",
    "load_config",
    "plan_changes",
    "run_apply",
]
