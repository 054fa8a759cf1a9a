"""The compile cache: a hit prints what the full path prints, and anything that could
change the answer is a miss.

Commands run in a subprocess through ``TRACED``, which records the modules a run loaded:
a run that never imported ``unitgen.compile.compiler`` was answered from the cache.  Each test
has a cache directory of its own (``conftest.private_cache``).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import RECORD_LOADED_MODULES, REPO, SIMPLE_SPEC, snapshot, write_specs
from test_cli import _environment, run_in_terminal

from unitgen.compile.compiler import compile_specs
from unitgen.compile.header import header
from unitgen.diagnostics import Diagnostics
from unitgen.output import cache, ondisk
from unitgen.output import plan as output
from unitgen.output.drift import compare
from unitgen.output.write import apply

TRACED = (
    RECORD_LOADED_MODULES
    + """\
import runpy
try:
    runpy.run_module("unitgen", run_name="__main__", alter_sys=True)
finally:
    record()
"""
)

PROJECT = """\
[runtime]
version = "/app-version"

[environments.prod.vars]
bucket = "prod-bucket"

[environments.stage.vars]
bucket = "stage-bucket"
"""

WEB = """\
[container]
image = "example/web"
command = ["serve", "--bucket", "{{ vars.bucket }}"]
"""

WORKER = """\
[unit]
description = "worker"

[container]
image = "example/worker"
tag = "{{ runtime.version }}"
command = ["work", "--name", "{{ instance }}"]
ports = ["8080:8080"]

[instances]
names = ["1", "2"]

[presence.etcd]
port = 8080

[fleet]
machine_metadata = { role = "a,b" }
"""


class Run:
    """One finished command: what it printed, its exit status, and whether the cache answered."""

    def __init__(self, proc: subprocess.CompletedProcess[str], modules: list[str]) -> None:
        self.stdout, self.stderr, self.status = proc.stdout, proc.stderr, proc.returncode
        self.modules = modules

    @property
    def printed(self) -> tuple[str, str, int]:
        return self.stdout, self.stderr, self.status

    @property
    def from_cache(self) -> bool:
        return "unitgen.compile.compiler" not in self.modules


def unitgen(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Run:
    modules = cwd / ".modules.json"
    environment = {**os.environ, "NO_COLOR": "1", "UNITGEN_TEST_MODULES": str(modules), **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-c", TRACED, *args], cwd=cwd, capture_output=True, text=True, env=environment, timeout=120
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    loaded = json.loads(modules.read_text())
    modules.unlink()
    return Run(proc, loaded)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Two environments, two warnings, a template with a sidekick: compiled, out/ in sync,
    nothing in the cache yet."""
    write_specs(tmp_path, {"unitgen.toml": PROJECT, "web.toml": WEB, "worker.toml": WORKER})
    assert unitgen("compile", "-q", "--no-cache", cwd=tmp_path).status == 0
    return tmp_path


def memo_files(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.iterdir()) if cache_dir.is_dir() else []


def the_memo(cache_dir: Path) -> Path:
    [memo] = memo_files(cache_dir)
    return memo


# --- a hit prints what the full path prints ----------------------------------------------------

OPTIONS = [(), ("--env", "prod"), ("--set", "version=v42"), ("--env", "stage", "--set", "version=v42")]
COMMANDS = [("compile",), ("compile", "-q"), ("check",), ("check", "-q"), ("diff",)]


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: " ".join(o) or "no options")
def test_warm_output_is_the_cold_output(project: Path, options: tuple[str, ...]) -> None:
    assert unitgen("compile", *options, "-q", "--no-cache", cwd=project).status == 0
    first = unitgen("check", *options, cwd=project)  # a miss: compiles, then remembers
    assert not first.from_cache
    assert first.printed == unitgen("check", *options, "--no-cache", cwd=project).printed
    for command in COMMANDS:
        cold = unitgen(*command, *options, "--no-cache", cwd=project)
        warm = unitgen(*command, *options, cwd=project)
        assert warm.from_cache and not cold.from_cache, command
        assert warm.printed == cold.printed, command
        assert cold.status == 0 and "S272 warning" in cold.stderr, command
    compiled = unitgen("compile", *options, cwd=project).stdout
    assert "0 written, 0 removed" in compiled and "instances to start in" in compiled


