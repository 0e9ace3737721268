"""`load_config`: YAML text in, a checked `Config` out, or every problem at once with its YAML path."""

from __future__ import annotations

import difflib
import re
from typing import Any, TypeVar

from pydantic import ValidationError

from app.configuration import validation
from app.configuration.document import (
    SECTIONS,
    SPEC_MODELS,
    AccountSpec,
    Config,
    OverrideEntry,
    PolicySpec,
    ScheduleEntry,
    ServiceSpec,
    Spec,
    UserSpec,
)
from app.configuration.errors import ConfigError, join_path, located, pydantic_errors
from app.configuration.fields import check_handle
from app.configuration.yaml_source import parse_yaml
from app.ingest.classification_spec import policy_from_dict, policy_to_dict
from app.ingest.classifier import ClassificationSpecError
from schedules.spec import ScheduleSpecError, schedule_from_dict

SpecT = TypeVar("SpecT", bound=Spec)
_FIELD_NAMES = frozenset(name for model in SPEC_MODELS for name in model.model_fields)
_LIST_SECTIONS = ("users", "schedules", "escalation_policies", "accounts", "services")


def load_config(text: str) -> Config:
    """Parse and check a whole config file; ConfigError lists every problem, each led by its YAML path."""
    data = parse_yaml(text)
    if data is None:
        # An empty file would otherwise mean "delete everything": far more likely a mistake.
        raise ConfigError(["the file is empty; it needs at least one of: " + ", ".join(SECTIONS)])
    if not isinstance(data, dict):
        raise ConfigError([f"the top level must be a mapping of sections ({', '.join(SECTIONS)}), "
                           f"not a {type(data).__name__}"])
    errors = _unknown_sections(data)
    raw = {}
    for section in _LIST_SECTIONS:
        raw[section], section_errors = _section_list(data, section)
        errors += section_errors
    users = _validate_entries(raw["users"], "users", UserSpec, errors)
    policies = _validate_entries(raw["escalation_policies"], "escalation_policies", PolicySpec, errors)
    services = _validate_entries(raw["services"], "services", ServiceSpec, errors)
    accounts = _validate_entries(raw["accounts"], "accounts", AccountSpec, errors)
    schedules = [_schedule(entry, index, errors) for index, entry in enumerate(raw["schedules"])]
    errors += _cross_checks(data, raw, users, policies, services, accounts)
    classification = _classification(data.get("classification"), errors)
    if errors:
        raise ConfigError(_in_file_order(errors))
    return Config(
        users=tuple(_present(users)),
        schedules=tuple(_present(schedules)),
        escalation_policies=tuple(_present(policies)),
        services=tuple(_present(services)),
        accounts=tuple(_present(accounts)),
        classification=classification or {},
    )


def _unknown_sections(data: dict[Any, Any]) -> list[str]:
    errors = []
    for key in data:
        if key not in SECTIONS:
            close = difflib.get_close_matches(str(key), SECTIONS, n=1)
            hint = f"did you mean '{close[0]}'?" if close else "expected one of " + ", ".join(SECTIONS)
            errors.append(f"{key}: unknown section ({hint})")
    return errors


def _section_list(data: dict[Any, Any], section: str) -> tuple[list[Any], list[str]]:
    value = data.get(section)
    if value is None:  # absent, or `users:` with nothing under it
        return [], []
    if not isinstance(value, list):
        return [], [f"{section}: must be a list of entries, not a {type(value).__name__}"]
    return value, []


def _validate_entries(entries: list[Any], section: str, model: type[SpecT], errors: list[str]) -> list[SpecT | None]:
    """Each entry on its own, so one bad entry still lets the others be cross-checked."""
    checked: list[SpecT | None] = []
    for index, entry in enumerate(entries):
        try:
            checked.append(model.model_validate(entry))
        except ValidationError as exc:
            errors += pydantic_errors(exc, (section, index), _FIELD_NAMES)
            checked.append(None)
    return checked


def _schedule(entry: Any, index: int, errors: list[str]) -> ScheduleEntry | None:
    if isinstance(entry, dict) and isinstance(entry.get("id"), str):
        try:
            check_handle(entry["id"])
        except ValueError as error:
            errors.append(located(join_path("schedules", index, "id"), str(error)))
            return None
    try:
        schedule = schedule_from_dict(entry)
    except ScheduleSpecError as error:
        errors.append(located(join_path("schedules", index, error.path), error.message))
        return None
    overrides = sorted(schedule.overrides, key=lambda override: override.seq)
    return ScheduleEntry(
        id=schedule.id,
        time_zone=schedule.time_zone,
        definition={key: value for key, value in entry.items() if key != "overrides"},
        overrides=tuple(OverrideEntry(o.user, o.start_at, o.end_at) for o in overrides),
    )


def _cross_checks(
    data: dict[Any, Any],
    raw: dict[str, list[Any]],
    users: list[UserSpec | None],
    policies: list[PolicySpec | None],
    services: list[ServiceSpec | None],
    accounts: list[AccountSpec | None],
) -> list[str]:
    known = validation.KnownIds.from_raw(data)
    errors = []
    for section in _LIST_SECTIONS:
        errors += validation.duplicate_ids(section, raw[section])
    errors += validation.check_users(users)
    errors += validation.check_schedule_users(raw["schedules"], known)
    errors += validation.check_policies(policies, known)
    errors += validation.check_services(services, known)
    errors += validation.check_accounts(accounts, known)
    return errors


def _classification(data: Any, errors: list[str]) -> dict[str, Any] | None:
    try:
        return policy_to_dict(policy_from_dict(data))
    except ClassificationSpecError as error:
        errors.append(located(join_path("classification", error.path), error.message))
        return None


def _in_file_order(errors: list[str]) -> list[str]:
    """Errors sorted by section, then entry, as someone fixing the file top to bottom reads them."""
    def position(error: str) -> tuple[int, list[int]]:
        path = error.split(": ", 1)[0]
        section = re.split(r"[.\[]", path, maxsplit=1)[0]
        rank = SECTIONS.index(section) + 1 if section in SECTIONS else 0
        return rank, [int(index) for index in re.findall(r"\[(\d+)\]", path)]

    return sorted(errors, key=position)


def _present(items: list[SpecT | None] | list[ScheduleEntry | None]) -> list[Any]:
    return [item for item in items if item is not None]
