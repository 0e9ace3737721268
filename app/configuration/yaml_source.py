"""Reading the YAML text: one document, no duplicate keys, and times and phones kept as written."""

from __future__ import annotations

import re
from typing import Any

import yaml

from app.configuration.errors import ConfigError

# YAML 1.1 reads `17:00` as the integer 1020 (base 60), `2026-01-05T09:00:00` as a naive datetime
# and `+15005550006` as an integer. In this file those are clock times, local times and phone
# numbers, so only plain decimal and hex integers and ordinary floats are read as numbers; the
# schedule and phone parsers get the text the author wrote.
_INT = re.compile(r"^(?:-?(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+)$")
_FLOAT = re.compile(r"^-?(?:[0-9][0-9_]*)?\.[0-9_]+(?:[eE][-+]?[0-9]+)?$|^\.(?:inf|Inf|INF|nan|NaN|NAN)$")
_DROPPED = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp"}


class _Loader(yaml.SafeLoader):
    """SafeLoader with the resolvers above, collecting duplicate keys instead of keeping the last."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[str] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """A mapping, noting each key that appears twice (PyYAML would silently keep the last)."""
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
            if isinstance(key, (str, int, float, bool)) and key in seen:
                mark = key_node.start_mark
                self.duplicates.append(f"line {mark.line + 1}, column {mark.column + 1}: duplicate key {key!r}")
            if isinstance(key, (str, int, float, bool)):
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _DROPPED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-0123456789"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-.0123456789"))


def parse_yaml(text: str) -> Any:
    """The one YAML document in `text`; syntax errors raise ConfigError naming line and column."""
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        raise ConfigError([_syntax_error(exc)]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([f"not valid YAML: {exc}"]) from None
    finally:
        loader.dispose()
    if loader.duplicates:
        raise ConfigError(loader.duplicates)
    return data


def _syntax_error(exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    problem = exc.problem or "not valid YAML"
    if exc.context and problem.startswith("but "):  # "expected a single document ..., but found another"
        return f"{where}{exc.context}, {problem}"
    context = f" ({exc.context})" if exc.context else ""
    return f"{where}{problem}{context}"
