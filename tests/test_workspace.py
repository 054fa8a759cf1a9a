"""Loading a directory of specs: which files, in what order, each with its own problems."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import write_specs

from unitgen.diagnostics import Diagnostics
from unitgen.spec.resolve import load_workspace, spec_names

SPEC = """\
[container]
image = "example/app{i}:v1"
command = ["serve", "{i}"]
"""


def test_every_toml_file_but_the_project_file_in_name_order(tmp_path: Path) -> None:
    specs = write_specs(
        tmp_path, {"b.toml": "", "a.toml": "", "unitgen.toml": "", "notes.md": "", "c.toml.bak": "", "A.toml": ""}
    )
    assert spec_names(sorted(os.listdir(specs))) == ["A.toml", "a.toml", "b.toml"]


def test_each_file_is_checked_with_its_own_problems(tmp_path: Path) -> None:
    specs = write_specs(
        tmp_path,
        {"good.toml": SPEC.format(i=1), "typo.toml": SPEC.format(i=2) + "[contaner]\n", "broken.toml": "[container\n"},
    )
    diagnostics = Diagnostics()
    workspace = load_workspace(specs, {}, diagnostics)
    loaded = {spec.name: spec.layer.data for spec in workspace.specs}
    assert loaded["good"] == {"container": {"image": "example/app1:v1", "command": ["serve", "1"]}}
    assert "contaner" not in loaded["typo"]  # the unknown table is reported and dropped
    assert "broken" not in loaded
    assert sorted((d.location.file.rpartition("/")[2], d.code) for d in diagnostics if d.location) == [
        ("broken.toml", "S003"),
        ("typo.toml", "S100"),
    ]


def test_an_unreadable_spec_is_reported_where_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    specs = write_specs(tmp_path, {"app.toml": SPEC.format(i=1)})
    (specs / "dir.toml").mkdir()
    monkeypatch.chdir(tmp_path)
    diagnostics = Diagnostics()
    workspace = load_workspace(Path("specs"), {}, diagnostics)
    assert [spec.path for spec in workspace.specs] == ["specs/app.toml"]
    assert [d.format() for d in diagnostics] == ["specs/dir.toml: S001 error cannot read file: Is a directory"]
