"""L2xx: known directives and the value grammar of each, as systemd 252 parses them."""

from __future__ import annotations

import re

from unitgen.diagnostics import did_you_mean
from unitgen.lint.context import Context
from unitgen.systemd import directives
from unitgen.systemd.directives import ValueType, sections_for
from unitgen.systemd.unitfile import Entry
from unitgen.systemd.unitnames import systemd_name_problem
from unitgen.systemd.values import env_name_is_valid, parse_boolean, specifier_positions, timespan_problem
from unitgen.systemd.words import split_words

_ANY_SPECIFIER = re.compile(r"%[A-Za-z0-9]")
_DEPRECATED_VALUES = {
    ("KillMode", "none"): "KillMode=none is deprecated and unsafe: systemd no longer stops the service's processes",
    ("StandardOutput", "syslog"): "StandardOutput=syslog is obsolete; systemd 252 uses journal",
    ("StandardOutput", "syslog+console"): "StandardOutput=syslog+console is obsolete; systemd 252 uses journal+console",
    ("StandardError", "syslog"): "StandardError=syslog is obsolete; systemd 252 uses journal",
    ("StandardError", "syslog+console"): "StandardError=syslog+console is obsolete; systemd 252 uses journal+console",
}


def check(ctx: Context) -> None:
    name_problem = systemd_name_problem(ctx.unit_name)
    if name_problem:
        ctx.report("L211", None, None, f"'{ctx.unit_name}': {name_problem}")
    readable = sections_for(ctx.unit_name)
    for entry in ctx.parsed.entries:
        if entry.read_by_systemd and entry.section is not None:
            _check_entry(ctx, entry, readable)


def _check_entry(ctx: Context, entry: Entry, readable: frozenset[str] | None) -> None:
    section = entry.section or ""
    key = entry.key
    if not directives.is_known(section, key):
        ctx.report(
            "L201",
            entry.line,
            entry.column,
            f"unknown key '{key}' in section [{section}]: systemd ignores it",
            _where_it_belongs(section, key, readable),
        )
        return
    if directives.is_removed(section, key):
        ctx.report("L202", entry.line, entry.column, f"{key}= was removed from systemd: it is ignored")
        return
    if directives.is_deprecated(section, key):
        ctx.report("L203", entry.line, entry.column, f"{key}= is deprecated in systemd 252 and will be removed")
    deprecated_value = _DEPRECATED_VALUES.get((key, entry.value))
    if deprecated_value:
        ctx.report("L203", entry.line, entry.value_column, deprecated_value)
    if not entry.value:
        return  # an empty assignment resets the setting
    kind = directives.kind(section, key)
    _check_value(ctx, entry, kind)
    if kind.specifiers is not None:
        for offset, letter in specifier_positions(entry.value, kind.specifiers):
            line, column = entry.position(offset)
            ctx.report(
                "L208",
                line,
                column,
                f"'%{letter}' is not a specifier {key}= accepts: systemd refuses it ('Invalid slot')",
                f"write '%%{letter}' for a literal '%{letter}'",
            )


def _where_it_belongs(section: str, key: str, readable: frozenset[str] | None) -> str | None:
    homes = sorted(s for s, keys in directives.KNOWN.items() if key in keys and (readable is None or s in readable))
    if homes:
        return f"'{key}' belongs in [{homes[0]}]"
    return did_you_mean(key, directives.KNOWN.get(section, ()))


def _check_value(ctx: Context, entry: Entry, kind: directives.Kind) -> None:
    value = entry.value
    key = entry.key
    where = (entry.line, entry.value_column)
    if kind.type is ValueType.BOOL:
        if parse_boolean(value) is None:
            ctx.report("L204", *where, f"{key}={value} is not a boolean: systemd ignores it", "use yes or no")
    elif kind.type is ValueType.TIMESPAN:
        problem = timespan_problem(value)
        if problem:
            ctx.report(
                "L205",
                *where,
                f"{key}={value} is not a time span ({problem}): systemd ignores it",
                "e.g. 90s, 5min 20s, infinity",
            )
    elif kind.type is ValueType.ENUM:
        if value not in kind.choices:
            hint = did_you_mean(value, kind.choices) or "allowed: " + ", ".join(sorted(kind.choices))
            ctx.report("L206", *where, f"{key}={value} is not an allowed value: systemd ignores it", hint)
    elif key in ("StandardOutput", "StandardError", "StandardInput"):
        _check_standard_stream(ctx, entry)
    elif kind.type in (ValueType.UNIT_LIST, ValueType.UNIT_NAME):
        _check_unit_names(ctx, entry)
    elif kind.type is ValueType.ENVIRONMENT:
        _check_environment(ctx, entry)
    elif kind.type in (ValueType.ENVIRONMENT_FILE, ValueType.PATH):
        path = value.removeprefix("-")
        if key == "WorkingDirectory" and path.startswith("~"):
            return
        if not path.startswith("/") and not path.startswith("%"):
            ctx.report("L210", *where, f"{key}={value}: the path is not absolute, so systemd ignores the setting")


def _check_standard_stream(ctx: Context, entry: Entry) -> None:
    if entry.key == "StandardInput":
        choices, prefixes = directives.STANDARD_INPUT_CHOICES, directives.STANDARD_INPUT_PREFIXES
    else:
        choices, prefixes = directives.STANDARD_OUTPUT_CHOICES, directives.STANDARD_OUTPUT_PREFIXES
    if entry.value in choices or entry.value.startswith(prefixes):
        return
    ctx.report(
        "L206",
        entry.line,
        entry.value_column,
        f"{entry.key}={entry.value} is not an allowed value: systemd ignores it",
        did_you_mean(entry.value, choices) or "allowed: " + ", ".join(sorted(choices)),
    )


def _check_unit_names(ctx: Context, entry: Entry) -> None:
    # Dependencies are split on blanks only: quotes and backslashes stay in the name.
    for match in re.finditer(r"[^ \t\n\r]+", entry.value):
        name = match.group()
        # Specifiers expand to something valid in a name; test the rest of the name.
        problem = systemd_name_problem(_ANY_SPECIFIER.sub("x", name.replace("%%", "")))
        if problem:
            line, column = entry.position(match.start())
            ctx.report("L207", line, column, f"{entry.key}= names '{name}': {problem}; systemd ignores it")


def _check_environment(ctx: Context, entry: Entry) -> None:
    split = split_words(entry.value)
    broken_at = (
        split.unbalanced_at
        if split.unbalanced_at is not None
        else (split.unknown_escapes[0] if split.unknown_escapes else None)
    )
    for word in split.words:
        if broken_at is not None and word.end > broken_at:
            break
        name, equals, _ = word.text.partition("=")
        if equals and env_name_is_valid(name):
            continue
        line, column = entry.position(word.start)
        why = f"'{name}' is not a valid variable name" if equals else "it has no '='"
        ctx.report(
            "L209", line, column, f"Environment= word '{word.text}' is dropped: {why}", 'write "NAME=value with spaces"'
        )
    if broken_at is not None:
        line, column = entry.position(broken_at)
        why = (
            "an unbalanced quote"
            if split.unbalanced_at is not None
            else f"the unknown escape {entry.value[broken_at : broken_at + 2]!r}"
        )
        ctx.report(
            "L209",
            line,
            column,
            f"Environment= has {why}: systemd drops the assignments from here on ('Invalid syntax, ignoring')",
        )
