"""Every finding ``unitgen lint`` can report: code, default severity, one-line meaning.

Severity follows the target.  An error is what systemd 252 refuses (the unit, or the
line: it logs "ignoring" and the setting is lost) or what fleet v1.0.0 refuses to submit;
a warning is what both accept but is probably not what the author meant.
Groups: L1xx line syntax, L2xx directives and values, L3xx Exec lines, L4xx fleet, L5xx secrets.
"""

from __future__ import annotations

import attrs

from unitgen.diagnostics import Severity

E = Severity.ERROR
W = Severity.WARNING


@attrs.frozen
class Code:
    code: str
    severity: Severity
    summary: str


_TABLE = (
    Code("L100", E, "the file cannot be read"),
    # L1xx: the line grammar of systemd 252 and of fleet's go-systemd parser
    Code("L101", E, "invalid section header: systemd refuses to load the unit"),
    Code("L102", E, "section unknown for this unit type: systemd ignores all of it"),
    Code("L103", E, "assignment before the first section: systemd ignores it"),
    Code("L104", E, "line without '=' (or without a key): systemd ignores it, fleet refuses the unit"),
    Code("L105", E, "physical line of 2048 bytes or more: fleet's parser refuses it"),
    Code("L106", E, "physical line of 1 MiB or more: systemd refuses to load the unit"),
    Code("L107", E, "invalid UTF-8: systemd ignores the assignment and fails the unit"),
    Code("L108", E, "NUL or lone CR inside a line: systemd ends the line there"),
    Code("L109", W, "control character in a line"),
    Code("L110", E, "fleet's parser (go-systemd) fails on the file: fleetctl refuses it"),
    Code("L111", W, "fleet's parser reads these lines differently from systemd"),
    Code("L112", W, "a continuation is ended by a blank line; the next lines stand alone"),
    Code("L113", W, "a continuation swallows a line that looks like a header or an assignment"),
    # L2xx: directives and their values
    Code("L201", E, "key unknown in this section: systemd ignores it"),
    Code("L202", W, "option removed from systemd: accepted and ignored"),
    Code("L203", W, "deprecated option or value: still applied, with a warning"),
    Code("L204", E, "invalid boolean: systemd ignores the setting"),
    Code("L205", E, "invalid time span: systemd ignores the setting"),
    Code("L206", E, "value not among the allowed ones: systemd ignores the setting"),
    Code("L207", E, "invalid unit name where a unit is expected"),
    Code("L208", E, "specifier not valid for this setting (Invalid slot)"),
    Code("L209", E, "Environment= assignment that systemd drops"),
    Code("L210", E, "path that must be absolute is not"),
    Code("L211", E, "the file name is not a valid systemd unit name"),
    Code("L212", E, "service without ExecStart=: systemd refuses to start it"),
    Code("L213", E, "several ExecStart= commands without Type=oneshot: systemd refuses the unit"),
    # L3xx: Exec lines
    Code("L301", E, "unbalanced quoting in an Exec line: the command is dropped"),
    Code("L302", W, "unknown escape sequence in an Exec line: the backslash is kept"),
    Code("L303", E, "invalid executable path: systemd refuses the unit"),
    Code("L304", W, "';' glued to a word is not a command separator"),
    Code("L305", W, "shell syntax outside a shell: passed literally or expanded to nothing"),
    # L4xx: fleet v1.0.0
    Code("L401", E, "X-Fleet options fleet refuses together"),
    Code("L402", E, "MachineOf peer matches a Conflicts glob: fleet refuses the unit"),
    Code("L403", E, "MachineOf peer matches a Replaces glob: fleet refuses the unit"),
    Code("L404", W, "unknown X-Fleet key: fleet warns and ignores the constraint"),
    Code("L405", W, "X-Fleet section in the wrong case: fleet ignores it silently"),
    Code("L406", W, "MachineMetadata value that is not key=value: dropped silently"),
    Code("L407", W, "X-Fleet line that fleet splits differently than it reads"),
    Code("L408", W, "MachineOf value that no unit can have: the unit never schedules"),
    Code("L409", W, "specifier fleet does not expand in X-Fleet (stays literal)"),
    Code("L410", W, "Global value fleet reads as false"),
    Code("L411", W, "MachineOf unsatisfiable once fleet expands the specifiers"),
    Code("L412", W, "Conflicts/Replaces glob that Go cannot parse: never matches"),
    Code("L413", W, "deprecated X-Fleet key alias"),
    Code("L414", W, "MachineID that no machine matches, or a second one that is ignored"),
    Code("L415", E, "unit name fleet refuses"),
    Code("L416", W, "fleetctl cannot submit a file with this suffix"),
    # L5xx: credentials written into the unit
    Code("L501", W, "credential in an environment assignment"),
    Code("L502", W, "credential inside a URL"),
    Code("L503", W, "cloud access key or private key in the unit"),
)

CODES: dict[str, Code] = {entry.code: entry for entry in _TABLE}


def severity(code: str) -> Severity:
    return CODES[code].severity