def test_a_hit_loads_no_stage_of_the_compiler(project: Path) -> None:
    unitgen("check", cwd=project)
    warm = unitgen("check", cwd=project)
    assert warm.status == 0
    assert not {"unitgen.compile.compiler", "unitgen.spec.resolve", "unitgen.spec.model", "jinja2"} & set(warm.modules)
    assert "unitgen.output.cache" in warm.modules  # it was asked, and it answered


def test_a_hit_colours_as_the_full_path_does(project: Path) -> None:
    cold = run_in_terminal(["compile", "--no-cache"], project, _environment())
    unitgen("check", cwd=project)
    warm = run_in_terminal(["compile"], project, _environment())
    assert "\x1b[33mspecs/web.toml:2:1: S223 warning" in cold
    assert warm == cold


# --- what makes a miss -------------------------------------------------------------------------


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def keep_stat(path: Path, change: Callable[[Path], None]) -> None:
    """Change a file without changing its size or modification time."""
    before = path.stat()
    change(path)
    assert path.stat().st_size == before.st_size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


CHANGES: dict[str, Callable[[Path], None]] = {
    "edit a spec": lambda root: edit(root / "specs" / "web.toml", "serve", "start"),
    "edit a spec, same size and time": lambda root: keep_stat(
        root / "specs" / "web.toml", lambda p: edit(p, "serve", "SERVE")
    ),
    "add a spec": lambda root: (root / "specs" / "api.toml").write_text(SIMPLE_SPEC),
    "delete a spec": lambda root: (root / "specs" / "web.toml").unlink(),
    "edit unitgen.toml": lambda root: edit(root / "specs" / "unitgen.toml", "prod-bucket", "other-bucket"),
    "edit an out/ file": lambda root: edit(root / "out" / "prod" / "web.service", "serve", "start"),
    "delete an out/ file": lambda root: (root / "out" / "stage" / "web.service").unlink(),
    "add a stale generated file": lambda root: shutil.copy(
        root / "out" / "prod" / "web.service", root / "out" / "prod" / "old.service"
    ),
}


@pytest.mark.parametrize("change", CHANGES, ids=str)
def test_a_change_to_the_inputs_or_out_is_a_miss_with_the_full_answer(project: Path, change: str) -> None:
    assert unitgen("check", cwd=project).status == 0
    CHANGES[change](project)
    warm = unitgen("check", cwd=project)
    cold = unitgen("check", "--no-cache", cwd=project)
    assert not warm.from_cache
    assert warm.printed == cold.printed
    assert warm.status == 1 and "is out of date" in warm.stderr
    assert warm.stdout.startswith("--- ")  # the diff


def test_a_comment_in_a_spec_is_a_miss_that_still_passes(project: Path) -> None:
    unitgen("check", cwd=project)
    with (project / "specs" / "web.toml").open("a") as spec:
        spec.write("# a comment changes no unit\n")
    warm = unitgen("check", cwd=project)
    assert not warm.from_cache and warm.status == 0


@pytest.mark.parametrize(
    "other", [("--set", "version=v43"), ("--env", "prod"), ("--set", "version=v42", "--set", "version=v43")]
)
def test_other_arguments_are_another_key(project: Path, other: tuple[str, ...]) -> None:
    assert unitgen("compile", "--set", "version=v42", "-q", cwd=project).status == 0
    assert unitgen("check", "--set", "version=v42", cwd=project).from_cache
    run = unitgen("check", *other, cwd=project)
    assert not run.from_cache
    assert run.printed == unitgen("check", *other, "--no-cache", cwd=project).printed


def test_the_working_directory_is_part_of_the_key(project: Path) -> None:
    """Diagnostics name a spec relative to the working directory when it lies below it."""
    specs = str(project / "specs")
    assert "\nspecs/web.toml:2:1: S223" in "\n" + unitgen("check", specs, cwd=project).stderr
    elsewhere = unitgen("check", specs, cwd=project / "out")
    assert not elsewhere.from_cache
    assert elsewhere.printed == unitgen("check", specs, "--no-cache", cwd=project / "out").printed
    assert f"{specs}/web.toml:2:1: S223" in elsewhere.stderr


def test_a_foreign_file_in_out_is_still_a_hit(project: Path) -> None:
    unitgen("check", cwd=project)
    (project / "out" / "prod" / "hand-written.service").write_text("[Service]\nExecStart=/bin/true\n")
    run = unitgen("check", cwd=project)
    assert run.from_cache and run.status == 0


