"""out/ is written as one transaction: the journal, recovery, the lock, ownership by specs
directory, old temporaries, long unit names and OS errors as diagnostics.

The real faults (an unprivileged user, a full file system, signals at random points of a
10,000-unit write, concurrent compiles) are in test_faults.py; here a crash is simulated
in-process at every step of a small write, and recovery is checked from each state.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import REPO, SIMPLE_SPEC, run_unitgen, snapshot, write_specs

from unitgen.cli import main
from unitgen.compile.compiler import compile_specs
from unitgen.diagnostics import Diagnostics
from unitgen.output import journal, lock, write
from unitgen.output import plan as output


def examples(root: Path) -> Path:
    shutil.copytree(REPO / "specs", root / "specs")
    return root / "specs"


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def edit_examples(specs: Path) -> None:
    """A change to some units of every environment, and one unit fewer."""
    api = specs / "api.toml"
    api.write_text(api.read_text().replace('"--processes", "4"', '"--processes", "8"'))
    web = specs / "web.toml"
    web.write_text(web.read_text().replace('"Djed web app (uwsgi)"', '"Djed web app (uwsgi), new"'))
    (specs / "celery.toml").unlink()


def test_a_compile_leaves_nothing_but_the_units(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    specs = examples(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert invoke("compile", "specs")[0] == 0
    assert snapshot(tmp_path / "out") == snapshot(REPO / "out")  # no .unitgen/, no lock, no temporary
    edit_examples(specs)
    code, shown = invoke("compile", "specs")
    assert code == 0 and "removed" in shown
    assert not (tmp_path / "out" / lock.STATE_DIR).exists()
    assert invoke("check", "specs")[0] == 0


@pytest.mark.parametrize("argument", ["empty", "out", "specs/../empty"])
def test_specs_without_a_spec_is_an_error_that_touches_nothing(
    tmp_path: Path, argument: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    examples(tmp_path)
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path)
    assert invoke("compile", "specs")[0] == 0
    before = snapshot(tmp_path / "out")
    for command in ("compile", "check", "diff"):
        code, shown = invoke(command, argument)
        assert code == 1 and "holds no spec" in shown, (command, shown)
    assert snapshot(tmp_path / "out") == before


def test_a_compile_never_removes_units_of_another_specs_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    examples(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "solo.toml").write_text(SIMPLE_SPEC)
    monkeypatch.chdir(tmp_path)
    assert invoke("compile", "specs")[0] == 0
    before = snapshot(tmp_path / "out")
    code, shown = invoke("compile", "other")
    assert code == 0 and "1 written, 0 removed" in shown, shown
    assert snapshot(tmp_path / "out") == {**before, "solo.service": (tmp_path / "out" / "solo.service").read_bytes()}
    assert invoke("check", "other")[0] == 0  # the examples' units are not "extra" to it
    assert invoke("check", "specs")[0] == 0  # nor is solo.service to them
    (other / "solo.toml").rename(other / "duo.toml")
    assert "1 written, 1 removed" in invoke("compile", "other")[1]  # its own, it removes


def test_a_unit_name_of_255_bytes_is_written_and_replaced(tmp_path: Path) -> None:
    name = "a" * 247  # + ".service": 255 bytes, the most a file name may have
    specs = write_specs(tmp_path, {"web.toml": f'[unit]\nname = "{name}"\n' + SIMPLE_SPEC})
    assert run_unitgen("compile", "specs", cwd=tmp_path).returncode == 0
    (specs / "web.toml").write_text((specs / "web.toml").read_text().replace("v1", "v2"))
    proc = run_unitgen("compile", "specs", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in (tmp_path / "out").iterdir()] == [f"{name}.service"]
    assert "v2" in (tmp_path / "out" / f"{name}.service").read_text()


def test_temporaries_of_older_versions_are_removed_and_others_files_kept(tmp_path: Path) -> None:
    write_specs(tmp_path, {"web.toml": SIMPLE_SPEC})
    assert run_unitgen("compile", "specs", cwd=tmp_path).returncode == 0
    out = tmp_path / "out"
    generated = (out / "web.service").read_text()
    (out / ".web.service.unitgen-tmp").write_text("")  # an interrupted write of an old version
    (out / ".api.service.unitgen-tmp").write_text(generated[:30])
    (out / ".unitgen-k2j4h5.tmp").write_text(generated)
    (out / ".db.service.unitgen-tmp").write_text("not unitgen's\n")  # someone else's, whatever its name
    proc = run_unitgen("compile", "specs", cwd=tmp_path)  # the cache's answer would be "in sync"
    assert proc.returncode == 0 and "removed 3 temporary file(s)" in proc.stderr, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == [".db.service.unitgen-tmp", "web.service"]


def test_a_file_where_a_directory_belongs_is_a_diagnostic_and_nothing_changes(tmp_path: Path) -> None:
    specs = examples(tmp_path)
    assert run_unitgen("compile", "specs", cwd=tmp_path).returncode == 0
    out = tmp_path / "out"
    shutil.rmtree(out / "stage")
    (out / "stage").write_text("in the way\n")
    edit_examples(specs)
    before = snapshot(out)
    proc = run_unitgen("compile", "specs", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "out/stage: O104 error cannot create the directory: File exists (EEXIST)" in proc.stderr, proc.stderr
    assert "move it away" in proc.stderr and "nothing written: out/ is as it was" in proc.stderr
    assert "internal error" not in proc.stderr
    assert snapshot(out) == before


def test_an_output_path_below_a_file_is_a_diagnostic(tmp_path: Path) -> None:
    write_specs(tmp_path, {"web.toml": SIMPLE_SPEC, "unitgen.toml": 'output = "blocker/out"\n'})
    (tmp_path / "blocker").write_text("a file\n")
    proc = run_unitgen("compile", "specs", cwd=tmp_path)
    assert proc.returncode == 1 and "O104 error cannot create the output directory" in proc.stderr, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker", "specs"]


# --- the lock ---------------------------------------------------------------------------


def test_a_second_compile_waits_then_names_the_process_writing(tmp_path: Path) -> None:
    specs = examples(tmp_path)
    assert run_unitgen("compile", "specs", cwd=tmp_path).returncode == 0
    edit_examples(specs)
    before = snapshot(tmp_path / "out")
    held = lock.acquire(str(tmp_path / "out"))
    try:
        proc = run_unitgen("compile", "specs", cwd=tmp_path, env={"UNITGEN_LOCK_TIMEOUT": "0.3"})
        assert proc.returncode == 1, proc.stderr
        assert f"unitgen: out/ is being written by process {os.getpid()} (waited 0 s" in proc.stderr, proc.stderr
        checked = run_unitgen("check", "specs", cwd=tmp_path, env={"UNITGEN_LOCK_TIMEOUT": "0.3"})
        assert checked.returncode == 1 and "being written by process" in checked.stderr  # it would read a half-write
    finally:
        held.release()
    assert snapshot(tmp_path / "out") == before
    assert run_unitgen("compile", "specs", cwd=tmp_path).returncode == 0


def test_a_lock_file_left_by_a_killed_process_is_no_obstacle(tmp_path: Path) -> None:
    write_specs(tmp_path, {"web.toml": SIMPLE_SPEC})
    state = tmp_path / "out" / lock.STATE_DIR
    state.mkdir(parents=True)
    (state / lock.LOCK_NAME).write_text("999999999\n")  # flock: nobody holds it
    proc = run_unitgen("compile", "specs", cwd=tmp_path, env={"UNITGEN_LOCK_TIMEOUT": "0"})
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["web.service"]


def test_without_fcntl_the_lock_is_a_file_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lock, "fcntl", None)
    write_specs(tmp_path, {"web.toml": SIMPLE_SPEC})
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    held = lock.acquire(str(tmp_path / "out"))
    monkeypatch.setenv("UNITGEN_LOCK_TIMEOUT", "0.2")
    code, shown = invoke("compile", "specs")
    assert code == 1 and f"is being written by process {os.getpid()}" in shown
    held.release()
    state = tmp_path / "out" / lock.STATE_DIR
    state.mkdir()
    (state / lock.LOCK_NAME).write_text("999999999\n")  # no such process: taken over
    assert invoke("compile", "specs")[0] == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["web.service"]


# --- a crash at every step, and recovery ------------------------------------------------


class Crash(BaseException):
    """The process dies here: nothing after it runs, no cleanup."""


def crash_after(monkeypatch: pytest.MonkeyPatch, name: str, calls: int) -> None:
    """Let ``os.<name>`` run ``calls`` times, then die; and no undo on the way out."""
    real = getattr(os, name)
    count = [0]

    def dying(*args: object, **kwargs: object) -> object:
        if count[0] >= calls:
            raise Crash(name)
        count[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(os, name, dying)
    monkeypatch.setattr(write, "_undo", lambda *args: None)


def prepared(tmp_path: Path) -> tuple[Path, dict[str, bytes], dict[str, bytes]]:
    """The examples compiled into out/, then edited: (specs, old out/, new out/)."""
    specs = examples(tmp_path / "new")
    assert run_unitgen("compile", "specs", cwd=tmp_path / "new").returncode == 0
    edit_examples(specs)
    assert run_unitgen("compile", "specs", cwd=tmp_path / "new").returncode == 0
    new = snapshot(tmp_path / "new" / "out")
    examples(tmp_path)
    assert run_unitgen("compile", "specs", cwd=tmp_path).returncode == 0
    edit_examples(tmp_path / "specs")
    return tmp_path / "specs", snapshot(tmp_path / "out"), new


# The examples edited: 6 files to replace, 3 to remove.  os.sync: the staged files;
# os.fsync: the two staging directories, the journal, its directory; os.replace: each
# rename into out/ (after the commit); os.unlink: each removal, then the journal's, then
# the staging's.
CRASH_POINTS = [
    ("sync", 0),
    ("fsync", 1),
    ("fsync", 2),
    ("replace", 0),
    ("replace", 3),
    ("unlink", 0),
    ("unlink", 2),
    ("unlink", 3),
    ("unlink", 4),
]


@pytest.mark.parametrize(("call", "calls"), CRASH_POINTS)
def test_recovery_from_a_crash_at_each_step(
    tmp_path: Path, call: str, calls: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs, old, new = prepared(tmp_path)
    out = tmp_path / "out"
    result = compile_specs(specs)
    planned = output.plan(result.files, result.out_dir, Diagnostics())
    assert len(planned.write) == 6 and len(planned.remove) == 9  # celery and its deploy units, in 3 environments
    with monkeypatch.context() as patch:
        crash_after(patch, call, calls)
        with pytest.raises(Crash):
            write.apply(planned, result.files, result.out_dir)
    state = snapshot(out)
    assert any(path.startswith(".unitgen/") for path in state), "the crash left no journal or staging"
    found = journal.read_journal(str(out))
    committed = found is not None and found.committed
    proc = run_unitgen("check", "specs", cwd=tmp_path)
    if committed:
        assert "unitgen: out/: finished the write of an interrupted compile" in proc.stderr, proc.stderr
        assert proc.returncode == 0 and snapshot(out) == new
    else:  # before the commit, or once the journal was deleted: nothing to finish or undo
        assert "unitgen: out/: removed what an interrupted compile left" in proc.stderr, proc.stderr
        assert snapshot(out) == (new if proc.returncode == 0 else old)


def test_an_aborted_write_is_undone_by_recovery(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rename failed after the commit, and the process died while undoing."""
    specs, old, _ = prepared(tmp_path)
    out = tmp_path / "out"
    result = compile_specs(specs)
    planned = output.plan(result.files, result.out_dir, Diagnostics())
    with monkeypatch.context() as patch:
        crash_after(patch, "replace", 3)
        with pytest.raises(Crash):
            write.apply(planned, result.files, result.out_dir)
    found = journal.read_journal(str(out))
    assert found is not None and found.committed
    journal.mark_aborted(str(out))
    journal.roll_back(str(out), found.operations[1:3])  # died while undoing: the first write is still done
    assert snapshot(out) != old
    proc = run_unitgen("check", "specs", cwd=tmp_path)
    assert "unitgen: out/: undid the write of an interrupted compile" in proc.stderr, proc.stderr
    assert proc.returncode == 1 and snapshot(out) == old


