"""What every check of one unit file sees, and how it reports."""

from __future__ import annotations

import re

import attrs

from unitgen.codes import severity
from unitgen.diagnostics import Diagnostic, Location
from unitgen.systemd.gounitfile import GoParse
from unitgen.systemd.unitfile import ParsedUnit
from unitgen.systemd.unitnames import split_name

_UNPRINTABLE = re.compile("[\x00-\x1f\x7f]")


def printable(text: str) -> str:
    """Message text safe for any terminal and for strict UTF-8: invalid bytes and controls as \\xNN."""
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


@attrs.frozen
class Context:
    path: str
    unit_name: str
    parsed: ParsedUnit
    go: GoParse
    findings: list[Diagnostic] = attrs.Factory(list)

    @property
    def suffix(self) -> str:
        return split_name(self.unit_name)[2]

    def report(self, code: str, line: int | None, column: int | None, message: str, hint: str | None = None) -> None:
        self.findings.append(
            Diagnostic(
                code,
                severity(code),
                printable(message),
                Location(self.path, line, column),
                hint=printable(hint) if hint else None,
            )
        )

    def has(self, code: str, line: int) -> bool:
        return any(d.code == code and d.location is not None and d.location.line == line for d in self.findings)
