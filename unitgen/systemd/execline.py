"""An ``Exec…=`` value as systemd 252's ``config_parse_exec`` reads it.

The value is split into words (``words.split_words``); a ``;`` standing alone ends a
command (``\\;`` is a literal one), and the first word of each command carries the prefix
characters (``-@:+!``) before the executable.
"""

from __future__ import annotations

import attrs

from unitgen.systemd.words import Word, split_words


@attrs.frozen
class Command:
    flags: str  # the prefix characters, e.g. "-" or "@+"
    words: tuple[Word, ...]  # executable first (with its prefixes stripped in ``executable``)
    executable: str


@attrs.frozen
class ExecLine:
    commands: tuple[Command, ...]
    split_error_at: int | None  # unbalanced quoting: systemd drops the whole line
    unknown_escapes: tuple[int, ...]


def parse_exec(value: str) -> ExecLine:
    """The commands of one Exec value, and where systemd's reading of it goes wrong."""
    split = split_words(value)
    commands: list[Command] = []
    current: list[Word] = []
    for word in split.words:
        raw = word.raw(value)
        if not current:
            if word.text == ";":
                continue  # a lone ';' where a command would start is skipped
            current.append(word)
            continue
        if raw == ";":
            commands.append(_command(current))
            current = []
            continue
        if raw == "\\;":
            word = attrs.evolve(word, text=";")
        current.append(word)
    if current:
        commands.append(_command(current))
    escapes = tuple(at for at in split.unknown_escapes if not _is_escaped_separator(value, at))
    return ExecLine(tuple(commands), split.unbalanced_at, escapes)


def _is_escaped_separator(value: str, at: int) -> bool:
    """A raw ``\\;`` word is a literal ';', read without the unknown-escape warning."""
    return (
        value[at : at + 2] == "\\;"
        and (at + 2 == len(value) or value[at + 2] in " \t\n\r")
        and (at == 0 or value[at - 1] in " \t\n\r")
    )


def _command(words: list[Word]) -> Command:
    first = words[0].text
    flags = ""
    rest = first
    # Each prefix at most once; only one of '+', '!', '!!' (config_parse_exec).
    while rest:
        char = rest[0]
        if char == "-" and "-" not in flags:
            flags += "-"
        elif char == "@" and "@" not in flags:
            flags += "@"
        elif char == ":" and ":" not in flags:
            flags += ":"
        elif char == "+" and not any(c in flags for c in "+!"):
            flags += "+"
        elif char == "!" and rest[:2] == "!!" and not any(c in flags for c in "+!"):
            flags += "!!"
            rest = rest[1:]
        elif char == "!" and not any(c in flags for c in "+!"):
            flags += "!"
        else:
            break
        rest = rest[1:]
    return Command(flags, tuple(words), rest)
