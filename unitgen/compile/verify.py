"""``--verify``: systemd-analyze on the compiled bundle, findings mapped back to specs.

A missing systemd-analyze is a note, not a failure: the rest of unitgen's checks stand.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from unitgen.compile.render import line_origins
from unitgen.diagnostics import Diagnostic, Diagnostics, Location, Severity, Where
from unitgen.systemd import analyze
from unitgen.systemd.unitnames import systemd_name_problem

if TYPE_CHECKING:
    from unitgen.compile.compiler import CompileResult


def _missing_tool_note() -> Diagnostic:
    return Diagnostic(
        "V000",
        Severity.NOTE,
        "systemd-analyze is not installed; skipped verification",
        hint="install Debian's systemd package",
    )


def verify_compiled(result: CompileResult, diagnostics: Diagnostics) -> None:
    if analyze.find_systemd_analyze() is None:
        diagnostics.add(_missing_tool_note())
        return
    for env in result.environments:
        compiled = {u.name: u for u in result.units if u.environment == env}
        try:
            verdict = analyze.verify_units({name: u.text for name, u in compiled.items()})
        except analyze.AnalyzeError as error:
            diagnostics.add(Diagnostic("V001", Severity.ERROR, f"systemd-analyze failed: {error}"))
            return
        for finding in verdict.findings:
            if finding.noise:
                continue
            unit = compiled.get(finding.unit)
            where: Where = {}
            if unit is not None:
                directive = line_origins(unit.unit).get(finding.line or 0)
                origin = directive.origin if directive is not None else None
                where = origin.where() if origin is not None else {"location": Location(unit.spec_source)}
            label = f"{env}/" if env else ""
            diagnostics.add(
                Diagnostic("V100", Severity.ERROR, f"systemd-analyze on {label}{finding.format()}", **where)
            )


def verify_files(files: Sequence[str]) -> list[Diagnostic]:
    if analyze.find_systemd_analyze() is None:
        return [_missing_tool_note()]
    by_name: dict[str, str] = {}
    for path in files:
        name = Path(path).name
        # One invalid file name aborts the whole verify call; lint reports those itself.
        if systemd_name_problem(name) is None and name not in by_name:
            by_name[name] = path
    try:
        verdict = analyze.verify_units({name: Path(path).read_bytes() for name, path in by_name.items()})
    except (analyze.AnalyzeError, OSError) as error:
        return [Diagnostic("V001", Severity.ERROR, f"systemd-analyze failed: {error}")]
    findings = []
    for finding in verdict.findings:
        if finding.noise:
            continue
        file = by_name.get(finding.unit)
        location = Location(file, finding.line, 1 if finding.line else None) if file else None
        findings.append(Diagnostic("V100", Severity.ERROR, f"systemd-analyze: {finding.message}", location=location))
    return findings
