"""Real faults while unitgen writes out/: a read-only directory for an unprivileged process,
a full file system, SIGINT, SIGTERM and SIGKILL at random points of a 10,000-unit write,
and two compiles at once.  After each, out/ is entirely the old or entirely the new
state (snapshots compared byte for byte) and no temporary file remains.

Each test prints what it checked (run with ``-n 0 -s`` to see the counts).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from conftest import require, require_tool
from helpers import REPO, run_unitgen, snapshot

from unitgen.output import journal
from unitgen.output.lock import STATE_DIR

sys.path.insert(0, str(REPO / "bench"))
from bench_compile import PROJECT, generate  # the benchmark's realistic specs


def needs_root() -> None:
    require(os.geteuid() == 0, "needs root (to drop privileges, or to mount a tmpfs)")


def unprivileged() -> list[str]:
    """A prefix that runs a command with root's uid but no capability at all: the kernel
    checks every permission as for an ordinary user (the interpreter stays reachable,
    which it need not be for the user nobody)."""
    needs_root()
    return [require_tool("setpriv"), "--bounding-set=-all", "--inh-caps=-all", "--no-new-privs"]


def run(prefix: list[str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [*prefix, sys.executable, "-m", "unitgen", *args], cwd=cwd, capture_output=True, text=True, env=environment
    )


def examples(root: Path) -> Path:
    shutil.copytree(REPO / "specs", root / "specs")
    return root / "specs"


def edit(specs: Path) -> None:
    api = specs / "api.toml"
    api.write_text(api.read_text().replace('"--processes", "4"', '"--processes", "8"'))
    (specs / "celery.toml").unlink()


def compiled_then_edited(root: Path, prefix: list[str]) -> Path:
    """The examples compiled into ``root/out`` (returned), then edited."""
    specs = examples(root)
    assert run(prefix, "compile", "specs", cwd=root).returncode == 0
    edit(specs)
    return root / "out"


def test_a_read_only_directory_for_an_unprivileged_user_changes_nothing(tmp_path: Path) -> None:
    prefix = unprivileged()
    out = compiled_then_edited(tmp_path, prefix)
    checked = 0
    for read_only in (out / "test", out / "stage", out):  # the last written, one in the middle, all of out/
        read_only.chmod(0o555)
        before = snapshot(out)
        proc = run(prefix, "compile", "specs", cwd=tmp_path)
        read_only.chmod(0o755)
        assert proc.returncode == 1, proc.stderr
        assert "O104 error cannot" in proc.stderr and "Permission denied (EACCES)" in proc.stderr, proc.stderr
        assert "unitgen: nothing written: out/ is as it was" in proc.stderr and "internal error" not in proc.stderr
        assert snapshot(out) == before
        checked += 1
    assert run(prefix, "check", "specs", cwd=tmp_path).returncode == 1  # the edit is still to write
    assert run(prefix, "compile", "specs", cwd=tmp_path).returncode == 0
    out.chmod(0o555)  # nothing to write: a read-only out/ is no obstacle to an up-to-date compile
    try:
        proc = run(prefix, "compile", "specs", "--no-cache", cwd=tmp_path)
        assert proc.returncode == 0 and "0 written, 0 removed, 24 unchanged" in proc.stdout, proc.stderr
    finally:
        out.chmod(0o755)
    print(f"read-only: {checked} failed compiles, out/ unchanged after each")


def test_a_directory_that_cannot_be_searched_is_reported_not_a_crash(tmp_path: Path) -> None:
    prefix = unprivileged()
    out = compiled_then_edited(tmp_path, prefix)
    before = snapshot(out)
    (out / "stage").chmod(0)
    try:
        compiled = run(prefix, "compile", "specs", cwd=tmp_path)
        checked = run(prefix, "check", "specs", "-q", cwd=tmp_path)
    finally:
        (out / "stage").chmod(0o755)
    assert compiled.returncode == 1 and "stage/api.service: O101 error cannot read the existing file" in compiled.stderr
    assert (
        checked.returncode == 1
        and "out/stage/api.service: stale (differs from the compiled spec); cannot be read" in checked.stderr
    )
    for proc in (compiled, checked):
        assert "internal error" not in proc.stderr, proc.stderr
    assert snapshot(out) == before


FULL_DISK = r"""
import json, os, subprocess, sys
root, python = sys.argv[1], sys.argv[2]
out = os.path.join(root, "out")
os.makedirs(out)
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", out], check=True)
def unitgen(*args):
    proc = subprocess.run([python, "-m", "unitgen", *args, "--no-cache"], cwd=root, capture_output=True, text=True)
    return [proc.returncode, proc.stderr]
