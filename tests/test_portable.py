"""The compile, check and lint paths use nothing POSIX-only: they run where the os module
has no fork, no O_NOFOLLOW, no O_CLOEXEC, no fchmod and no sync (as on Windows)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import REPO, snapshot

from unitgen.cli import main

POSIX_ONLY = ("fork", "O_NOFOLLOW", "O_CLOEXEC", "fchmod", "sync")


@pytest.fixture
def without_posix_extras(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in POSIX_ONLY:
        monkeypatch.delattr(os, name, raising=False)
    assert not any(hasattr(os, name) for name in POSIX_ONLY)


@pytest.mark.usefixtures("without_posix_extras")
def test_the_examples_compile_check_and_lint_without_posix_extras(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    compiled = runner.invoke(main, ["compile", "specs"])
    assert compiled.exit_code == 0, compiled.output
    assert snapshot(tmp_path / "out") == snapshot(REPO / "out")

    for args in (["check", "specs"], ["check", "specs", "--no-cache"], ["compile", "specs"]):
        again = runner.invoke(main, args)
        assert again.exit_code == 0, (args, again.output)

    linted = runner.invoke(main, ["lint", "--strict", "out"])
    assert linted.exit_code == 0, linted.output
    assert "33 file(s) checked, 0 error(s), 0 warning(s)" in linted.output
