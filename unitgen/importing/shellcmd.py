"""``/bin/sh -c '…'`` around one simple command: the command's words, as an Exec line would
give them, or why the script is more than one simple command.

The script is what systemd hands the shell after its own expansion (``$$`` is ``$``).  It
is one simple command when it has no operator (``;``, ``&&``, ``|``, redirections, …), no
backquotes and no command substitution other than ``$(etcdctl get KEY)``, optionally
after ``exec``.  Each ``$(etcdctl get KEY)`` becomes a marker (``etcd_marker``) that the
caller maps to a runtime value; a variable ``$NAME`` or ``${NAME}`` (the unit's
environment, which the shell inherits) becomes ``${NAME}`` as systemd writes it.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping

import attrs

SHELLS = frozenset({"sh", "bash"})
_ETCD_GET = re.compile(r"\$\((?:/usr/bin/|/bin/)?etcdctl get (/[A-Za-z0-9_./-]+)\)")
_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_MARKER = re.compile("\x00([0-9]+)\x00")
_SHELL_SPECIAL = re.compile(r"[\"'\\$`;&|<>()\n]")


def etcd_marker(index: int) -> str:
    return f"\x00{index}\x00"


def markers(word: str) -> list[tuple[int, int, int]]:
    """(start, end, index) of each etcd marker in ``word``."""
    return [(m.start(), m.end(), int(m.group(1))) for m in _MARKER.finditer(word)]


@attrs.frozen
class Unwrapped:
    words: tuple[str, ...]
    etcd_keys: tuple[str, ...]  # marker index -> etcd key


class NotSimple(ValueError):
    pass


def shell_script(executable: str, args: tuple[str, ...]) -> str | None:
    """The script when the command is ``sh -c SCRIPT`` (or ``bash``, or ``env bash``)."""
    name = executable.rsplit("/", 1)[-1]
    if name == "env" and args and args[0] in SHELLS:
        name, args = args[0], args[1:]
    if name in SHELLS and len(args) == 2 and args[0] == "-c":
        return args[1]
    return None


def unwrap(script: str, environment: Mapping[str, str] | None = None) -> Unwrapped:
    """The words of the one simple command ``script`` runs; ``environment`` holds the values
    the unit's ``Environment=`` gives, which the shell expands as it reads the words."""
    text = script.replace("$$", "$")
    for name, value in (environment or {}).items():
        if re.search(rf"\$(?:{name}\b|\{{{name}\}})", text):
            if _SHELL_SPECIAL.search(value):
                raise NotSimple(f"${name} holds characters the shell would read differently")
            text = re.sub(rf"\$(?:{name}\b|\{{{name}\}})", value.replace("\\", r"\\"), text)
    keys: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        keys.append(match.group(1))
        return etcd_marker(len(keys) - 1)

    text = _ETCD_GET.sub(substitute, text)
    if "`" in text or "$(" in text:
        raise NotSimple("a command substitution other than $(etcdctl get KEY)")
    if re.search(r"'[^']*\$[^']*'", text):
        raise NotSimple("a '$' inside single quotes")
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|<>()")
    lexer.whitespace_split = True
    try:
        words = list(lexer)
    except ValueError as error:
        raise NotSimple(f"the shell cannot read it: {error}") from None
    for word in words:
        if word and all(char in ";&|<>()" for char in word):
            raise NotSimple(f"more than one simple command (operator {word!r})")
    if words[:1] == ["exec"]:
        words = words[1:]
    if not words:
        raise NotSimple("no command")
    if "=" in words[0] and not words[0].startswith("/"):
        raise NotSimple("a variable assignment before the command")
    return Unwrapped(tuple(_systemd_form(word) for word in words), tuple(keys))


def _systemd_form(word: str) -> str:
    """A shell word as an Exec argument would say it: variables ``${NAME}``, no other '$'."""
    out = []
    position = 0
    for match in _VARIABLE.finditer(word):
        out.append(word[position : match.start()])
        out.append("${" + (match.group(1) or match.group(2)) + "}")
        position = match.end()
    rest = word[position:]
    out.append(rest)
    result = "".join(out)
    if "$" in _VARIABLE.sub("", word):
        raise NotSimple(f"a '$' the importer cannot read in {word!r}")
    return result