def test_a_moved_output_symlink_is_a_miss(project: Path) -> None:
    (project / "out").rename(project / "out-a")
    (project / "out-b").mkdir()
    (project / "out").symlink_to("out-a")
    assert unitgen("check", cwd=project).status == 0  # remembers out/ as out-a
    (project / "out").unlink()
    (project / "out").symlink_to("out-b")
    run = unitgen("check", "-q", cwd=project)
    assert not run.from_cache
    assert run.status == 1 and "0 stale, 6 missing" in run.stderr


def test_the_same_arguments_reuse_one_file(project: Path, private_cache: Path) -> None:
    for number in range(3):
        (project / "specs" / "web.toml").write_text(f"{WEB}# edit {number}\n")
        unitgen("check", cwd=project)
    assert len(memo_files(private_cache)) == 1
    unitgen("check", "--env", "prod", cwd=project)
    assert len(memo_files(private_cache)) == 2


# --- the code fingerprint ----------------------------------------------------------------------


def test_the_code_fingerprint_follows_every_file_of_the_package(tmp_path: Path) -> None:
    package = tmp_path / "unitgen"
    shutil.copytree(REPO / "unitgen", package, ignore=shutil.ignore_patterns("__pycache__"))
    specs = write_specs(tmp_path, {"web.toml": SIMPLE_SPEC})
    before = cache.code_fingerprint(package)
    key = cache.key_for(specs, None, (), package_dir=package)
    assert key is not None and [name for name, _, _ in before if name == "compile/compiler.py"]

    (package / "compile" / "__pycache__").mkdir()
    (package / "compile" / "__pycache__" / "render.cpython-311.pyc").write_bytes(b"bytecode")
    assert cache.code_fingerprint(package) == before  # bytecode follows its source

    module = package / "compile" / "render.py"
    module.write_text(module.read_text() + "\n")
    after = cache.code_fingerprint(package)
    assert after != before
    assert cache.key_for(specs, None, (), package_dir=package) != key

    (package / "lint" / "new_rule.py").write_text("")
    assert cache.code_fingerprint(package) != after


def test_an_unreadable_spec_means_no_key(tmp_path: Path) -> None:
    specs = write_specs(tmp_path, {"web.toml": SIMPLE_SPEC})
    assert cache.key_for(specs, None, ()) is not None
    (specs / "broken.toml").symlink_to("broken.toml")  # a symlink loop: ELOOP on open
    assert cache.key_for(specs, None, ()) is None
    assert cache.key_for(tmp_path / "no-such-dir", None, ()) is None


# --- a damaged or unusable cache is a silent miss ----------------------------------------------


def _rewrite(memo: Path, change: Callable[[dict], None]) -> None:  # type: ignore[type-arg]
    data = json.loads(memo.read_text())
    change(data)
    memo.write_text(json.dumps(data))


