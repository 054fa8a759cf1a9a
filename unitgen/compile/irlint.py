"""IR lint: fleet's and systemd's rules checked on each compiled unit before it is written.

The same rule functions serve ``unitgen lint`` on unit files; here their findings are
mapped back to the spec key that produced the offending directive.
"""

from __future__ import annotations

from collections.abc import Collection

from unitgen.compile.ir import Directive, Unit
from unitgen.diagnostics import Diagnostic, Diagnostics, Location, Where
from unitgen.systemd.fleetproblems import xfleet_problems
from unitgen.systemd.unitnames import fleet_name_problem, systemd_name_problem

# fleet's rules that a spec check covers too, each with that check's code.  Where the spec
# check reports the problem, at the spec key, the unit's rule does not repeat it there: one
# problem, one code.  The rule still reports what the spec check cannot see (a value only a
# template makes wrong), and ``unitgen lint`` reports it on unit files.
COVERED_BY_SPEC_CHECKS = {"L402": "S332", "L406": "S271", "L407": "S274", "L408": "S312", "L414": "S270"}


def restated(findings: Collection[Diagnostic]) -> set[Diagnostic]:
    """The findings of fleet's rules that restate a spec check's finding at the same place."""
    places = {(d.code, d.location, d.key_path) for d in findings}
    return {
        d
        for d in findings
        if d.code in COVERED_BY_SPEC_CHECKS and (COVERED_BY_SPEC_CHECKS[d.code], d.location, d.key_path) in places
    }


def _where(directive: Directive | None, unit: Unit) -> Where:
    origin = directive.origin if directive is not None else None
    if origin is None:
        return {"location": Location(unit.source)}
    return origin.where()


def lint_unit(unit: Unit, diagnostics: Diagnostics, *, name_checked: bool = False) -> None:
    """``name_checked``: the spec check already refused the spec's unit name, which every
    unit of the spec carries, so the unit's own name rule would only restate it."""
    problem = None if name_checked else systemd_name_problem(unit.name) or fleet_name_problem(unit.name)
    if problem:
        diagnostics.error("S502", f"{unit.name}: {problem}", **_where(None, unit))
    section = unit.section("X-Fleet")
    if section is None:
        return
    options = [(d.key, d.value) for d in section.directives]
    for found in xfleet_problems(options, unit.name):
        directive = section.directives[found.option_index] if found.option_index is not None else None
        diagnostics.add(
            Diagnostic(
                found.code,
                found.severity,
                f"{unit.name}: {found.message}",
                hint=found.hint,
                **_where(directive, unit),
            )
        )
