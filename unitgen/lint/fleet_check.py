"""L4xx: fleet v1.0.0's reading of the unit: its [X-Fleet] section and its name.

The [X-Fleet] options are taken from the go-systemd parse, i.e. exactly the lines fleet sees.
"""

from __future__ import annotations

from unitgen.lint.context import Context
from unitgen.systemd.fleetproblems import xfleet_problems
from unitgen.systemd.fleetrules import XFLEET_ALIASES
from unitgen.systemd.unitnames import fleet_name_problem, fleetctl_submit_problem

XFLEET = "X-Fleet"


def check(ctx: Context) -> None:
    _unit_name(ctx)
    _miscased_sections(ctx)
    options = [o for o in ctx.go.options if o.section == XFLEET]
    for option in options:
        if option.name in XFLEET_ALIASES:
            ctx.report(
                "L413",
                option.line,
                option.column,
                f"'{option.name}' is a deprecated alias; fleet v1.0.0 reads it as {XFLEET_ALIASES[option.name]}",
                f"write {XFLEET_ALIASES[option.name]}=",
            )
    pairs = [(o.name, o.value) for o in options]
    for problem in xfleet_problems(pairs, ctx.unit_name):
        blamed = options[problem.option_index] if problem.option_index is not None else None
        line = blamed.line if blamed else _xfleet_header_line(ctx)
        column = blamed.column if blamed else 1
        ctx.report(problem.code, line, column, problem.message, problem.hint)


def _unit_name(ctx: Context) -> None:
    problem = fleet_name_problem(ctx.unit_name)
    if problem:
        ctx.report("L415", None, None, f"'{ctx.unit_name}': {problem}")
        return
    submit = fleetctl_submit_problem(ctx.unit_name)
    if submit:
        ctx.report("L416", None, None, submit)


def _miscased_sections(ctx: Context) -> None:
    for header in ctx.parsed.headers:
        if header.valid and header.name != XFLEET and header.name.lower() == XFLEET.lower():
            ctx.report(
                "L405",
                header.line,
                header.column,
                f"[{header.name}] is not [X-Fleet]: section names are case-sensitive, so fleet ignores "
                "every scheduling option in it without a message (and systemd ignores X- sections)",
                "write [X-Fleet]",
            )


def _xfleet_header_line(ctx: Context) -> int | None:
    return next((h.line for h in ctx.parsed.headers if h.name == XFLEET), None)
