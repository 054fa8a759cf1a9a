"""Raw TOML data checked against the schema: unknown keys and wrong types.

Bad entries are reported and dropped, so later stages only ever see well-typed data
and every problem of a file is reported in one run.
"""

from __future__ import annotations

import datetime
import sys
from typing import Any

from unitgen.diagnostics import Diagnostics, did_you_mean, one_of
from unitgen.spec import schema
from unitgen.spec.schema import Key
from unitgen.spec.source import KeyPath, Origins

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def type_name(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer" if INT64_MIN <= value <= INT64_MAX else "an integer beyond 64 bits"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, (datetime.date, datetime.time)):
        return "a date/time"
    return type(value).__name__


# Data that passed the checks below: every value has the type its schema key says, which
# the type checker cannot know, so later stages read it as Any rather than casting each value.
Checked = dict[str, Any]


def check_document(data: dict[str, object], key: Key, origins: Origins, diagnostics: Diagnostics) -> Checked:
    return _Checker(origins, diagnostics).table(data, key, ()) or {}


class _Checker:
    """Checks the values of one document; each check returns the value as later stages
    read it, or None when it is dropped (after reporting why).

    Names and strings are interned (``sys.intern``): a compile keeps every spec's data
    until it ends, and then holds one copy of each, however many specs write it."""

    def __init__(self, origins: Origins, diagnostics: Diagnostics) -> None:
        self.origins = origins
        self.diagnostics = diagnostics

    def value(self, value: object, key: Key, path: KeyPath) -> object | None:
        match key.kind:
            case schema.STRING:
                return self.string(value, key, path)
            case schema.INTEGER:
                if isinstance(value, bool) or not isinstance(value, int):
                    self.wrong(path, "an integer", value)
                    return None
                if not INT64_MIN <= value <= INT64_MAX:
                    # TOML's integers are 64-bit: one beyond cannot be used, nor even printed whole.
                    self.wrong(path, "an integer of 64 bits (TOML's range)", value)
                    return None
                return value
            case schema.BOOLEAN:
                if not isinstance(value, bool):
                    self.wrong(path, "a boolean (true or false)", value)
                    return None
                return value
            case schema.NAMES | schema.ARGV:
                return self.string_list(value, path)
            case schema.STRING_MAP:
                return self.map_of_strings(value, path, lists=False)
            case schema.METADATA_MAP | schema.DIRECTIVE_MAP:
                return self.map_of_strings(value, path, lists=True)
            case schema.ENV_MAP:
                return self.env_map(value, path)
            case schema.TABLE:
                return self.table(value, key, path)
            case schema.TABLE_LIST:
                return self.table_list(value, key, path)
            case schema.TABLE_MAP:
                return self.table_map(value, key, path)
            case schema.COMMANDS:
                return self.commands(value, key, path)
        raise AssertionError(f"unknown schema kind {key.kind}")

    def wrong(self, path: KeyPath, expected: str, value: object) -> None:
        self.diagnostics.error("S101", f"expected {expected}, found {type_name(value)}", **self.origins.where(path))

    def string(self, value: object, key: Key, path: KeyPath) -> str | None:
        if not isinstance(value, str):
            self.wrong(path, "a string", value)
            return None
        if key.nonempty and not value:
            self.diagnostics.error(
                "S106", "the value is empty", hint="remove the key to get its default", **self.origins.where(path)
            )
            return None
        if key.enum and value not in key.enum:
            self.diagnostics.error(
                "S102",
                f"invalid value {value!r}",
                hint=(did_you_mean(value, key.enum) or "") + " " + one_of(key.enum),
                **self.origins.where(path),
            )
            return None
        return sys.intern(value)

    def string_list(self, value: object, path: KeyPath) -> list[str] | None:
        if not isinstance(value, list):
            self.wrong(path, "an array of strings", value)
            return None
        good = []
        for i, item in enumerate(value):
            if isinstance(item, str):
                good.append(sys.intern(item))
            else:
                self.wrong((*path, i), "a string", item)
        return good

    def map_of_strings(self, value: object, path: KeyPath, *, lists: bool) -> dict[str, object] | None:
        """A table of strings; with ``lists``, of strings or arrays of strings."""
        if not isinstance(value, dict):
            self.wrong(path, "a table", value)
            return None
        good: dict[str, object] = {}
        for name, item in value.items():
            if isinstance(item, str):
                good[sys.intern(name)] = sys.intern(item)
            elif lists and isinstance(item, list):
                good[sys.intern(name)] = self.string_list(item, (*path, name))
            else:
                self.wrong((*path, name), "a string or an array of strings" if lists else "a string", item)
        return good

    def env_map(self, value: object, path: KeyPath) -> dict[str, object] | None:
        if not isinstance(value, dict):
            self.wrong(path, "a table", value)
            return None
        good: dict[str, object] = {}
        for name, item in value.items():
            checked = sys.intern(item) if isinstance(item, str) else self.env_value(item, (*path, name))
            if checked is not None:
                good[sys.intern(name)] = checked
        return good

    def env_value(self, value: object, path: KeyPath) -> dict[str, object] | None:
        if not isinstance(value, dict):
            self.wrong(path, 'a string or a table { value = "…", secret = false }', value)
            return None
        checked = self.table(value, schema.ENV_VALUE_TABLE, path)
        if checked is not None and "value" not in checked:
            self.diagnostics.error("S104", "missing required key 'value'", **self.origins.where(path))
            return None
        return checked

    def table_list(self, value: object, key: Key, path: KeyPath) -> list[dict[str, object]] | None:
        if not isinstance(value, list):
            self.wrong(path, "an array of tables", value)
            return None
        checked = [self.table(item, key, (*path, i)) for i, item in enumerate(value)]
        return [table for table in checked if table is not None]

    def commands(self, value: object, key: Key, path: KeyPath) -> list[object] | None:
        """Each command an argv array, or a table with one."""
        if not isinstance(value, list):
            self.wrong(path, "an array of commands", value)
            return None
        good: list[object] = []
        for i, item in enumerate(value):
            if isinstance(item, list):
                good.append(self.string_list(item, (*path, i)))
            elif not isinstance(item, dict):
                self.wrong((*path, i), "an argv array or a table { argv = […] }", item)
            else:
                checked = self.table(item, key, (*path, i))
                if checked is not None and "argv" not in checked:
                    self.diagnostics.error("S107", "missing required key 'argv'", **self.origins.where((*path, i)))
                elif checked is not None:
                    good.append(checked)
        return good

    def table_map(self, value: object, key: Key, path: KeyPath) -> dict[str, object] | None:
        if not isinstance(value, dict):
            self.wrong(path, "a table", value)
            return None
        good: dict[str, object] = {}
        for name, item in value.items():
            checked = self.table(item, key, (*path, name))
            if checked is not None:
                good[sys.intern(name)] = checked
        return good

    def table(self, value: object, key: Key, path: KeyPath) -> dict[str, object] | None:
        if not isinstance(value, dict):
            self.wrong(path, "a table", value)
            return None
        good: dict[str, object] = {}
        for name, item in value.items():
            field = key.fields.get(name)
            if field is None:
                self.unknown_key(name, key, path)
                continue
            checked = self.value(item, field, (*path, name))
            if checked is not None:
                good[sys.intern(name)] = checked
        return good

    def unknown_key(self, name: str, key: Key, path: KeyPath) -> None:
        self.diagnostics.error(
            "S100",
            f"unknown key {name!r}",
            hint=did_you_mean(name, key.fields) or ("known keys: " + ", ".join(sorted(key.fields))),
            **self.origins.where((*path, name)),
        )
