"""The package's shape, as README.md describes it: stages as sub-packages, data flowing one
way, small modules, no process tricks."""

from __future__ import annotations

import ast
from pathlib import Path

from helpers import REPO

PACKAGE = REPO / "unitgen"
# Declarative tables may be long: the unit-file vocabulary, the spec schema, the codes.
TABLES = {"systemd/directives.py", "spec/schema.py", "codes.py"}
MAX_LINES = 400
# Which sub-packages a stage may import (besides the shared top-level modules).
SHARED = {"unitgen", "unitgen.diagnostics", "unitgen.codes", "unitgen.secretscan", "unitgen.files"}
ALLOWED = {
    "systemd": {"systemd"},
    "spec": {"spec", "systemd"},
    "compile": {"compile", "spec", "systemd", "lint"},
    "lint": {"lint", "systemd"},
    "output": {"output", "compile", "systemd"},
    "fleet": {"fleet", "compile", "spec", "systemd"},
    "importing": {"importing", "spec", "systemd"},
    "compose": {"compose", "compile", "spec", "systemd", "output"},
    "cli": {"cli", "compile", "spec", "systemd", "lint", "output", "fleet", "importing", "compose"},
}


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_module_is_longer_than_a_newcomer_reads_at_once() -> None:
    long = {
        path.relative_to(PACKAGE).as_posix(): len(path.read_text().splitlines())
        for path in modules()
        if len(path.read_text().splitlines()) > MAX_LINES
    }
    assert set(long) <= TABLES, long


def test_each_stage_imports_only_the_stages_before_it() -> None:
    wrong = []
    for path in modules():
        parts = path.relative_to(PACKAGE).parts
        if len(parts) < 2:
            continue
        stage = parts[0]
        for name in imported(path):
            if not name.startswith("unitgen") or name in SHARED:
                continue
            other = name.split(".")[1]
            if other not in ALLOWED[stage]:
                wrong.append(f"{path.relative_to(REPO)} imports {name}")
    assert wrong == []


def test_no_process_tricks() -> None:
    """No forked workers, no switching the garbage collector, no exit without teardown,
    no change to the process's umask: unitgen is also a library."""
    forbidden = {"gc", "multiprocessing", "concurrent.futures", "marshal"}
    calls = {"fork", "_exit", "umask", "freeze"}
    found = []
    for path in modules():
        tree = ast.parse(path.read_text())
        found += [f"{path.name} imports {name}" for name in imported(path) & forbidden]
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in calls:
                found.append(f"{path.name}:{node.lineno} uses .{node.attr}")
    assert found == []
