"""What every check of one unit file sees, and how it reports."""

from __future__ import annotations

import re

import attrs

from unitgen.diagnostics import Diagnostic, Location
from unitgen.systemd.directives import KNOWN
from unitgen.codes import severity
from unitgen.systemd.unitfile import GoParse, ParsedUnit
from unitgen.systemd.unitnames import split_name

# The sections systemd 252 reads for each unit type (unit_vtable[]->sections).
SECTIONS_BY_SUFFIX: dict[str, frozenset[str]] = {
    suffix: frozenset({"Unit", "Install", *extra})
    for suffix, extra in {
        "service": ("Service",),
        "socket": ("Socket",),
        "timer": ("Timer",),
        "path": ("Path",),
        "mount": ("Mount",),
        "automount": ("Automount",),
        "swap": ("Swap",),
        "slice": ("Slice",),
        "scope": ("Scope",),
        "target": (),
        "device": (),
    }.items()
}


def sections_for(unit_name: str) -> frozenset[str]:
    """The sections systemd reads for this file; any section it knows when the suffix is not a unit type."""
    return SECTIONS_BY_SUFFIX.get(split_name(unit_name)[2], frozenset(KNOWN))


_UNPRINTABLE = re.compile("[\x00-\x1f\x7f]")


def printable(text: str) -> str:
    """Message text safe for any terminal and for strict UTF-8: invalid bytes and controls as \\xNN."""
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


@attrs.define
class Context:
    path: str
    unit_name: str
    data: bytes
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