def test_the_journal_names_every_operation(tmp_path: Path) -> None:
    specs, _, _ = prepared(tmp_path)
    result = compile_specs(specs)
    planned = output.plan(result.files, result.out_dir, Diagnostics())
    operations = write.operations_of(planned, str(result.out_dir))
    (result.out_dir / lock.STATE_DIR).mkdir()
    journal.write_journal(str(result.out_dir), operations)
    torn = result.out_dir / lock.STATE_DIR / journal.JOURNAL
    found = journal.read_journal(str(result.out_dir))
    assert found is not None and found.committed and found.operations == tuple(operations)
    torn.write_text(torn.read_text()[:-5])  # a crash while the commit mark was written
    found = journal.read_journal(str(result.out_dir))
    assert found is not None and not found.committed and found.operations == tuple(operations)


def test_submit_finishes_an_interrupted_write_before_it_compares(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs, _, new = prepared(tmp_path)
    result = compile_specs(specs)
    planned = output.plan(result.files, result.out_dir, Diagnostics())
    with monkeypatch.context() as patch:
        crash_after(patch, "replace", 3)  # after the commit: recovery finishes the write
        with pytest.raises(Crash):
            write.apply(planned, result.files, result.out_dir)
    proc = run_unitgen("submit", "specs", "--env", "prod", "--dry-run", cwd=tmp_path)
    assert "unitgen: out/: finished the write of an interrupted compile" in proc.stderr, proc.stderr
    assert proc.returncode == 0 and "fleetctl submit --replace out/prod/" in proc.stdout
    assert snapshot(tmp_path / "out") == new