def tree():
    found = {}
    for directory, _, names in os.walk(out):
        for name in names:
            path = os.path.join(directory, name)
            with open(path, "rb") as file:
                found[os.path.relpath(path, out)] = file.read().hex()
    return found
results = {"first": unitgen("compile", "specs")}
filler = os.path.join(out, "filler")
with open(filler, "wb") as file:  # all but a few pages: staging runs out of space part-way
    free = os.statvfs(out).f_bavail * os.statvfs(out).f_frsize
    file.write(bytes(free - int(sys.argv[3]) * 1024))
results["before"] = tree()
with open(os.path.join(root, "specs", "api.toml"), "r+") as spec:
    text = spec.read().replace('"--processes", "4"', '"--processes", "8"')
    spec.seek(0); spec.write(text); spec.truncate()
results["full"] = unitgen("compile", "specs")
results["after"] = tree()
os.unlink(filler)
results["freed"] = unitgen("compile", "specs")
results["final"] = tree()
print(json.dumps(results))
"""


@pytest.mark.parametrize("free_kib", [0, 8, 16])
def test_a_full_file_system_changes_nothing(tmp_path: Path, free_kib: int) -> None:
    needs_root()
    unshare = require_tool("unshare")
    examples(tmp_path)
    proc = subprocess.run(
        [
            unshare,
            "--mount",
            "--propagation",
            "private",
            sys.executable,
            "-c",
            FULL_DISK,
            str(tmp_path),
            sys.executable,
            str(free_kib),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    require(proc.returncode == 0 or "mount" not in proc.stderr, f"cannot mount a tmpfs: {proc.stderr[-300:]}")
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    assert results["first"][0] == 0, results["first"]
    code, stderr = results["full"]
    assert code == 1 and "No space left on device (ENOSPC)" in stderr and "internal error" not in stderr, stderr
    assert results["after"] == results["before"]
    assert results["freed"][0] == 0, results["freed"]
    assert not [path for path in results["final"] if path.startswith(STATE_DIR)]


# --- signals at random points of a 10,000-unit write ------------------------------------

SPECS = 7500  # the benchmark's three kinds of spec: 10,000 units


@contextlib.contextmanager
def memory_backed_directory(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Path]:
    """A fresh directory on a tmpfs where the machine has one (``/dev/shm``), else in pytest's
    temporary directory.  Killing a process tests the same renames either way; on a disk,
    writing 10,000 files twice per compile waits for the disk far longer than it computes."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK):
        directory = Path(tempfile.mkdtemp(prefix=f"unitgen-{name}-", dir=shm))
        try:
            yield directory
        finally:
            shutil.rmtree(directory, ignore_errors=True)
    else:
        yield tmp_path_factory.mktemp(name)


@attrs.frozen
class TwoStates:
    root: Path
    states: dict[str, dict[str, bytes]]
    staging_seconds: float  # how long a compile from one state to the other stages its files


def compile_timing_staging(cwd: Path, out: Path, environment: dict[str, str]) -> float:
    """Run ``unitgen compile specs`` in CWD; the seconds from the start of its staging to its commit."""
    state_dir = out / STATE_DIR
    compile_ = subprocess.Popen(
        [sys.executable, "-m", "unitgen", "compile", "specs", "-q"], cwd=cwd, env=environment, stderr=subprocess.PIPE
    )
    while not (state_dir / "new").exists() and compile_.poll() is None:
        time.sleep(0.001)
    began = time.monotonic()
    while not committed(state_dir) and compile_.poll() is None:
        time.sleep(0.001)
    staging = time.monotonic() - began
    stderr = compile_.communicate(timeout=300)[1]
    assert compile_.returncode == 0, stderr
    return staging


