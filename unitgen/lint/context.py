"""What every check of one unit file sees, and how it reports."""

from __future__ import annotations

import attrs

from unitgen.diagnostics import Diagnostic, Location
from unitgen.lint.codes import severity
from unitgen.lint.parser import GoParse, ParsedUnit
from unitgen.unitnames import split_name

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


def sections_for(unit_name: str) -> frozenset[str] | None:
    """None when the suffix is unknown: then any systemd section is accepted."""
    return SECTIONS_BY_SUFFIX.get(split_name(unit_name)[2])


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
            Diagnostic(code, severity(code), message, Location(self.path, line, column), hint=hint)
        )

    def has(self, code: str, line: int) -> bool:
        return any(d.code == code and d.location is not None and d.location.line == line for d in self.findings)
