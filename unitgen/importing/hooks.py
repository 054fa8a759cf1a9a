"""Exec lines that are not the container's lifecycle, as ``[hooks]`` commands.

Each command keeps the argv systemd runs, word for word: a shell line stays
``["/bin/sh", "-c", "…"]`` (unwrapping it would change which process runs, and its exact
argv already says everything).  The unit's ``Environment=`` values are put in where systemd
expands them (``environment``), specifiers and variables become templates (``spectext``).
"""

from __future__ import annotations

from typing import Any

from unitgen.importing import spectext
from unitgen.importing.environment import UnitEnvironment
from unitgen.systemd.execline import parse_exec
from unitgen.systemd.unitfile import Entry

# Exec directive -> its [hooks] key
HOOK_KEYS = {
    "ExecStartPre": "before_start",
    "ExecStartPost": "after_start",
    "ExecStop": "stop",
    "ExecStopPost": "after_stop",
}


class NotAHook(ValueError):
    """An Exec line the hook keys cannot say exactly; the message says why."""


def hook_commands(entry: Entry, environment: UnitEnvironment) -> list[Any]:
    """The commands of one Exec line: an argv list, or ``{argv, ignore_failure}`` for ``-``."""
    parsed = parse_exec(entry.value)
    if parsed.split_error_at is not None:
        raise NotAHook("its quoting is unbalanced, so systemd ignores the line")
    commands: list[Any] = []
    for command in parsed.commands:
        if command.flags.replace("-", ""):
            raise NotAHook(f"the prefix {command.flags!r} has no spec key (only '-', ignore_failure)")
        program = spectext.plain(command.executable)
        if "{{" in program:
            raise NotAHook(f"the program {command.executable!r} uses a specifier, which a spec's program cannot")
        if not program.startswith("/"):
            raise NotAHook(f"the program {program!r} is not an absolute path, which a spec requires")
        args = environment.expand(tuple(word.text for word in command.words[1:]))
        argv = [program, *(spectext.exec_argument(arg) for arg in args)]
        commands.append({"argv": argv, "ignore_failure": True} if "-" in command.flags else argv)
    return commands