@pytest.fixture(scope="module")
def two_states(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoStates]:
    """``a/specs`` and ``b/specs``, both compiling 10,000 units into one ``out/`` (B changes
    every unit of A, drops 100 specs and adds 100), and the snapshot of each state."""
    with memory_backed_directory(tmp_path_factory, "faults") as root:
        out = root / "out"
        for name, count, user in (("a", SPECS, "core"), ("b", SPECS + 100, "core2")):
            specs = root / name / "specs"
            generate(specs, count)
            (specs / "unitgen.toml").write_text(f'output = "{out}"\n' + PROJECT.replace('"core"', f'"{user}"'))
        for i in range(100):
            (root / "b" / "specs" / f"svc{i:05d}.toml").unlink()
        environment = {**os.environ, "NO_COLOR": "1", "UNITGEN_CACHE_DIR": str(root / "cache")}
        states = {}
        staging = 0.0
        for name in ("b", "a"):  # out/ ends as A; the second compile replaces every file, as the test's do
            staging = compile_timing_staging(root / name, out, environment)
            states[name] = snapshot(out)
        assert len(states["a"]) == 10000 and states["a"] != states["b"]
        yield TwoStates(root, states, staging)


def state_of(out: Path, states: dict[str, dict[str, bytes]], *, beside_staging: bool = False) -> str:
    """Which state out/ holds: exactly, or (``beside_staging``) apart from out/.unitgen/."""
    now = snapshot(out)
    if beside_staging:
        now = {path: data for path, data in now.items() if not path.startswith(f"{STATE_DIR}/")}
    found = [name for name, files in states.items() if files == now]
    assert found, f"out/ is neither state: {len(now)} files, {sorted(now)[:3]}..."
    return found[0]


# (signal, when): "staging": a random moment after staging began (mostly before the commit);
# "committed": as soon as the journal has its commit mark (the renames are under way).
KILLS = [
    (signal.SIGKILL, "staging"),
    (signal.SIGKILL, "committed"),
    (signal.SIGINT, "staging"),
    (signal.SIGINT, "committed"),
    (signal.SIGTERM, "staging"),
    (signal.SIGTERM, "committed"),
]


def committed(state_dir: Path) -> bool:
    """Whether the journal in ``state_dir`` ends with its commit mark."""
    try:
        with open(state_dir / "journal", "rb") as file:
            file.seek(0, os.SEEK_END)
            file.seek(max(0, file.tell() - 20))
            return file.read().endswith(b'{"commit": true}\n')
    except OSError:
        return False


