"""``unitgen lint``: check unit files against systemd 252 and fleet v1.0.0.

``lint_text`` checks one file's bytes; ``lint_paths`` reads files and directories, then
filters (``select``/``ignore`` by code prefix, like ruff) and promotes (``strict``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import attrs

from unitgen.codes import LINT_CODES as CODES
from unitgen.codes import severity
from unitgen.diagnostics import Diagnostic, Location, Severity
from unitgen.lint import directives_check, exec_check, fleet_check, secrets, syntax
from unitgen.lint.context import Context
from unitgen.systemd.directives import sections_for
from unitgen.systemd.gounitfile import parse_go_systemd
from unitgen.systemd.unitfile import parse_systemd
from unitgen.systemd.unitnames import FLEET_SUFFIXES

__all__ = ["CODES", "lint_paths", "lint_text"]

_CHECKS = (syntax.check, directives_check.check, exec_check.check, fleet_check.check, secrets.check)


def lint_text(data: bytes, path: str) -> list[Diagnostic]:
    """Every finding for one unit file; the unit name is the basename of ``path``."""
    unit_name = os.path.basename(path)
    ctx = Context(
        path=path,
        unit_name=unit_name,
        parsed=parse_systemd(data, sections_for(unit_name)),
        go=parse_go_systemd(data),
    )
    for check in _CHECKS:
        check(ctx)
    return sorted(set(ctx.findings), key=Diagnostic.sort_key)


def unit_files(paths: Sequence[str]) -> list[str]:
    """Files named directly, plus unit-suffixed files found under directories (sorted)."""
    found: list[str] = []
    for path in paths:
        if not os.path.isdir(path):
            found.append(path)
            continue
        below: list[str] = []
        for root, dirs, files in os.walk(path):
            dirs.sort()
            below.extend(os.path.join(root, name) for name in files if name.rpartition(".")[2] in FLEET_SUFFIXES)
        found.extend(sorted(below))
    return found


def _wanted(code: str, select: Sequence[str], ignore: Sequence[str]) -> bool:
    if select and not any(code.startswith(prefix) for prefix in select):
        return False
    return not any(code.startswith(prefix) for prefix in ignore)


def lint_paths(
    paths: Sequence[str],
    *,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    strict: bool = False,
) -> tuple[list[Diagnostic], list[str]]:
    """Findings for every file (filtered, promoted, sorted) and the files read."""
    findings: list[Diagnostic] = []
    read: list[str] = []
    for path in unit_files(paths):
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as error:
            findings.append(
                Diagnostic("L100", severity("L100"), f"cannot read the file: {error.strerror or error}", Location(path))
            )
            continue
        read.append(path)
        findings.extend(lint_text(data, path))
    kept = [d for d in findings if _wanted(d.code, select, ignore)]
    if strict:
        kept = [attrs.evolve(d, severity=Severity.ERROR) if d.severity is Severity.WARNING else d for d in kept]
    return sorted(kept, key=Diagnostic.sort_key), read
