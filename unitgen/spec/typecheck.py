"""Raw TOML data checked against the schema: unknown keys and wrong types.

Bad entries are reported and dropped, so later stages only ever see well-typed data
and every problem of a file is reported in one run.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from unitgen.diagnostics import Diagnostics, did_you_mean, one_of
from unitgen.spec import schema
from unitgen.spec.schema import Key
from unitgen.spec.source import KeyPath, Origins


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
    """Checks one document; ``table`` and the checks it dispatches to by kind.

    Key paths are only needed to report a problem, so the common well-typed cases are
    checked without building the path of each item.
    """

    def __init__(self, origins: Origins, diagnostics: Diagnostics) -> None:
        self.origins = origins
        self.diagnostics = diagnostics

    def wrong(self, path: KeyPath, expected: str, value: object) -> None:
        self.diagnostics.error(
            "S101", f"expected {expected}, found {type_name(value)}", **self.origins.where(path)
        )  # type: ignore[arg-type]

    def string(self, value: object, key: Key, path: KeyPath) -> object | None:
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

    def integer(self, value: object, key: Key, path: KeyPath) -> object | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return self.wrong(path, "an integer", value)
        return value

    def boolean(self, value: object, key: Key, path: KeyPath) -> object | None:
        if not isinstance(value, bool):
            return self.wrong(path, "a boolean (true or false)", value)
        return value

    def string_list(self, value: object, key: Key | None, path: KeyPath) -> list[str] | None:
        if not isinstance(value, list):
            return self.wrong(path, "an array of strings", value)  # type: ignore[func-returns-value]
        good = []
        for i, item in enumerate(value):
            if isinstance(item, str):
                good.append(_shared(item))
            else:
                self.wrong((*path, i), "a string", item)
        return good

    def string_map(self, value: object, key: Key, path: KeyPath) -> dict[str, object] | None:
        return self._map_of_strings(value, path, lists=False)

    def string_or_list_map(self, value: object, key: Key, path: KeyPath) -> dict[str, object] | None:
        return self._map_of_strings(value, path, lists=True)

    def _map_of_strings(self, value: object, path: KeyPath, *, lists: bool) -> dict[str, object] | None:
        if not isinstance(value, dict):
            return self.wrong(path, "a table", value)  # type: ignore[func-returns-value]
        good = {}
        for name, item in value.items():
            if isinstance(item, str):
                good[name] = _shared(item)
            elif lists and isinstance(item, list):
                good[name] = self.string_list(item, None, (*path, name))
            else:
                self.wrong((*path, name), "a string or an array of strings" if lists else "a string", item)
        return good

    def env_map(self, value: object, key: Key, path: KeyPath) -> dict[str, object] | None:
        if not isinstance(value, dict):
            return self.wrong(path, "a table", value)  # type: ignore[func-returns-value]
        good = {}
        for name, item in value.items():
            if isinstance(item, str):
                good[name] = item
                continue
            checked = self.env_value(item, (*path, name))
            if checked is not None:
                good[name] = checked
        return good

    def env_value(self, value: object, path: KeyPath) -> object | None:
        if isinstance(value, dict):
            checked = self.table(value, schema.ENV_VALUE_TABLE, path)
            if checked is not None and "value" not in checked:
                self.diagnostics.error("S104", "missing required key 'value'", **self.origins.where(path))  # type: ignore[arg-type]
                return None
            return checked
        return self.wrong(path, 'a string or a table { value = "…", secret = false }', value)

    def table_list(self, value: object, key: Key, path: KeyPath) -> list[object] | None:
        if not isinstance(value, list):
            return self.wrong(path, "an array of tables", value)  # type: ignore[func-returns-value]
        checked = [self.table(item, key, (*path, i)) for i, item in enumerate(value)]
        return [c for c in checked if c is not None]

    def table_map(self, value: object, key: Key, path: KeyPath) -> dict[str, object] | None:
        if not isinstance(value, dict):
            return self.wrong(path, "a table", value)  # type: ignore[func-returns-value]
        good = {}
        for name, item in value.items():
            checked = self.table(item, key, (*path, name))
            if checked is not None:
                good[name] = checked
        return good

    def table(self, value: object, key: Key, path: KeyPath) -> dict[str, object] | None:
        if not isinstance(value, dict):
            return self.wrong(path, "a table", value)  # type: ignore[func-returns-value]
        fields = _FIELDS_TO_CHECK.get(id(key)) or _fields_to_check(key)  # spare a call when cached
        good = {}
        for name, item in value.items():
            field = fields.get(name)
            if field is None:
                self.unknown_key(name, key, path)
                continue
            shared_name, sub, check_kind, plain_string = field
            if plain_string and isinstance(item, str):  # the commonest value, checked inline
                good[shared_name] = _shared(item)
                continue
            checked = check_kind(self, item, sub, path + (name,))
            if checked is not None:
                good[shared_name] = checked
        return good

    def unknown_key(self, name: str, key: Key, path: KeyPath) -> None:
        fields = schema.fields_of(key)
        self.diagnostics.error(
            "S100",
            f"unknown key {name!r}",
            hint=did_you_mean(name, fields) or ("known keys: " + ", ".join(sorted(fields))),
            **self.origins.where((*path, name)),  # type: ignore[arg-type]
        )

    def unknown_kind(self, value: object, key: Key, path: KeyPath) -> object | None:
        raise AssertionError(f"unknown schema kind {key.kind}")


# How each kind of value is checked: (checker, value, its schema key, its path) → the
# checked value, or None when it is dropped (after reporting why).
_CHECK_BY_KIND = {
    schema.STRING: _Checker.string,
    schema.INTEGER: _Checker.integer,
    schema.BOOLEAN: _Checker.boolean,
    schema.NAMES: _Checker.string_list,
    schema.ARGV: _Checker.string_list,
    schema.STRING_MAP: _Checker.string_map,
    schema.METADATA_MAP: _Checker.string_or_list_map,
    schema.DIRECTIVE_MAP: _Checker.string_or_list_map,
    schema.ENV_MAP: _Checker.env_map,
    schema.TABLE: _Checker.table,
    schema.TABLE_LIST: _Checker.table_list,
    schema.TABLE_MAP: _Checker.table_map,
}

# A table's fields, as ``table`` reads them: the field's name (one shared copy), its schema
# key, the check for its kind, and whether any string will do (no enum), which ``table``
# checks inline.  Schema keys are named tuples, whose fields are slower to read.
_Field = tuple[str, Key, Callable[[_Checker, object, Key, KeyPath], object], bool]
_FIELDS_TO_CHECK: dict[int, dict[str, _Field]] = {}  # by id() of the table's schema key
_KEYS_SEEN: list[Key] = []  # kept alive, so that their ids are not reused


def _fields_to_check(key: Key) -> dict[str, _Field]:
    fields = _FIELDS_TO_CHECK.get(id(key))
    if fields is None:
        fields = _FIELDS_TO_CHECK[id(key)] = {
            name: (sys.intern(name), sub, _CHECK_BY_KIND.get(sub.kind, _Checker.unknown_kind), sub.kind == schema.STRING and not sub.enum)
            for name, sub in schema.fields_of(key).items()
        }
        _KEYS_SEEN.append(key)
    return fields


_SHARED_LENGTH = 64  # longer strings are rarely repeated


def _shared(text: str) -> str:
    """One copy of a short string however many specs repeat it (images, flags, ports,
    "always"): a 10,000-spec compile holds every spec's data at once."""
    return sys.intern(text) if len(text) <= _SHARED_LENGTH else text


def check_document(data: dict[str, object], key: Key, origins: Origins, diagnostics: Diagnostics) -> dict[str, object]:
    checked = _Checker(origins, diagnostics).table(data, key, ())
    return checked or {}