@pytest.mark.xdist_group("two_states")  # one worker builds the module's 10,000-unit states once
def test_signals_at_random_points_of_a_10000_unit_write(two_states: TwoStates) -> None:
    root, states = two_states.root, two_states.states
    out = root / "out"
    state_dir = out / STATE_DIR
    seed = int(os.environ.get("UNITGEN_FAULT_SEED", time.time_ns() % 100000))
    rng = random.Random(seed)
    environment = {**os.environ, "NO_COLOR": "1", "UNITGEN_CACHE_DIR": str(root / "cache")}
    current = "a"
    outcomes: list[str] = []
    for signum, when in KILLS:
        target = "b" if current == "a" else "a"
        compile_ = subprocess.Popen(
            [sys.executable, "-m", "unitgen", "compile", "specs", "-q"],
            cwd=root / target,
            env=environment,
            stderr=subprocess.PIPE,
            text=True,
        )
        reached = (lambda: committed(state_dir)) if when == "committed" else (state_dir / "new").exists
        while not reached() and compile_.poll() is None:
            time.sleep(0.001)
        if when == "staging":  # in the first half of the time the fixture's compile took to stage
            time.sleep(rng.uniform(0, two_states.staging_seconds / 2))
        compile_.send_signal(signum)
        stderr = compile_.communicate(timeout=300)[1]
        code = compile_.returncode
        where = f"seed {seed}, {signal.Signals(signum).name} at {when}: exit {code}: {stderr[-500:]}"
        assert "internal error" not in stderr and "Traceback" not in stderr, where
        left = state_dir.exists()
        if signum != signal.SIGKILL:
            assert code in (0, 128 + signum), where
            assert not left, where  # it cleaned up after itself
            assert state_of(out, states) == (target if code == 0 or "written in full" in stderr else current), where
        leftovers = sorted(path.name for path in state_dir.iterdir()) if left else []
        # killed amid the renames, the journal finishes them; before the commit (the
        # journal may be there, without its commit mark) or after the last rename, out/ is
        # whole already
        found = journal.read_journal(str(out)) if "journal" in leftovers else None
        finishing = found is not None and found.committed
        expected = target if finishing else state_of(out, states, beside_staging=True)
        # check the specs of the state expected: its memo answers once out/ is recovered
        check = run_unitgen("check", "specs", "-q", cwd=root / expected, env={"UNITGEN_CACHE_DIR": str(root / "cache")})
        after = state_of(out, states)
        assert after == expected and check.returncode == 0, (where, check.stderr[-500:])
        assert not state_dir.exists(), where
        if finishing:
            assert "finished the write of an interrupted compile" in check.stderr, where
        elif [name for name in leftovers if name != "lock"]:
            assert "removed what an interrupted compile left" in check.stderr, where
        outcomes.append(f"{signal.Signals(signum).name}/{when}: exit {code}, {'new' if after == target else 'old'}")
        current = after
    print(
        f"seed {seed}: {len(KILLS)} compiles of 10,000 units interrupted, {len(KILLS)} checks: " + "; ".join(outcomes)
    )


@pytest.mark.xdist_group("two_states")
def test_two_compiles_at_once_leave_one_whole_state(two_states: TwoStates) -> None:
    root, states = two_states.root, two_states.states
    environment = {
        **os.environ,
        "NO_COLOR": "1",
        "UNITGEN_CACHE_DIR": str(root / "cache"),
        "UNITGEN_LOCK_TIMEOUT": "300",
    }
    first, second = (
        subprocess.Popen(
            [sys.executable, "-m", "unitgen", "compile", "specs", "-q", "--no-cache"],
            cwd=root / name,
            env=environment,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    )
    errors = [process.communicate(timeout=300)[1] for process in (first, second)]
    assert (first.returncode, second.returncode) == (0, 0), errors
    final = state_of(root / "out", states)
    assert not (root / "out" / STATE_DIR).exists()
    check = run_unitgen("check", "specs", "-q", cwd=root / final, env={"UNITGEN_CACHE_DIR": str(root / "cache")})
    assert check.returncode == 0, check.stderr
    print(f"two concurrent compiles: both exit 0, out/ is entirely {final.upper()}")


@pytest.mark.parametrize("what", ["the specs directory", "a spec file"])
def test_an_unreadable_spec_is_one_line_naming_it_not_a_crash(tmp_path: Path, what: str) -> None:
    prefix = unprivileged()
    specs = examples(tmp_path)
    blocked = specs if what == "the specs directory" else specs / "web.toml"
    blocked.chmod(0)
    try:
        proc = run(prefix, "compile", "specs", cwd=tmp_path)
    finally:
        blocked.chmod(0o755 if blocked.is_dir() else 0o644)
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    if what == "the specs directory":  # refused with the arguments, as a usage error
        assert proc.returncode == 2 and "Directory 'specs' is not readable." in proc.stderr, proc.stderr
    else:
        assert proc.returncode == 1 and "specs/web.toml: S001 error cannot read file: Permission denied" in proc.stderr
    assert not (tmp_path / "out").exists()