DAMAGE: dict[str, Callable[[Path], None]] = {
    "garbage": lambda memo: memo.write_bytes(b"\x00\xff not json"),
    "truncated": lambda memo: memo.write_bytes(memo.read_bytes()[: memo.stat().st_size // 2]),
    "empty": lambda memo: memo.write_bytes(b""),
    "deeply nested": lambda memo: memo.write_text("[" * 100_000),
    "wrong format version": lambda memo: _rewrite(memo, lambda d: d.update(format=999)),
    "a field of the wrong type": lambda memo: _rewrite(memo, lambda d: d.update(files="prod/web.service")),
    "a missing field": lambda memo: _rewrite(memo, lambda d: d.pop("instances")),
    "an error to replay": lambda memo: _rewrite(memo, lambda d: d["diagnostics"][0].__setitem__(0, "error")),
    "a bad instance list": lambda memo: _rewrite(memo, lambda d: d.update(instances=[["prod", "worker@1.service"]])),
    "not an object": lambda memo: memo.write_text("[1, 2]"),
    "a path no file system takes": lambda memo: _rewrite(
        memo, lambda d: d.update(out_dir="/tmp/\u0000\ud800", out_link=None)
    ),
    "a unit path no file system takes": lambda memo: _rewrite(memo, lambda d: d["files"].append("\ud800.service")),
    "a digest that is not a string": lambda memo: _rewrite(memo, lambda d: d.update(contents=["0"])),
    "unreadable (a symlink loop)": lambda memo: (memo.unlink(), memo.symlink_to(memo.name)),
    "a directory in the way": lambda memo: (memo.unlink(), memo.mkdir()),
}


@pytest.mark.parametrize("damage", DAMAGE, ids=str)
def test_a_damaged_memo_is_a_silent_miss(project: Path, private_cache: Path, damage: str) -> None:
    cold = unitgen("compile", "--no-cache", cwd=project)
    unitgen("check", cwd=project)
    DAMAGE[damage](the_memo(private_cache))
    run = unitgen("compile", cwd=project)
    assert not run.from_cache
    assert run.printed == cold.printed
    if damage != "a directory in the way":  # the miss remembers again
        assert unitgen("compile", cwd=project).from_cache


@pytest.mark.parametrize("where", ["a file", "below a file"])
def test_an_unwritable_cache_directory_is_no_cache(project: Path, tmp_path: Path, where: str) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory")
    directory = blocker if where == "a file" else blocker / "unitgen"
    cold = unitgen("compile", "--no-cache", cwd=project)
    for _ in range(2):
        run = unitgen("compile", cwd=project, env={"UNITGEN_CACHE_DIR": str(directory)})
        assert run.printed == cold.printed and run.status == 0
        assert not run.from_cache
    assert blocker.read_text() == "not a directory"


def test_the_cache_directory_is_private(project: Path, tmp_path: Path) -> None:
    directory = tmp_path / "fresh" / "unitgen"
    unitgen("check", cwd=project, env={"UNITGEN_CACHE_DIR": str(directory)})
    assert directory.stat().st_mode & 0o777 == 0o700
    [memo] = directory.iterdir()  # no temporary file left behind
    assert memo.suffix == ".json"
    assert memo.stat().st_mode & 0o777 == 0o600


def test_where_the_cache_lives(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("UNITGEN_CACHE_DIR", "/somewhere/else")
    assert cache.cache_dir() == Path("/somewhere/else")
    monkeypatch.delenv("UNITGEN_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", "/xdg")
    assert cache.cache_dir() == Path("/xdg/unitgen")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/is/ignored")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache.cache_dir() == tmp_path / ".cache" / "unitgen"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache.cache_dir() == tmp_path / ".cache" / "unitgen"


# --- errors are never remembered ---------------------------------------------------------------


@pytest.mark.parametrize("command", ["compile", "check", "diff"])
def test_a_failing_compile_is_never_remembered(tmp_path: Path, private_cache: Path, command: str) -> None:
    write_specs(tmp_path, {"web.toml": SIMPLE_SPEC.replace('tag = "v1"', "tag = 1")})
    first = unitgen(command, cwd=tmp_path)
    second = unitgen(command, cwd=tmp_path)
    assert first.status == second.status == 1
    assert "container.tag: expected a string, found an integer" in second.stderr
    assert first.printed == second.printed
    assert memo_files(private_cache) == []


def test_a_refused_compile_is_never_replayed_as_a_success(project: Path) -> None:
    """The compile itself succeeds (and is remembered), but out/ holds a file it may not overwrite."""
    (project / "out" / "prod" / "web.service").write_text("[Service]\nExecStart=/bin/true\n")
    for _ in range(2):
        run = unitgen("compile", cwd=project)
        assert run.status == 1 and "O102 error refusing to overwrite a file unitgen did not generate" in run.stderr
        assert not run.from_cache


def test_a_result_with_errors_has_no_memo(tmp_path: Path) -> None:
    specs = write_specs(tmp_path, {"web.toml": "[container]\n"})
    result = compile_specs(specs)
    assert not result.ok
    assert cache.memo_of(result, specs, result.diagnostics.sorted()) is None


# --- turning it off ----------------------------------------------------------------------------


def _plant_replayed_text(memo: Path) -> None:
    """A memo that still matches, but whose warning text only a replay would print."""
    _rewrite(memo, lambda d: d["diagnostics"][0].__setitem__(1, "REPLAYED FROM THE CACHE"))


def test_a_hit_replays_the_memo_and_the_switches_bypass_it(project: Path, private_cache: Path) -> None:
    unitgen("check", cwd=project)
    _plant_replayed_text(the_memo(private_cache))
    assert "REPLAYED FROM THE CACHE" in unitgen("check", cwd=project).stderr
    assert "REPLAYED FROM THE CACHE" in unitgen("check", cwd=project, env={"UNITGEN_NO_CACHE": "0"}).stderr
    for command in ("compile", "check", "diff"):
        for run in (
            unitgen(command, "--no-cache", cwd=project),
            unitgen(command, cwd=project, env={"UNITGEN_NO_CACHE": "1"}),
        ):
            assert "REPLAYED FROM THE CACHE" not in run.stderr and "S223 warning" in run.stderr
            assert not run.from_cache
    verified = unitgen("compile", "--verify", cwd=project)
    assert "REPLAYED FROM THE CACHE" not in verified.stderr and not verified.from_cache


@pytest.mark.parametrize("switch", ["flag", "environment"])
def test_switched_off_nothing_is_written_to_the_cache(project: Path, private_cache: Path, switch: str) -> None:
    args, env = (["--no-cache"], {}) if switch == "flag" else ([], {"UNITGEN_NO_CACHE": "1"})
    for command in ("compile", "check", "diff"):
        assert unitgen(command, *args, cwd=project, env=env).status == 0
    assert memo_files(private_cache) == []
    unitgen("check", cwd=project)
    assert len(memo_files(private_cache)) == 1  # and on again, it is used


# --- output: deciding from digests alone -------------------------------------------------------


def generated(name: str, body: str) -> str:
    return header(f"specs/{name}.toml", body) + body


# name -> (the file it changes, the change); two changes of one file are not combined
MUTATIONS: dict[str, tuple[str, Callable[[Path], None]]] = {
    "missing": ("prod/web.service", lambda p: p.unlink()),
    "changed (another compile's text)": (
        "prod/web.service",
        lambda p: p.write_text(generated("web", "[Unit]\nDescription=old\n")),
    ),
    "hand-edited": ("prod/web.service", lambda p: edit(p, "serve", "start")),
    "foreign file in the way": ("prod/web.service", lambda p: p.write_text("[Unit]\n")),
    "unreadable (a directory)": ("prod/web.service", lambda p: (p.unlink(), p.mkdir())),
    "a symlink to the same text": (
        "prod/web.service",
        lambda p: (p.rename(p.with_name("web.copy")), p.symlink_to("web.copy")),
    ),
    "a broken symlink": ("prod/web.service", lambda p: (p.unlink(), p.symlink_to("nowhere"))),
    "stale generated extra": ("prod/old.service", lambda p: p.write_text(generated("old", "[Unit]\n"))),
    "foreign extra": ("prod/mine.service", lambda p: p.write_text("[Unit]\n")),
    "not a unit file": ("prod/notes.txt", lambda p: p.write_text(generated("x", "x\n"))),
    "other environment missing": ("stage/web.service", lambda p: p.unlink()),
    "other environment hand-edited": ("stage/web.service", lambda p: edit(p, "serve", "start")),
    "other environment stale extra": ("stage/old.service", lambda p: p.write_text(generated("old", "[Unit]\n"))),
    "generated extra outside every environment": ("top.service", lambda p: p.write_text(generated("top", "[Unit]\n"))),
}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:  # type: ignore[type-arg]
    root = tmp_path_factory.mktemp("matrix")
    specs = write_specs(root, {"unitgen.toml": PROJECT, "web.toml": WEB, "worker.toml": WORKER})
    results = {env: compile_specs(specs, environment=env) for env in (None, "prod", "stage")}
    everything = results[None]
    (root / "out").mkdir()
    apply(output.plan(everything.files, everything.out_dir, Diagnostics()), everything.files, everything.out_dir)
    return root / "out", results


@pytest.mark.parametrize("env", [None, "prod", "stage"])
def test_the_digest_check_agrees_with_plan_and_scoping(
    compiled: tuple[Path, dict], tmp_path: Path, env: str | None
) -> None:  # type: ignore[type-arg]
    pristine, results = compiled
    result = results[env]
    paths = sorted(result.files)
    digest = ondisk.contents_digest((path, result.files[path]) for path in paths)
    pairs = [(a, b) for a, b in itertools.combinations(MUTATIONS, 2) if MUTATIONS[a][0] != MUTATIONS[b][0]]
    states = [(), *itertools.combinations(MUTATIONS, 1), *pairs]
    seen = set()
    for number, mutations in enumerate(states):
        out = tmp_path / str(number)
        shutil.copytree(pristine, out, symlinks=True)
        for mutation in mutations:
            target, change = MUTATIONS[mutation]
            change(out / target)
        found = Diagnostics()
        scope = result.scope
        planned = output.plan(result.files, out, found, scope=scope)
        answer = ondisk.in_sync_by_digest(paths, digest, out, scope=scope)
        assert answer == (planned.in_sync and not found.has_errors), (env, mutations)
        assert answer == compare(result.files, out, scope=scope).in_sync, (env, mutations)  # check agrees
        seen.add(answer)
    assert seen == {True, False}


def reference_unit_files(out_dir: Path) -> dict[str, Path]:
    """What plan used before: rglob and Path.is_file."""
    if not out_dir.is_dir():
        return {}
    return {
        p.relative_to(out_dir).as_posix(): p
        for p in out_dir.rglob("*")
        if p.is_file() and p.name.endswith(ondisk.UNIT_SUFFIXES)
    }


def test_the_unit_file_walk_finds_what_rglob_found(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "prod" / "deep" / "er").mkdir(parents=True)
    (out / "dir.service").mkdir()
    for name in (
        "a.service",
        "prod/b.timer",
        "prod/deep/er/c.socket",
        ".hidden.service",
        "prod/notes.txt",
        "prod/x.service.bak",
    ):
        (out / name).write_text("x")
    (out / "prod" / "link.service").symlink_to("b.timer")
    (out / "prod" / "broken.service").symlink_to("nowhere")
    (out / "prod" / "loop.service").symlink_to("loop.service")
    (out / "prod" / "dir-link.service").symlink_to("deep")
    (out / "linked").symlink_to("prod")  # a symlinked directory is not entered
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "far.service").write_text("x")
    (out / "prod" / "far.service").symlink_to(tmp_path / "elsewhere" / "far.service")
    found = ondisk.unit_files(out)
    assert found == reference_unit_files(out)
    assert sorted(found) == [
        ".hidden.service",
        "a.service",
        "prod/b.timer",
        "prod/deep/er/c.socket",
        "prod/far.service",
        "prod/link.service",
    ]
    assert ondisk.unit_files(tmp_path / "missing") == {} == ondisk.unit_files(out / "a.service")


def test_contents_digests_differ_exactly_when_the_files_do() -> None:
    texts = ["", "a", "a\n", "é", "\udcc3\udca9", "\udcc3", "\ud800", "\U0001f600"]
    one_file = [ondisk.contents_digest([("a.service", t)]) for t in texts]
    assert len(set(one_file)) == len(texts)
    # Where one text ends and the next path begins is part of what is digested.
    splits = [[("a", "bc"), ("d", "")], [("a", "b"), ("cd", "")], [("a", "bcd")], [("ab", "c"), ("d", "")]]
    assert len({ondisk.contents_digest(files) for files in splits}) == len(splits)
    assert ondisk.contents_digest([("x", "é")]) == ondisk.contents_digest([("x", "é")])
    piece = (1).to_bytes(8, "big") + b"x" + (2).to_bytes(8, "big") + "é".encode()
    assert ondisk.contents_digest([("x", "é")]) == hashlib.sha256(piece).hexdigest()


def test_instances_to_start_are_named_per_environment(tmp_path: Path) -> None:
    specs = write_specs(tmp_path, {"unitgen.toml": PROJECT, "web.toml": WEB, "worker.toml": WORKER})
    result = compile_specs(specs)
    expected = ["worker@1.service", "worker@2.service", "worker-announce@1.service", "worker-announce@2.service"]
    assert result.instances_to_start() == [("prod", expected), ("stage", expected)]


@pytest.mark.parametrize("place", ["SPEC.TOML", "sub/api.toml"])
def test_a_spec_like_file_the_compile_warns_about_is_a_miss(project: Path, place: str) -> None:
    assert unitgen("check", cwd=project).status == 0
    path = project / "specs" / place
    path.parent.mkdir(exist_ok=True)
    path.write_text(SIMPLE_SPEC)
    warm = unitgen("check", cwd=project)
    assert not warm.from_cache and "S004 warning" in warm.stderr
    assert warm.printed == unitgen("check", "--no-cache", cwd=project).printed


def test_compiling_dot_from_inside_the_specs_directory_writes_beside_it(project: Path) -> None:
    """The output directory is relative to the directory holding the specs, however the
    specs directory is named."""
    before = snapshot(project / "out")
    run = unitgen("compile", ".", "-q", cwd=project / "specs")
    assert run.status == 0, run.stderr
    assert not (project / "specs" / "out").exists()
    assert snapshot(project / "out") == before
    assert unitgen("check", ".", cwd=project / "specs").from_cache
