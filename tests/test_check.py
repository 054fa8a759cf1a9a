"""`unitgen check` and `unitgen diff`: is out/ what the specs compile to?  Nothing is touched."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import REPO, SIMPLE_SPEC, run_unitgen, snapshot, write_specs

from unitgen.output.drift import EXTRA, MISSING, STALE, compare


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    """A copy of the example specs with their committed out/."""
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    shutil.copytree(REPO / "out", tmp_path / "out")
    return tmp_path


def _stat(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {name: (data, (directory / name).stat().st_mtime_ns) for name, data in snapshot(directory).items()}


def test_examples_are_in_sync(examples: Path) -> None:
    before = _stat(examples / "out")
    proc = run_unitgen("check", cwd=examples)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.strip().endswith("out: 33 unit(s) up to date")
    assert _stat(examples / "out") == before


def test_committed_out_directory_is_in_sync_with_the_repository_specs() -> None:
    proc = run_unitgen("check", "-q", cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _make_drift(root: Path) -> None:
    web = root / "specs" / "web.toml"
    web.write_text(web.read_text().replace('"--processes", "4"', '"--processes", "8"'))
    (root / "out" / "test" / "nginx.service").unlink()
    shutil.copy(root / "out" / "prod" / "web.service", root / "out" / "prod" / "retired.service")
    (root / "out" / "prod" / "hand-written.service").write_text("[Service]\nExecStart=/bin/true\n")


def test_stale_missing_and_extra_units_fail_with_a_diff_and_nothing_changes(examples: Path) -> None:
    _make_drift(examples)
    before = _stat(examples / "out")
    proc = run_unitgen("check", cwd=examples)
    assert proc.returncode == 1
    assert _stat(examples / "out") == before  # read-only
    lines = proc.stderr.splitlines()
    assert "out/prod/web.service: stale (differs from the compiled spec)" in lines
    assert "out/stage/web.service: stale (differs from the compiled spec)" in lines
    assert "out/test/nginx.service: missing (compiled, never written)" in lines
    assert "out/prod/retired.service: extra (generated earlier, no spec produces it now)" in lines
    assert not any("hand-written" in line for line in lines)  # not unitgen's file: never extra
    assert lines[-1] == "unitgen: out/ is out of date (3 stale, 1 missing, 1 extra); run: unitgen compile specs"
    diff = proc.stdout
    assert "--- out/prod/web.service\ton disk\n+++ out/prod/web.service\tcompiled\n" in diff
    assert "\n-ExecStart=" in diff and "--master --processes 4\n" in diff
    assert "\n+ExecStart=" in diff and "--master --processes 8\n" in diff
    assert "--- /dev/null\n+++ out/test/nginx.service\tcompiled\n@@ -0,0 +1," in diff
    assert "--- out/prod/retired.service\ton disk\n+++ /dev/null\n@@ -1,33 +0,0 @@" in diff
    assert "hand-written" not in diff


def test_diff_shows_the_same_without_failing(examples: Path) -> None:
    _make_drift(examples)
    checked = run_unitgen("check", cwd=examples)
    diffed = run_unitgen("diff", cwd=examples)
    assert diffed.returncode == 0
    assert diffed.stdout == checked.stdout and diffed.stdout
    assert diffed.stderr == checked.stderr


def test_quiet_check_lists_units_without_the_diff(examples: Path) -> None:
    _make_drift(examples)
    proc = run_unitgen("check", "-q", cwd=examples)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "out/test/nginx.service: missing" in proc.stderr


def test_compile_then_check_agree(examples: Path) -> None:
    _make_drift(examples)
    assert run_unitgen("compile", "-q", cwd=examples).returncode == 0
    proc = run_unitgen("check", cwd=examples)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (examples / "out" / "prod" / "hand-written.service").exists()


def test_check_uses_the_same_options_as_compile(examples: Path) -> None:
    assert run_unitgen("compile", "--set", "version=v42", "-q", cwd=examples).returncode == 0
    assert run_unitgen("check", "--set", "version=v42", cwd=examples).returncode == 0
    plain = run_unitgen("check", "-q", cwd=examples)
    assert plain.returncode == 1
    assert plain.stderr.splitlines()[-1].endswith("run: unitgen compile specs")
    other = run_unitgen("check", "--set", "version=v43", "--env", "prod", "-q", cwd=examples)
    assert other.stderr.splitlines()[-1].endswith("run: unitgen compile specs --env prod --set version=v43")


def test_env_limits_the_comparison_to_that_environment(examples: Path) -> None:
    (examples / "out" / "test" / "nginx.service").unlink()
    shutil.copy(examples / "out" / "test" / "web.service", examples / "out" / "test" / "retired.service")
    assert run_unitgen("check", "--env", "prod", cwd=examples).returncode == 0
    proc = run_unitgen("check", "--env", "test", "-q", cwd=examples)
    assert proc.returncode == 1
    assert "1 missing, 1 extra" in proc.stderr


def test_invalid_specs_fail_with_diagnostics_and_no_diff(tmp_path: Path) -> None:
    write_specs(tmp_path, {"web.toml": SIMPLE_SPEC.replace('tag = "v1"', "tag = 1")})
    proc = run_unitgen("check", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "container.tag: expected a string, found an integer" in proc.stderr
    assert "unitgen: the specs do not compile (1 error(s)" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_diff_fails_only_for_invalid_specs(tmp_path: Path) -> None:
    write_specs(tmp_path, {"web.toml": "[container]\n"})
    assert run_unitgen("diff", cwd=tmp_path).returncode == 1


def test_missing_output_directory_means_every_unit_is_missing(tmp_path: Path) -> None:
    write_specs(tmp_path, {"web.toml": SIMPLE_SPEC})
    proc = run_unitgen("check", cwd=tmp_path)
    assert proc.returncode == 1
    assert "out/web.service: missing" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_hand_edits_and_foreign_files_are_named_as_compile_would_refuse_them(tmp_path: Path) -> None:
    specs = write_specs(tmp_path, {"web.toml": SIMPLE_SPEC, "api.toml": SIMPLE_SPEC})
    assert run_unitgen("compile", "-q", cwd=tmp_path).returncode == 0
    web = tmp_path / "out" / "web.service"
    web.write_text(web.read_text() + "# tweak\n")
    (tmp_path / "out" / "api.service").write_text("[Service]\nExecStart=/bin/true")
    proc = run_unitgen("check", cwd=tmp_path)
    assert proc.returncode == 1
    assert (
        "out/web.service: stale (differs from the compiled spec); edited by hand: compile refuses to overwrite it without --force"
        in proc.stderr
    )
    assert (
        "out/api.service: stale (differs from the compiled spec); not generated by unitgen: compile refuses to overwrite it"
        in proc.stderr
    )
    assert "+ExecStart=/bin/true\n\\ No newline at end of file\n" not in proc.stdout
    assert "-ExecStart=/bin/true\n\\ No newline at end of file\n" in proc.stdout
    assert specs.is_dir()


def test_compare_reports_each_kind_once_and_in_path_order(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "a").mkdir(parents=True)
    generated = "# Generated by unitgen from specs/x.toml.\n# unitgen-checksum: sha256:0\n[Unit]\n"
    compiled = "# Generated by unitgen from specs/y.toml.\n# unitgen-checksum: sha256:1\n"  # by these specs
    (out / "a" / "old.service").write_text(generated)
    (out / "a" / "other.service").write_text(generated.replace("specs/", "other/"))  # another specs directory's
    (out / "a" / "same.service").write_text(compiled + "same\n")
    (out / "a" / "changed.service").write_text("old\n")
    (out / "a" / "notes.txt").write_text(generated)  # not a unit file
    (out / "b.service").write_text(generated)  # outside the scope below
    drift = compare(
        {"a/same.service": compiled + "same\n", "a/changed.service": "new\n", "a/new.service": "new\n"},
        out,
        scope="a/",
    )
    assert [(c.path, c.kind) for c in drift.changes] == [
        ("a/changed.service", STALE),
        ("a/new.service", MISSING),
        ("a/old.service", EXTRA),
    ]
    assert drift.unchanged == ("a/same.service",)
    assert drift.summary() == "1 stale, 1 missing, 1 extra"
    assert not drift.in_sync


def test_unreadable_unit_path_is_stale_not_missing(tmp_path: Path) -> None:
    (tmp_path / "out" / "web.service").mkdir(parents=True)
    drift = compare({"web.service": "x\n"}, tmp_path / "out")
    assert [(c.kind, c.note) for c in drift.changes] == [(STALE, "cannot be read")]
