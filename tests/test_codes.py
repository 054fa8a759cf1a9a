"""unitgen/codes.py is the one list of diagnostic codes: every code the source uses is in
it, every code in it is raised, severities agree with the places that fix them, and
docs/codes.md is its rendering.

The source is read with ``ast``: a string literal shaped like a code (``S101``, ``L404``)
anywhere in ``unitgen/`` is a code.  A literal handed to a call that makes a diagnostic,
returned or yielded to one, or a parameter's default is a place that raises the code;
anything else (a comparison) only mentions it.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator

import attrs
import pytest
from helpers import REPO

from unitgen.codes import CODES, GROUPS, TABLE, Severity, reference_markdown
from unitgen.diagnostics import Diagnostic, Diagnostics, Location

CODE = re.compile(r"[A-Z][0-9]{3}")
SOURCE = REPO / "unitgen"
REGISTRY = SOURCE / "codes.py"

# Calls whose name says the severity.
SEVERITY_OF_CALL = {"error": Severity.ERROR, "warning": Severity.WARNING}
# Calls that take the severity as their second argument.
SEVERITY_ARGUMENT = {"Diagnostic", "FleetProblem"}
# Calls that make a diagnostic with the severity codes.py gives (lint's ``Context.report``,
# a ``unitfile.Problem`` that lint reports).
REGISTRY_SEVERITY = {"report", "Problem"}
# The registry's own lookup: it names a code without raising it.
LOOKUPS = {"severity"}


@attrs.frozen
class Use:
    code: str
    place: str  # path:line
    raises: bool  # False: only compared with
    severity: Severity | None  # when this place fixes it


@attrs.frozen
class Helper:
    """A function that passes one of its parameters, as the code, to a call that fixes the severity."""

    parameter: str
    position: int  # among the arguments a caller passes (``self`` left out)
    severity: Severity


def _call_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _fixed_severity(call: ast.Call) -> Severity | None:
    """The severity a maker call gives its code, when the call says it."""
    name = _call_name(call)
    if name in SEVERITY_OF_CALL:
        return SEVERITY_OF_CALL[name]
    if name in SEVERITY_ARGUMENT and len(call.args) > 1:
        given = call.args[1]
        if isinstance(given, ast.Attribute) and isinstance(given.value, ast.Name) and given.value.id == "Severity":
            return Severity[given.attr]
    return None


def _helpers(tree: ast.Module) -> dict[str, Helper]:
    """Functions whose code parameter goes to a call that fixes the severity, by name."""
    found = {}
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef):
            continue
        parameters = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
        passed = parameters[1:] if parameters[:1] == ["self"] else parameters
        for call in ast.walk(function):
            if not (isinstance(call, ast.Call) and call.args and isinstance(call.args[0], ast.Name)):
                continue
            severity = _fixed_severity(call)
            if severity is not None and call.args[0].id in passed:
                found[function.name] = Helper(call.args[0].id, passed.index(call.args[0].id), severity)
    return found


def _helper_argument(call: ast.Call, helper: Helper) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == helper.parameter:
            return keyword.value
    return call.args[helper.position] if helper.position < len(call.args) else None


def _uses_in(text: str, shown: str) -> Iterator[Use]:
    tree = ast.parse(text, shown)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    helpers = _helpers(tree)
    functions = {id(f.args): f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.fullmatch(node.value)):
            continue
        place = f"{shown}:{node.lineno}"
        parent = parents[node]
        if isinstance(parent, ast.keyword):
            parent = parents[parent]
        if isinstance(parent, ast.Call):
            name = _call_name(parent)
            helper = helpers.get(name or "")
            if name in LOOKUPS:
                yield Use(node.value, place, False, None)
            elif helper is not None and _helper_argument(parent, helper) is node:
                yield Use(node.value, place, True, helper.severity)
            elif name in SEVERITY_OF_CALL or name in SEVERITY_ARGUMENT or name in REGISTRY_SEVERITY:
                yield Use(node.value, place, True, _fixed_severity(parent))
            else:
                raise AssertionError(f"{place}: teach tests/test_codes.py how {name}() reports {node.value}")
        elif isinstance(parent, ast.arguments):  # a parameter's default
            function = functions[id(parent)]
            helper = helpers.get(function.name)
            yield Use(node.value, place, True, helper.severity if helper is not None else None)
        elif isinstance(parent, ast.Tuple) and isinstance(parents[parent], ast.Return | ast.Yield):
            yield Use(node.value, place, True, None)  # the caller reports it
        else:
            yield Use(node.value, place, False, None)


@functools.cache
def _uses() -> list[Use]:
    return [
        use
        for path in sorted(SOURCE.rglob("*.py"))
        if path != REGISTRY
        for use in _uses_in(path.read_text(), path.relative_to(REPO).as_posix())
    ]


SAMPLE = """
def refusal(code, message):
    return FleetProblem(code, Severity.ERROR, message)

