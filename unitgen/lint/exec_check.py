"""L3xx: Exec lines as systemd 252's config_parse_exec reads them, and L212/L213 for services."""

from __future__ import annotations

import re

from unitgen.lint.context import Context
from unitgen.systemd import directives
from unitgen.systemd.execline import Command, ExecLine, parse_exec
from unitgen.systemd.unitfile import Entry

# string_is_safe(): the executable may not contain these, however it is quoted.
_UNSAFE_IN_PATH = re.compile("[\x00-\x1f\x7f\"'\\\\]")
_SHELL_OPERATORS = frozenset({"|", "||", "&&", "&", ";;", "|&"})
# Redirections: >file, 2>&1, &>/dev/null, <input ...
_REDIRECTION = re.compile(r"^(?:[0-9]*>>?|&>>?|[0-9]*<<?)(?:&[0-9-]|[^<>|&]*)$")
_NAME_MAX = 255


def executable_problem(command: Command) -> str | None:
    """Why systemd refuses this command's executable (fatal for the unit), or None."""
    path = command.executable
    if not path:
        return "empty executable path ('Empty path in command line')"
    unsafe = _UNSAFE_IN_PATH.search(path)
    if unsafe:
        return f"executable {path!r} contains {unsafe.group()!r} ('Executable name contains special characters')"
    if path.endswith("/"):
        return f"executable {path!r} ends in '/' ('Executable path specifies a directory')"
    if not path.startswith("/") and (
        "/" in path or path in (".", "..") or len(path.encode("utf-8", "surrogateescape")) > _NAME_MAX
    ):
        return f"executable {path!r} is neither an absolute path nor a plain file name"
    if "@" in command.flags and len(command.words) < 2:
        return "the '@' prefix needs a second word for argv[0] ('Empty executable name or zeroeth argument')"
    return None


def check(ctx: Context) -> None:
    start_commands = 0
    start_entries: list[Entry] = []
    types: list[str] = []
    has_stop_or_action = False
    for entry in ctx.parsed.entries:
        if not entry.read_by_systemd:
            continue
        if entry.section == "Service" and entry.key == "Type":
            types.append(entry.value)
        if entry.key in ("ExecStop", "SuccessAction") and entry.value:
            has_stop_or_action = True
        if directives.kind(entry.section or "", entry.key).type is not directives.ValueType.EXEC:
            continue
        line = _check_entry(ctx, entry)
        if entry.section == "Service" and entry.key == "ExecStart":
            if not entry.value:
                start_commands, start_entries = 0, []  # an empty assignment resets the list
            else:
                start_commands += len(line.commands)
                start_entries.append(entry)
    if ctx.suffix == "service":
        _service_rules(ctx, start_commands, start_entries, types[-1] if types else "", has_stop_or_action)


def _service_rules(
    ctx: Context, start_commands: int, start_entries: list[Entry], service_type: str, has_stop_or_action: bool
) -> None:
    if not start_entries and not has_stop_or_action:
        line = next((h.line for h in ctx.parsed.headers if h.name == "Service"), 1)
        ctx.report(
            "L212",
            line,
            1,
            "service has no ExecStart= (nor ExecStop= or SuccessAction=): systemd refuses it "
            "('Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing.')",
        )
    if start_commands > 1 and service_type != "oneshot":
        entry = start_entries[-1] if len(start_entries) > 1 else start_entries[0]
        ctx.report(
            "L213",
            entry.line,
            entry.column,
            f"{start_commands} ExecStart= commands but Type={service_type or 'simple'}: systemd refuses the unit "
            "('Service has more than one ExecStart= setting, which is only allowed for Type=oneshot services')",
            "use ExecStartPre=/ExecStartPost= for the other commands, or Type=oneshot",
        )


def _check_entry(ctx: Context, entry: Entry) -> ExecLine:
    value = entry.value
    line = parse_exec(value)
    if line.split_error_at is not None:
        at_line, at_column = entry.position(line.split_error_at)
        ctx.report(
            "L301",
            at_line,
            at_column,
            f"{entry.key}= has an unbalanced quote: systemd drops the command ('Unbalanced quoting') and refuses the unit",
            'close the quote; inside "..." write \\" for a literal quote',
        )
        return line
    for at in line.unknown_escapes:
        at_line, at_column = entry.position(at)
        ctx.report(
            "L302",
            at_line,
            at_column,
            f"unknown escape {value[at : at + 2]!r} in {entry.key}=: systemd keeps the backslash ('Ignoring unknown escape sequences')",
            "write '\\\\' for a literal backslash",
        )
    for command in line.commands:
        problem = executable_problem(command)
        if problem:
            at_line, at_column = entry.position(command.words[0].start)
            ctx.report("L303", at_line, at_column, f"{entry.key}=: {problem}; systemd refuses the unit")
        _shell_habits(ctx, entry, command)
    return line


def _shell_habits(ctx: Context, entry: Entry, command: Command) -> None:
    value = entry.value
    operators = [
        w
        for w in command.words[1:]
        if not w.quoted and (w.raw(value) in _SHELL_OPERATORS or _REDIRECTION.match(w.raw(value)))
    ]
    if operators:
        at_line, at_column = entry.position(operators[0].start)
        shown = " ".join(w.raw(value) for w in operators)
        ctx.report(
            "L305",
            at_line,
            at_column,
            f"shell syntax '{shown}' is passed to {command.executable or 'the command'} as literal arguments: systemd runs no shell",
            "wrap the command in /bin/sh -c '...'",
        )
    for word in command.words[1:]:
        raw = word.raw(value)
        if word.text.startswith("$(") and ":" not in command.flags:
            at_line, at_column = entry.position(word.start)
            ctx.report(
                "L305",
                at_line,
                at_column,
                f"'{word.text[:20]}' is no command substitution: systemd reads a word starting with '$' as a variable name and, "
                "since no such variable exists, drops the argument",
                "wrap the command in /bin/sh -c '...'",
            )
        elif raw.endswith(";") and len(raw) > 1 and not raw.endswith("\\;") and not word.quoted:
            at_line, at_column = entry.position(word.end - 1)
            ctx.report(
                "L304",
                at_line,
                at_column,
                f"';' in '{raw}' is part of the argument: only a ';' standing alone separates commands",
                "put a space before ';' (systemd then runs the next command itself), or use /bin/sh -c",
            )
