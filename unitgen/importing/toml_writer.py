"""A small, exact TOML emitter for the spec data the importer builds.

The data is plain: tables (dicts) of strings, booleans, integers, lists of strings,
arrays of tables and arrays of commands (argv lists or ``{argv, …}`` tables, one a line).  Scalars and lists of scalars are written first, then sub-tables
(``[a.b]``), then arrays of tables (``[[a.b]]``), so that what ``tomllib`` reads back is
exactly the data given.  A table holding only scalars inline stays readable as
``NAME = { … }`` where it is short (``env``, ``machine_metadata``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from unitgen.spec.source import toml_key as key
from unitgen.spec.source import toml_string as string

_INLINE_LIMIT = 100

Value = object  # str | bool | int | list | dict, checked at runtime


def dumps(data: Mapping[str, Value]) -> str:
    """The TOML text of ``data``."""
    lines: list[str] = []
    _table(lines, (), data)
    return "\n".join(lines).lstrip("\n") + "\n"


def _is_table_array(value: Value) -> bool:
    """Tables of scalars (``container.secrets``); hook commands ({argv = […]}) stay inline."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, dict) and not any(isinstance(v, list) for v in item.values()) for item in value)
    )


def _inline_ok(value: Mapping[str, Value]) -> bool:
    return all(not isinstance(item, (dict, list)) or _is_scalar_list(item) for item in value.values())


def _is_scalar_list(value: Value) -> bool:
    return isinstance(value, list) and not any(isinstance(item, (dict, list)) for item in value)


def scalar(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return string(value)
    if isinstance(value, list):
        return "[" + ", ".join(scalar(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key(k)} = {scalar(v)}" for k, v in value.items()) + " }" if value else "{}"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _header(path: Sequence[str]) -> str:
    return ".".join(key(part) for part in path)


def _table(lines: list[str], path: tuple[str, ...], data: Mapping[str, Value]) -> None:
    tables: list[tuple[str, Mapping[str, Value]]] = []
    arrays: list[tuple[str, list[Mapping[str, Value]]]] = []
    for name, value in data.items():
        if isinstance(value, dict):
            inline = scalar(value)
            if _inline_ok(value) and value and len(inline) <= _INLINE_LIMIT:
                lines.append(f"{key(name)} = {inline}")
            else:
                tables.append((name, value))
        elif _is_table_array(value):
            assert isinstance(value, list)
            arrays.append((name, value))
        elif isinstance(value, list) and not _is_scalar_list(value):
            # one item a line (hook commands): long argvs stay readable
            lines.append(f"{key(name)} = [")
            lines.extend(f"    {scalar(item)}," for item in value)
            lines.append("]")
        else:
            lines.append(f"{key(name)} = {scalar(value)}")
    for name, table in tables:
        lines.append("")
        lines.append(f"[{_header((*path, name))}]")
        _table(lines, (*path, name), table)
    for name, items in arrays:
        for item in items:
            lines.append("")
            lines.append(f"[[{_header((*path, name))}]]")
            _table(lines, (*path, name), item)
