"""Raw TOML data checked against the schema: unknown keys and wrong types.

Bad entries are reported and dropped, so later stages only ever see well-typed data
and every problem of a file is reported in one run.
"""

from __future__ import annotations

import sys

from unitgen import schema
from unitgen.diagnostics import Diagnostics, did_you_mean, one_of
from unitgen.schema import Key
from unitgen.source import KeyPath, Origins


def type_name(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    import datetime  # only to name a wrong type

    if isinstance(value, (datetime.date, datetime.time)):
        return "a date/time"
    return type(value).__name__


class _Checker:
    def __init__(self, origins: Origins, diagnostics: Diagnostics) -> None:
        self.origins = origins
        self.diagnostics = diagnostics

    def wrong(self, path: KeyPath, expected: str, value: object) -> None:
        self.diagnostics.error(
            "S101", f"expected {expected}, found {type_name(value)}", **self.origins.where(path)
        )  # type: ignore[arg-type]

    def check(self, value: object, key: Key, path: KeyPath) -> object | None:
        kind = key.kind
        if kind == schema.STRING:
            if not isinstance(value, str):
                return self.wrong(path, "a string", value)
            if key.enum and value not in key.enum:
                self.diagnostics.error(
                    "S102",
                    f"invalid value {value!r}",
                    hint=(did_you_mean(value, key.enum) or "") + " " + one_of(key.enum),
                    **self.origins.where(path),  # type: ignore[arg-type]
                )
                return None
            return _shared(value)
        if kind == schema.INTEGER:
            if isinstance(value, bool) or not isinstance(value, int):
                return self.wrong(path, "an integer", value)
            return value
        if kind == schema.BOOLEAN:
            if not isinstance(value, bool):
                return self.wrong(path, "a boolean (true or false)", value)
            return value
        if kind in (schema.NAMES, schema.ARGV):
            return self.string_list(value, path)
        if kind == schema.STRING_MAP:
            return self.mapping(value, path, lambda v, p: _shared(v) if isinstance(v, str) else self.wrong(p, "a string", v))
        if kind in (schema.METADATA_MAP, schema.DIRECTIVE_MAP):
            return self.mapping(value, path, self.string_or_list)
        if kind == schema.ENV_MAP:
            return self.mapping(value, path, self.env_value)
        if kind == schema.TABLE:
            return self.table(value, key, path)
        if kind == schema.TABLE_LIST:
            if not isinstance(value, list):
                return self.wrong(path, "an array of tables", value)
            checked = [self.table(item, key, (*path, i)) for i, item in enumerate(value)]
            return [c for c in checked if c is not None]
        if kind == schema.TABLE_MAP:
            return self.mapping(value, path, lambda v, p: self.table(v, key, p))
        raise AssertionError(f"unknown schema kind {kind}")

    def string_list(self, value: object, path: KeyPath) -> list[str] | None:
        if not isinstance(value, list):
            return self.wrong(path, "an array of strings", value)  # type: ignore[func-returns-value]
        good = []
        for i, item in enumerate(value):
            if isinstance(item, str):
                good.append(_shared(item))
            else:
                self.wrong((*path, i), "a string", item)
        return good

    def string_or_list(self, value: object, path: KeyPath) -> object | None:
        if isinstance(value, str):
            return _shared(value)
        if isinstance(value, list):
            return self.string_list(value, path)
        return self.wrong(path, "a string or an array of strings", value)

    def env_value(self, value: object, path: KeyPath) -> object | None:
        if isinstance(value, str):
            return value
        if isinstance(value, dict):
            checked = self.table(value, schema.ENV_VALUE_TABLE, path)
            if checked is not None and "value" not in checked:
                self.diagnostics.error("S104", "missing required key 'value'", **self.origins.where(path))  # type: ignore[arg-type]
                return None
            return checked
        return self.wrong(path, 'a string or a table { value = "…", secret = false }', value)

    def mapping(self, value: object, path: KeyPath, check_item) -> dict[str, object] | None:  # type: ignore[no-untyped-def]
        if not isinstance(value, dict):
            return self.wrong(path, "a table", value)  # type: ignore[func-returns-value]
        good = {}
        for name, item in value.items():
            checked = check_item(item, (*path, name))
            if checked is not None:
                good[name] = checked
        return good

    def table(self, value: object, key: Key, path: KeyPath) -> dict[str, object] | None:
        if not isinstance(value, dict):
            return self.wrong(path, "a table", value)  # type: ignore[func-returns-value]
        fields = schema.fields_of(key)
        good = {}
        for name, item in value.items():
            sub = fields.get(name)
            if sub is None:
                self.diagnostics.error(
                    "S100",
                    f"unknown key {name!r}",
                    hint=did_you_mean(name, fields) or ("known keys: " + ", ".join(sorted(fields))),
                    **self.origins.where((*path, name)),  # type: ignore[arg-type]
                )
                continue
            checked = self.check(item, sub, (*path, name))
            if checked is not None:
                good[sys.intern(name)] = checked  # every spec repeats the same keys: keep one copy
        return good


def _shared(text: str) -> str:
    """One copy of a short string however many specs repeat it (images, flags, ports,
    "always"): a 10,000-spec compile holds every spec's data at once."""
    return sys.intern(text) if len(text) <= 64 else text


def check_document(data: dict[str, object], key: Key, origins: Origins, diagnostics: Diagnostics) -> dict[str, object]:
    checked = _Checker(origins, diagnostics).table(data, key, ())
    return checked or {}
