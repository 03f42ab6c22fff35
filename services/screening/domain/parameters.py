"""Typed rule parameters read from the ruleset file: every table has a frozen class, every key a type.

A parameter class is a frozen dataclass; its fields are the keys its table may hold (a field's TOML key
is its name, or `metadata["key"]` where the TOML word is not a Python name, as `from`). `parse_table`
builds one from a parsed TOML table and rejects, naming the file, the table and the key, an unknown key,
a missing required key or a value of the wrong type. A typo in the ruleset is an error, never a silent
fallback to a default.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Any, ClassVar, Protocol, TypeVar

T = TypeVar("T")


class Parameters(Protocol):
    """A typed parameter class: a frozen dataclass read from the ruleset table named by `table`."""

    table: ClassVar[str]


class RulesetError(ValueError):
    """A ruleset file that does not follow its schema (an unknown key, a wrong type, a missing key)."""


def key_of(spec: dataclasses.Field[Any]) -> str:
    """The TOML key of a parameter field."""
    return str(spec.metadata.get("key", spec.name))


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleWindow:
    """When a rule applies (inclusive dates, None for open-ended), with an optional suspension inside."""

    effective_from: date | None = field(default=None, metadata={"key": "from"})
    effective_to: date | None = field(default=None, metadata={"key": "to"})
    suspended_from: date | None = None
    suspended_to: date | None = None

    def in_force(self, on: date) -> bool:
        """In force on `on` and not suspended."""
        return self.applies(on) and not self.suspended(on)

    def applies(self, on: date) -> bool:
        """Within the effective window (ignoring suspension)."""
        if self.effective_from is not None and on < self.effective_from:
            return False
        return not (self.effective_to is not None and on > self.effective_to)

    def suspended(self, on: date) -> bool:
        """Within the suspension window."""
        return (
            self.suspended_from is not None
            and self.suspended_to is not None
            and self.suspended_from <= on <= self.suspended_to
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleParams(RuleWindow):
    """Parameters of one `[rules.<name>]` table: the rule's window plus the rule's own typed keys."""

    table: ClassVar[str] = ""

    def dates(self) -> dict[str, date]:
        """Every dated parameter of the table by its key (windows, thresholds' start dates, and dates kept
        in a table of dates, keyed `key.name`)."""
        found: dict[str, date] = {}
        for spec in dataclasses.fields(self):
            value = getattr(self, spec.name)
            if isinstance(value, date):
                found[key_of(spec)] = value
            elif isinstance(value, Mapping):
                for name, inner in value.items():
                    if isinstance(inner, date):
                        found[f"{key_of(spec)}.{name}"] = inner
        return found


def _describe(hint: Any) -> str:
    """What a value of type `hint` looks like in TOML, for error messages."""
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        inner = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return " or ".join(_describe(arg) for arg in inner)
    if origin in (tuple, frozenset):
        return f"a list of {_describe(typing.get_args(hint)[0]).removeprefix('a ').removeprefix('an ')}s"
    if origin in (Mapping, dict):
        return f"a table of {_describe(typing.get_args(hint)[1]).removeprefix('a ')}"
    if isinstance(hint, type) and issubclass(hint, Enum):
        return "one of " + ", ".join(str(member.value) for member in hint)
    return {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "true or false",
        date: "a date (YYYY-MM-DD)",
    }.get(hint, str(hint))


def convert(value: Any, hint: Any, where: str) -> Any:
    """`value` as type `hint`, or a `RulesetError` naming `where` and the expected type."""
    if hint is Any:
        return value
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        for arg in typing.get_args(hint):
            if arg is type(None):
                continue
            try:
                return convert(value, arg, where)
            except RulesetError:
                continue
        raise RulesetError(f"{where}: expected {_describe(hint)}, got {value!r}")
    if origin in (tuple, frozenset):
        if not isinstance(value, list | tuple):
            raise RulesetError(f"{where}: expected {_describe(hint)}, got {value!r}")
        element = typing.get_args(hint)[0]
        return origin(convert(item, element, f"{where}[{index}]") for index, item in enumerate(value))
    if origin in (Mapping, dict):
        if not isinstance(value, Mapping):
            raise RulesetError(f"{where}: expected {_describe(hint)}, got {value!r}")
        key_type, value_type = typing.get_args(hint)
        return types.MappingProxyType(
            {
                convert(key, key_type, where): convert(item, value_type, f"{where}.{key}")
                for key, item in value.items()
            }
        )
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if not isinstance(value, Mapping):
            raise RulesetError(f"{where}: expected a table, got {value!r}")
        return parse_table(hint, value, where, str(getattr(hint, "table", hint.__name__)))
    if isinstance(hint, type) and issubclass(hint, Enum):
        try:
            return hint(value)
        except ValueError:
            raise RulesetError(f"{where}: expected {_describe(hint)}, got {value!r}") from None
    if hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif hint is str:
        if isinstance(value, str):
            return value
    elif hint is date:
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
    else:
        raise TypeError(f"{where}: parameter type {hint!r} is not supported")
    raise RulesetError(f"{where}: expected {_describe(hint)}, got {value!r}")


def parse_table(cls: type[T], data: Mapping[str, Any], source: str, table: str) -> T:
    """An instance of the parameter dataclass `cls` from the TOML table `data` (`[table]` of `source`).

    Raises `RulesetError` for a key `cls` does not know, a required key that is missing, or a value of
    the wrong type; the message names the file, the table and the key, and what was expected.
    """
    if not isinstance(data, Mapping):
        raise RulesetError(f"{source}: [{table}] must be a table, got {data!r}")
    assert dataclasses.is_dataclass(cls)
    hints = typing.get_type_hints(cls)
    specs = {key_of(spec): spec for spec in dataclasses.fields(cls) if spec.init}
    unknown = sorted(set(data) - set(specs))
    if unknown:
        raise RulesetError(
            f"{source}: [{table}] has unknown key {unknown[0]!r}; "
            f"the keys of [{table}] are: {', '.join(sorted(specs))}"
        )
    values: dict[str, Any] = {}
    for key, spec in specs.items():
        where = f"{source}: [{table}] {key}"
        if key in data:
            values[spec.name] = convert(data[key], hints[spec.name], where)
        elif spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING:
            raise RulesetError(f"{where}: required, expected {_describe(hints[spec.name])}")
    try:
        return cls(**values)
    except ValueError as error:  # the class's own checks (ranges, consistency)
        raise RulesetError(f"{source}: [{table}] {error}") from error
