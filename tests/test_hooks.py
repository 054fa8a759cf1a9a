"""[hooks]: host commands around the container, as exact argv.

systemd must parse (verify dump) and execute (a throw-away ``systemd --user``) exactly the
argv a hook gives, whatever its words hold; the commands go where docs/spec.md says,
relative to the lifecycle unitgen writes; the format's rules are reported at the key.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import require
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.user_manager import UserManager
from support.verify_dump import verify_with_dump
from test_argv_through_compiler import ARGV, literal_command, toml_string
from test_argv_through_compiler import user_manager as user_manager  # the throw-away systemd --user, a fixture

from unitgen.compile.compiler import compile_specs
from unitgen.systemd.analyze import find_systemd_analyze
from unitgen.systemd.unitfile import parse_systemd

HOSTILE = [
    "$HOME",
    "${HOME}",
    "$$",
    "100%",
    "%n",
    "'single'",
    '"double"',
    "back\\slash",
    "a\nb",
    "x;y",
    "; rm -rf /",
    "",
]
KEYS = ("before_start", "after_start", "stop", "after_stop")


def toml_argv(argv: list[str]) -> str:
    return "[" + ", ".join(toml_string(a) for a in literal_command(argv)) + "]"


def compile_hooks(tmp_path: Path, hooks: str, project: str = "") -> str:
    return compile_files(tmp_path, hooks, project)["app.service"]


def compile_files(tmp_path: Path, hooks: str, project: str = "") -> dict[str, str]:
    specs = tmp_path / "specs"
    specs.mkdir(parents=True, exist_ok=True)
    (specs / "unitgen.toml").write_text(project)
    (specs / "app.toml").write_text('[container]\nimage = "example/app:v1"\n[hooks]\n' + hooks)
    result = compile_specs(specs)
    assert result.ok, [d.format() for d in result.diagnostics]
    return dict(result.files)


def exec_values(unit: str) -> list[tuple[str, str]]:
    return [(e.key, e.value) for e in parse_systemd(unit.encode()).entries if e.key.startswith("Exec")]


def test_hooks_go_around_the_lifecycle_unitgen_writes(tmp_path: Path) -> None:
    unit = compile_hooks(
        tmp_path,
        'before_start = [["/usr/bin/mkdir", "-p", "/a"]]\n'
        'after_start = [["/usr/bin/touch", "/b"]]\n'
        'stop = [{ argv = ["/usr/bin/etcdctl", "rm", "/c"], ignore_failure = true }]\n'
        'after_stop = [["/usr/bin/rm", "/d"], ["/usr/bin/rm", "/e"]]\n',
    )
    assert exec_values(unit) == [
        ("ExecStartPre", "-/usr/bin/docker stop app"),
        ("ExecStartPre", "-/usr/bin/docker rm app"),
        ("ExecStartPre", "/usr/bin/docker pull example/app:v1"),
        ("ExecStartPre", "/usr/bin/mkdir -p /a"),
        ("ExecStart", "/usr/bin/docker run --name app example/app:v1"),
        ("ExecStartPost", "/usr/bin/touch /b"),
        ("ExecStop", "-/usr/bin/etcdctl rm /c"),
        ("ExecStop", "/usr/bin/docker stop app"),
        ("ExecStopPost", "/usr/bin/rm /d"),
        ("ExecStopPost", "/usr/bin/rm /e"),
    ]


def test_before_start_comes_after_the_secrets_and_may_use_runtime_values(tmp_path: Path) -> None:
    unit = compile_hooks(
        tmp_path,
        'before_start = [["/usr/bin/logger", "{{ runtime.version }}"]]\n'
        '[[container.secrets]]\nbucket = "b"\nkey = "k.env"\n',
        '[runtime]\nversion = "/djed-version"\n',
    )
    pre = [value for key, value in exec_values(unit) if key == "ExecStartPre"]
    assert "s3fetch.py" in pre[-2] and pre[-1] == '/usr/bin/logger "${UNITGEN_VERSION}"'
    assert "unitgen-runtime" in pre[0]


def test_hooks_merge_like_argv_lists(tmp_path: Path) -> None:
    """A layer that sets a list of commands replaces it; the other lists are kept."""
    files = compile_files(
        tmp_path,
        'after_start = [["/usr/bin/true", "spec"]]\n[environments.prod.hooks]\nafter_start = [["/usr/bin/true", "prod"]]\n',
        '[environments.prod]\n[environments.stage]\n[defaults.hooks]\nafter_stop = [["/usr/bin/true", "default"]]\n'
        'after_start = [["/usr/bin/true", "default"]]\n',
    )
    prod, stage = files["prod/app.service"], files["stage/app.service"]
    assert ("ExecStartPost", "/usr/bin/true prod") in exec_values(prod)
    assert ("ExecStartPost", "/usr/bin/true spec") in exec_values(stage)
    for unit in (prod, stage):
        assert [v for k, v in exec_values(unit) if k == "ExecStartPost"] != ["/usr/bin/true default"]
        assert ("ExecStopPost", "/usr/bin/true default") in exec_values(unit)


@pytest.mark.parametrize(
    ("hooks", "code", "key_path"),
    [
        ("after_start = [[]]", "S295", "hooks.after_start[0]"),
        ("stop = [{ argv = [], ignore_failure = true }]", "S295", "hooks.stop[0]"),
        ('before_start = [["etcdctl", "rm", "/x"]]', "S296", "hooks.before_start[0]"),
        ('after_stop = [["bin/cleanup"]]', "S296", "hooks.after_stop[0]"),
        ("after_stop = [{ ignore_failure = true }]", "S107", "hooks.after_stop[0]"),
        ('after_stop = ["/usr/bin/true"]', "S101", "hooks.after_stop[0]"),
        ('after_stop = [{ argv = ["/usr/bin/true"], ignore = true }]', "S100", "hooks.after_stop[0].ignore"),
        ('after_start = [["/usr/bin/{{ instance }}"]]', "S401", "hooks.after_start[0]"),
        ('after_start = [["/usr/bin/x\\"y"]]', "S401", "hooks.after_start[0]"),
        ('after_start = [["/usr/bin/true", "{{ nope }}"]]', "S402", "hooks.after_start[0]"),
        ('after_start = [["/usr/bin/curl", "https://deploy:hunter22@example.com/"]]', "S602", "hooks.after_start[0]"),
    ],
)
def test_bad_hooks_are_reported_at_their_key(tmp_path: Path, hooks: str, code: str, key_path: str) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "app.toml").write_text(f'[container]\nimage = "example/app:v1"\n[hooks]\n{hooks}\n')
    result = compile_specs(specs)
    errors = [(d.code, d.key_path) for d in result.diagnostics if d.is_error]
    assert errors == [(code, key_path)], [d.format() for d in result.diagnostics]
    assert d_line(result, code) == 4


def d_line(result: object, code: str) -> int | None:
    (found,) = [d for d in result.diagnostics if d.code == code]  # type: ignore[attr-defined]
    return found.location.line if found.location else None


HOOK_ARGV = st.lists(
    st.one_of(st.sampled_from(HOSTILE), ARGV.flatmap(lambda a: st.just(a[0] if a else ""))), max_size=6
)


def hooks_text(program: str, batch: list[list[str]], ignore: list[bool]) -> str:
    lines = []
    for key, args, ignore_failure in zip(KEYS, batch, ignore, strict=True):
        argv = toml_argv([program, *args])
        lines.append(f"{key} = [{{ argv = {argv}, ignore_failure = {'true' if ignore_failure else 'false'} }}]")
    return "\n".join(lines) + "\n"


def hook_lines(unit: str) -> list[str]:
    """The four hook lines: the last ExecStartPre, the ExecStartPost, the first ExecStop, the ExecStopPost."""
    values = exec_values(unit)
    pick = {
        key: [v for k, v in values if k == key] for key in ("ExecStartPre", "ExecStartPost", "ExecStop", "ExecStopPost")
    }
    return [pick["ExecStartPre"][-1], pick["ExecStartPost"][0], pick["ExecStop"][0], pick["ExecStopPost"][0]]


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(st.lists(HOOK_ARGV, min_size=4, max_size=4), st.lists(st.booleans(), min_size=4, max_size=4))
def test_systemd_parses_exactly_the_hook_argv(
    tmp_path_factory: pytest.TempPathFactory, batch: list[list[str]], ignore: list[bool]
) -> None:
    require(find_systemd_analyze(), "systemd-analyze is not installed")
    program = "/usr/local/bin/hook"
    unit = compile_hooks(tmp_path_factory.mktemp("p"), hooks_text(program, batch, ignore))
    verdict = verify_with_dump({"app.service": unit})
    assert verdict.problems == (), [f.format() for f in verdict.problems]
    commands = verdict.commands["app.service"]
    by_key = {
        key: [list(argv) for k, argv in commands if k == key]
        for key in ("ExecStartPre", "ExecStartPost", "ExecStop", "ExecStopPost")
    }
    got = [by_key["ExecStartPre"][-1], by_key["ExecStartPost"][0], by_key["ExecStop"][0], by_key["ExecStopPost"][0]]
    # The dump shows argv before $ expansion, where every literal '$' is doubled.
    assert got == [[a.replace("$", "$$") for a in [program, *args]] for args in batch]
    for line, ignore_failure in zip(hook_lines(unit), ignore, strict=True):
        assert line.startswith("-") == ignore_failure


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(st.lists(HOOK_ARGV, min_size=4, max_size=4))
def test_systemd_executes_exactly_the_hook_argv(
    user_manager: UserManager, tmp_path_factory: pytest.TempPathFactory, batch: list[list[str]]
) -> None:
    dumper = user_manager.dumper_path
    unit = compile_hooks(tmp_path_factory.mktemp("x"), hooks_text(dumper, batch, [False] * 4))
    seen = user_manager.run_execs(hook_lines(unit))
    assert seen == [[os.fsencode(a) for a in [dumper, *args]] for args in batch]
