"""A unit's ``Environment=`` values, put into the commands that use them.

systemd expands variables when it runs a command: ``$NAME`` standing as a whole word becomes
the value's words, ``${NAME}`` inside a word its text.  A spec cannot set systemd's
environment (``Environment=`` is refused as a passthrough), so the importer writes the
values where ``ExecStart=`` uses them; a shell's script gets them before its words are read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from unitgen.systemd.unitfile import Entry
from unitgen.systemd.words import split_words

WHOLE_WORD = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_BRACED = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def assignments(value: str) -> dict[str, str]:
    """``Environment=``'s ``NAME=value`` words, as systemd splits them."""
    found = {}
    for word in split_words(value).words:
        name, equals, text = word.text.partition("=")
        if equals and name:
            found[name] = text
    return found


class UnitEnvironment:
    def __init__(self, service_entries: Sequence[Entry]) -> None:
        self.values: dict[str, str] = {}
        for entry in service_entries:
            if entry.key == "Environment":
                self.values.update(assignments(entry.value))
        self.written: set[str] = set()  # names whose values went into a command

    def expand(self, args: tuple[str, ...]) -> tuple[str, ...]:
        words: list[str] = []
        for arg in args:
            whole = WHOLE_WORD.fullmatch(arg)
            if whole and whole.group(1) in self.values:
                self.written.add(whole.group(1))
                words += [word.text for word in split_words(self.values[whole.group(1)]).words]
                continue
            words.append(_BRACED.sub(self._braced, arg))
        return tuple(words)

    def _braced(self, match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None or name not in self.values:
            return match.group()
        self.written.add(name)
        return self.values[name]

    def for_script(self, script: str) -> dict[str, str]:
        """The values a shell's script refers to (the shell expands them from its environment)."""
        used = {name: value for name, value in self.values.items() if re.search(rf"\$\{{?{name}\b", script)}
        self.written |= set(used)
        return used

    def all_written(self, entry: Entry) -> bool:
        """Whether every name this ``Environment=`` line sets went into a command."""
        return set(assignments(entry.value)) <= self.written
