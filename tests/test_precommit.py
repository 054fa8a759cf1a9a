"""The pre-commit hooks, run by the real pre-commit (from PyPI) with `pre-commit try-repo`.

`try-repo PATH` installs the hooks from a git repository at its HEAD commit (uncommitted
changes to tracked files are added, new files are not).  So that the test exercises this
working tree, committed or not, it snapshots the files git would see (tracked plus
untracked, ignored ones left out) into a throw-away repository and commits them there.
Each try-repo builds the hook's virtualenv afresh (pip installs unitgen and its
dependencies), which is most of the run time; both hooks share one run per scenario.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import require
from helpers import REPO

GIT_ENV = {
    "GIT_AUTHOR_NAME": "unitgen tests",
    "GIT_AUTHOR_EMAIL": "tests@unitgen.invalid",
    "GIT_COMMITTER_NAME": "unitgen tests",
    "GIT_COMMITTER_EMAIL": "tests@unitgen.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def _git(*args: str, cwd: Path) -> str:
    env = {**os.environ, **GIT_ENV, "HOME": str(cwd)}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def test_manifest_declares_both_hooks() -> None:
    text = (REPO / ".pre-commit-hooks.yaml").read_text()
    assert "- id: unitgen-check\n" in text and "- id: unitgen-lint\n" in text
    require(importlib.util.find_spec("yaml"), "PyYAML (a pre-commit dependency) is not installed")
    import yaml

    hooks = {hook["id"]: hook for hook in yaml.safe_load(text)}
    check, lint = hooks["unitgen-check"], hooks["unitgen-lint"]
    assert check["entry"] == "unitgen check" and check["pass_filenames"] is False
    assert check["language"] == lint["language"] == "python"
    assert lint["entry"] == "unitgen lint" and "exclude" not in lint
    import re

    for path, matches in [("specs/web.toml", True), ("deploy/out/prod/web.service", True), ("src/app.py", False)]:
        assert bool(re.search(check["files"], path)) is matches, path
    for path, matches in [
        ("out/web.service", True),
        ("legacy/a@.timer", True),
        ("x.mount", True),
        ("specs/web.toml", False),
    ]:
        assert bool(re.search(lint["files"], path)) is matches, path


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require(shutil.which("git"), "git is not installed")
    require(importlib.util.find_spec("pre_commit"), "pre-commit is not installed (pip install -e '.[test]')")
    require((REPO / ".git").exists(), "the repository is not a git checkout")
    snapshot = tmp_path_factory.mktemp("hook-repo")
    files = _git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO).split("\0")
    for name in filter(None, files):
        source = REPO / name
        if source.is_file():  # a tracked file deleted in the working tree is gone here too
            target = snapshot / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    _git("init", "-q", cwd=snapshot)
    _git("add", "-A", cwd=snapshot)
    _git("commit", "-q", "-m", "snapshot of the working tree", cwd=snapshot)
    return snapshot


def _user_repo(root: Path) -> Path:
    """A throw-away repository that uses unitgen: the example specs and their out/."""
    shutil.copytree(REPO / "specs", root / "specs")
    shutil.copytree(REPO / "out", root / "out")
    _git("init", "-q", cwd=root)
    _git("add", "-A", cwd=root)
    _git("commit", "-q", "-m", "specs and compiled units", cwd=root)
    return root


def _try_repo(hook_repo: Path, cwd: Path, *hooks: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        **GIT_ENV,
        "PRE_COMMIT_HOME": str(cwd.parent / "pre-commit-home"),
        "NO_COLOR": "1",
    }
    env.pop("PRE_COMMIT_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), *hooks, "--all-files", "--color=never"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_hooks_pass_on_a_commit_whose_units_are_in_sync(hook_repo: Path, tmp_path: Path) -> None:
    user = _user_repo(tmp_path / "user")
    proc = _try_repo(hook_repo, user)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "unitgen check (specs compile, out/ in sync)" in output
    lines = [line for line in output.splitlines() if line.startswith("unitgen ")]
    assert len(lines) == 2 and all(line.endswith("Passed") for line in lines), output


def test_hooks_fail_on_a_commit_with_a_spec_changed_but_not_compiled(hook_repo: Path, tmp_path: Path) -> None:
    user = _user_repo(tmp_path / "user")
    web = user / "specs" / "web.toml"
    web.write_text(web.read_text().replace('"--processes", "4"', '"--processes", "8"'))
    (user / "legacy").mkdir()
    (user / "legacy" / "broken.service").write_text("[Service]\nExecStart=relative/path\nMachineOf=x\n")
    _git("add", "-A", cwd=user)
    _git("commit", "-q", "-m", "change web without recompiling", cwd=user)
    proc = _try_repo(hook_repo, user)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    check_line = next(line for line in output.splitlines() if line.startswith("unitgen check"))
    lint_line = next(line for line in output.splitlines() if line.startswith("unitgen lint"))
    assert check_line.endswith("Failed") and lint_line.endswith("Failed"), output
    assert "--- out/prod/web.service\ton disk\n+++ out/prod/web.service\tcompiled\n" in output
    assert "+ExecStart=" in output and "--processes 8" in output
    assert "unitgen: out/ is out of date (3 stale, 0 missing, 0 extra); run: unitgen compile specs" in output
    assert "legacy/broken.service" in output
    assert web.read_text().count('"--processes", "8"') == 1
    assert "processes 4" in (user / "out" / "prod" / "web.service").read_text()  # the hook touched nothing
