"""Whole-compiler argv exactness: spec TOML in, systemd's own view out, byte for byte.

Hypothesis writes a spec whose `container.command` is an arbitrary argv (any Unicode
scalar value but NUL, which TOML cannot carry into a command), `unitgen` compiles it,
and systemd 252 reports what it parsed (verify dump) and what it executed (a throw-away
`systemd --user` whose "docker" is the argv dumper).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import require
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.user_manager import UserManager, available
from support.verify_dump import verify_with_dump

from unitgen.compile.compiler import compile_specs
from unitgen.systemd.analyze import find_systemd_analyze
from unitgen.systemd.unitfile import parse_systemd

ARGUMENT = st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=30)
ARGV = st.lists(ARGUMENT, max_size=6)
ENV_VALUE = st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=30).filter(
    lambda v: "{{" not in v
)


def toml_string(text: str) -> str:
    """A TOML basic string holding exactly ``text``."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def literal_command(argv: list[str]) -> list[str]:
    """Spec strings are templates only when they contain '{{': each '{' of those is written
    as a template that gives it."""
    return [a.replace("{", "{{ '{' }}") if "{{" in a else a for a in argv]


def compile_command(tmp_path: Path, argv: list[str], env_value: str, docker: str = "/usr/bin/docker") -> str:
    specs = tmp_path / "specs"
    specs.mkdir(parents=True, exist_ok=True)
    (specs / "unitgen.toml").write_text(f"[paths]\ndocker = {toml_string(docker)}\n")
    command = ", ".join(toml_string(a) for a in literal_command(argv))
    (specs / "app.toml").write_text(
        f'[container]\nimage = "example/app:v1"\ncommand = [{command}]\nenv = {{ VALUE = {toml_string(env_value)} }}\n'
        '[service]\nextra = { Type = "oneshot" }\n'
    )
    result = compile_specs(specs)
    assert result.ok, [d.format() for d in result.diagnostics]
    return result.files["app.service"]


def expected_run_argv(docker: str, argv: list[str], env_value: str) -> list[str]:
    return [docker, "run", "--name", "app", "-e", f"VALUE={env_value}", "example/app:v1", *argv]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(ARGV, ENV_VALUE)
def test_systemd_parses_exactly_the_spec_argv(
    tmp_path_factory: pytest.TempPathFactory, argv: list[str], env_value: str
) -> None:
    require(find_systemd_analyze(), "systemd-analyze is not installed")
    unit = compile_command(tmp_path_factory.mktemp("a"), argv, env_value)
    verdict = verify_with_dump({"app.service": unit})
    assert verdict.problems == (), [f.format() for f in verdict.problems]
    started = [words for key, words in verdict.commands["app.service"] if key == "ExecStart"]
    # The dump shows argv before $ expansion, where every literal '$' is doubled.
    assert [list(w) for w in started] == [
        [a.replace("$", "$$") for a in expected_run_argv("/usr/bin/docker", argv, env_value)]
    ]


@pytest.fixture(scope="module")
def user_manager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UserManager]:
    ok, why = available()
    require(ok, why)
    with UserManager(tmp_path_factory.mktemp("argv")) as manager:
        yield manager


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(ARGV, ENV_VALUE), min_size=1, max_size=6))
def test_systemd_executes_exactly_the_spec_argv(
    user_manager: UserManager, tmp_path_factory: pytest.TempPathFactory, batch: list[tuple[list[str], str]]
) -> None:
    dumper = user_manager.dumper_path
    values = []
    for argv, env_value in batch:
        unit = compile_command(tmp_path_factory.mktemp("b"), argv, env_value, docker=dumper)
        (start,) = [entry.value for entry in parse_systemd(unit.encode()).entries if entry.key == "ExecStart"]
        values.append(start)
    seen = user_manager.run_execs(values)
    for (argv, env_value), got in zip(batch, seen, strict=True):
        assert got == [os.fsencode(a) for a in expected_run_argv(dumper, argv, env_value)]
