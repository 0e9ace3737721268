"""Checks across entries: duplicate ids and keys, and references to users, schedules, policies and accounts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.configuration.document import AccountSpec, PolicySpec, ServiceSpec, UserSpec
from app.configuration.errors import join_path, located

_REFERENCE_KINDS = ("user", "schedule")


@dataclass(frozen=True)
class KnownIds:
    """The ids each section declares, read from the raw entries so one bad entry causes one error.

    None means the section itself is malformed (not a list): its ids are unknowable, and reporting
    every reference to them would bury the one real error.
    """

    users: frozenset[str] | None
    schedules: frozenset[str] | None
    policies: frozenset[str] | None
    accounts: frozenset[str] | None = frozenset()

    @classmethod
    def from_raw(cls, data: dict[Any, Any]) -> KnownIds:
        """Collect every string `id` of every entry of each section, valid or not."""
        return cls(
            users=_ids(data.get("users")),
            schedules=_ids(data.get("schedules")),
            policies=_ids(data.get("escalation_policies")),
            accounts=_ids(data.get("accounts")),
        )

    def has(self, kind: str, name: str) -> bool:
        """True when a `user:`/`schedule:`/policy reference names a declared id (or cannot be checked)."""
        ids = {"user": self.users, "schedule": self.schedules, "policy": self.policies, "account": self.accounts}[kind]
        return ids is None or name in ids


def duplicate_ids(section: str, entries: list[Any]) -> list[str]:
    """`users[3].id: duplicate id 'alice' (also users[0])` for each repeated id in a section."""
    first: dict[str, int] = {}
    errors = []
    for index, entry in enumerate(entries):
        entry_id = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(entry_id, str):
            continue
        if entry_id in first:
            errors.append(f"{section}[{index}].id: duplicate id {entry_id!r} (also {section}[{first[entry_id]}])")
        else:
            first[entry_id] = index
    return errors


def check_users(users: Sequence[UserSpec | None]) -> list[str]:
    """An explicit SMS or voice rule needs a phone to ring, an email rule an address; so does a status channel."""
    errors = []
    for index, user in enumerate(users):
        if user is None:
            continue
        for rule_index, rule in enumerate(user.notify or []):
            errors += _missing_address(user, rule.channel, join_path("users", index, "notify", rule_index, "channel"))
        if user.status_channel is not None:
            errors += _missing_address(user, user.status_channel, join_path("users", index, "status_channel"))
    return errors


def _missing_address(user: UserSpec, channel: str, path: str) -> list[str]:
    if channel in ("sms", "voice") and user.phone is None:
        return [located(path, f"{channel} needs the user's phone, and user {user.id!r} has none")]
    if channel == "email" and user.email is None:
        return [located(path, f"email needs the user's email, and user {user.id!r} has none")]
    return []


def check_policies(policies: Sequence[PolicySpec | None], known: KnownIds) -> list[str]:
    """Every `user:` and `schedule:` target of every level and open trigger must exist."""
    errors = []
    for index, policy in enumerate(policies):
        if policy is None:
            continue
        for level_index, level in enumerate(policy.levels):
            prefix = ("escalation_policies", index, "levels", level_index)
            errors += _target_errors(level.targets, prefix, known)
        for trigger_index, trigger in enumerate(policy.open_triggers):
            prefix = ("escalation_policies", index, "open_triggers", trigger_index)
            errors += _target_errors(trigger.targets, prefix, known)
    return errors


def check_services(services: Sequence[ServiceSpec | None], known: KnownIds) -> list[str]:
    """Known policies, key names unique within a service, key values unique across all services."""
    errors = []
    key_seen: dict[str, str] = {}
    for index, service in enumerate(services):
        if service is None:
            continue
        if not known.has("policy", service.escalation_policy):
            path = join_path("services", index, "escalation_policy")
            errors.append(located(path, f"unknown escalation policy {service.escalation_policy!r}"))
        if service.account is not None and not known.has("account", service.account):
            errors.append(located(join_path("services", index, "account"), f"unknown account {service.account!r}"))
        names: dict[str, int] = {}
        for key_index, key in enumerate(service.integration_keys):
            path = join_path("services", index, "integration_keys", key_index)
            if key.name in names:
                first = join_path("services", index, "integration_keys", names[key.name])
                errors.append(f"{path}.name: duplicate key name {key.name!r} (also {first})")
            names.setdefault(key.name, key_index)
            if key.key is not None and key.key in key_seen:
                errors.append(f"{path}.key: the same key as {key_seen[key.key]}; every key routes to one service")
            elif key.key is not None:
                key_seen[key.key] = path
    return errors


def check_accounts(accounts: Sequence[AccountSpec | None], known: KnownIds) -> list[str]:
    """An account's director and stakeholders must be users (`accounts[0].account_director: ... not a user`)."""
    errors = []
    for index, account in enumerate(accounts):
        if account is None:
            continue
        if account.account_director is not None and not known.has("user", account.account_director):
            path = join_path("accounts", index, "account_director")
            errors.append(located(path, f"{account.account_director!r} is not a user; the director must be one"))
        for user_index, user in enumerate(account.stakeholders):
            errors += _unknown_user(join_path("accounts", index, "stakeholders", user_index), user, known)
    return errors


def check_schedule_users(schedules: list[Any], known: KnownIds) -> list[str]:
    """`schedules[1].layers[0].users[2]: unknown user 'bbo'`, and the same for override users."""
    errors = []
    for index, entry in enumerate(schedules):
        if not isinstance(entry, dict):
            continue
        for layer_index, layer in enumerate(_list(entry.get("layers"))):
            users = _list(layer.get("users")) if isinstance(layer, dict) else []
            for user_index, user in enumerate(users):
                path = join_path("schedules", index, "layers", layer_index, "users", user_index)
                errors += _unknown_user(path, user, known)
        for override_index, override in enumerate(_list(entry.get("overrides"))):
            if isinstance(override, dict) and "user" in override:
                path = join_path("schedules", index, "overrides", override_index, "user")
                errors += _unknown_user(path, override["user"], known)
    return errors


def _target_errors(targets: list[str], prefix: tuple[str | int, ...], known: KnownIds) -> list[str]:
    errors = []
    for target_index, target in enumerate(targets):
        kind, _, name = target.partition(":")
        if kind in _REFERENCE_KINDS and not known.has(kind, name):
            path = join_path(*prefix, "targets", target_index)
            errors.append(located(path, f"unknown {kind} {name!r}"))
    return errors


def _unknown_user(path: str, user: object, known: KnownIds) -> list[str]:
    # Malformed values (not a string) are reported by `schedules.spec`; only names are checked here.
    if isinstance(user, str) and not known.has("user", user):
        return [located(path, f"unknown user {user!r}")]
    return []


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _ids(entries: object) -> frozenset[str] | None:
    if entries is None:
        return frozenset()
    if not isinstance(entries, list):
        return None
    return frozenset(entry["id"] for entry in entries if isinstance(entry, dict) and isinstance(entry.get("id"), str))