class Converter:
    def report(self, error, path, code="S401"):
        self.diagnostics.error(code, error.message)

    def run(self, ctx):
        self.diagnostics.warning("S223", "unpinned")
        self.error(spec, "S302", "twice")
        self.report(error, path, "S402")
        ctx.report("L201", 1, 1, "unknown")
        Diagnostic("V000", Severity.NOTE, "no tool")
        Diagnostic("L100", severity("L100"), "unreadable")
        FleetProblem("L404", Severity.WARNING, "unknown key")
        refusal("L401", "refused")
        if code != "L501":
            return "S310", "not a spec", None
        yield "L503", "key"
"""


def test_the_scan_tells_raising_from_mentioning() -> None:
    found = [(use.code, use.raises, use.severity) for use in _uses_in(SAMPLE, "sample.py")]
    assert sorted(found) == sorted(
        [
            ("S401", True, Severity.ERROR),  # a helper's default
            ("S223", True, Severity.WARNING),
            ("S302", True, Severity.ERROR),
            ("S402", True, Severity.ERROR),  # a helper's argument
            ("L201", True, None),  # lint's report takes the registry's severity
            ("V000", True, Severity.NOTE),
            ("L100", True, None),
            ("L100", False, None),  # a lookup
            ("L404", True, Severity.WARNING),
            ("L401", True, Severity.ERROR),
            ("L501", False, None),
            ("S310", True, None),  # returned to a caller that reports it
            ("L503", True, None),
        ]
    )
    with pytest.raises(AssertionError, match="teach"):
        list(_uses_in('print("S100")', "sample.py"))


def test_the_scan_finds_every_kind_of_place_in_the_source() -> None:
    assert {use.severity for use in _uses() if use.raises} == {*Severity, None}
    assert len({use.code for use in _uses() if use.raises}) > 100


def test_every_code_in_the_source_is_registered() -> None:
    unknown = [f"{use.place}: {use.code}" for use in _uses() if use.code not in CODES]
    assert not unknown, "add these codes to unitgen/codes.py:\n" + "\n".join(unknown)


def test_every_registered_code_is_raised() -> None:
    raised = {use.code for use in _uses() if use.raises}
    assert sorted(set(CODES) - raised) == []


def test_severities_agree_with_the_places_that_fix_them() -> None:
    wrong = [
        f"{use.place}: {use.code} raised as {use.severity.value}, registered as {CODES[use.code].severity.value}"
        for use in _uses()
        if use.severity is not None and use.code in CODES and use.severity is not CODES[use.code].severity
    ]
    assert not wrong, "\n".join(wrong)


def test_the_table_is_well_formed() -> None:
    assert len(CODES) == len(TABLE), "a code is listed twice"
    assert len({entry.name for entry in TABLE}) == len(TABLE), "a name is used twice"
    for entry in TABLE:
        assert CODE.fullmatch(entry.code), entry
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", entry.name), entry
        assert entry.meaning and "\n" not in entry.meaning, entry
        assert len([group for group in GROUPS if entry.code.startswith(group.prefix)]) == 1, entry


def test_docs_codes_md_is_the_table() -> None:
    assert (REPO / "docs" / "codes.md").read_text() == reference_markdown(), (
        "docs/codes.md is stale: python3 -c 'from unitgen.codes import reference_markdown as r; print(r(), end=\"\")' "
        "> docs/codes.md"
    )
    for entry in TABLE:
        assert f"| `{entry.code}` | {entry.severity.value} | {entry.name} |" in reference_markdown()


def test_a_diagnostic_with_an_unregistered_code_cannot_be_made() -> None:
    with pytest.raises(ValueError, match="X999"):
        Diagnostic("X999", Severity.ERROR, "message")
    with pytest.raises(ValueError, match="S999"):
        Diagnostics().error("S999", "message", location=Location("a.toml", 1, 1))
    with pytest.raises(ValueError, match="S999"):
        Diagnostics().warning("S999", "message")
    assert Diagnostic("S100", Severity.ERROR, "message").code == "S100"
