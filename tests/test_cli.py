"""The command line as a whole: help with examples, --version, exit codes, colour, completion."""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from conftest import require
from helpers import REPO, SIMPLE_SPEC, replay_console, run_unitgen, write_specs

from unitgen import __version__
from unitgen.cli import main

COMMANDS = main.list_commands(click.Context(main))


def test_every_listed_command_loads_under_its_own_name() -> None:
    for name in COMMANDS:
        command = main.get_command(click.Context(main), name)
        assert command is not None and command.name == name
    assert main.get_command(click.Context(main), "no-such-command") is None


def test_every_command_is_listed() -> None:
    assert COMMANDS == [
        "check",
        "compile",
        "compose",
        "deploy",
        "diff",
        "graph",
        "import",
        "lint",
        "render",
        "schema",
        "status",
        "submit",
    ]


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_of_every_command_has_an_example(command: str | None) -> None:
    args = [command, "--help"] if command else ["--help"]
    proc = run_unitgen(*args, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert "Example:\n" in proc.stdout
    example = proc.stdout.split("Example:\n", 1)[1].splitlines()[0]
    assert example.strip().startswith("unitgen " + (command or ""))
    assert run_unitgen(*(args[:-1] + ["-h"]), cwd=REPO).stdout == proc.stdout


def test_top_level_help_documents_exit_status_colour_and_completion() -> None:
    text = " ".join(run_unitgen("--help", cwd=REPO).stdout.split())
    assert (
        "Exit status: 0 success, 1 invalid specs or units, an out-of-date out/ or a file that could not be "
        "read or written, 2 usage error, 3 a bug in unitgen, 130/143 interrupted (SIGINT/SIGTERM), 141 the "
        "output's reader went away." in text
    )
    assert "never with NO_COLOR" in text
    assert "_UNITGEN_COMPLETE=bash_source unitgen" in text


def test_version() -> None:
    proc = run_unitgen("--version", cwd=REPO)
    assert proc.returncode == 0
    assert proc.stdout == f"unitgen, version {__version__}\n"


LOADED = """\
import runpy, sys
sys.argv = ["unitgen", *sys.argv[1:]]
try:
    runpy.run_module("unitgen", run_name="__main__", alter_sys=True)
except SystemExit:
    pass
heavy = ("unitgen", "attr", "attrs", "jinja2", "difflib", "tomllib", "json")
print("LOADED", *sorted(m for m in sys.modules if m.split(".")[0] in heavy), file=sys.stderr)
"""


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_imports_no_stage_of_the_compiler(command: str | None) -> None:
    args = [command, "--help"] if command else ["--help"]
    proc = subprocess.run([sys.executable, "-c", LOADED, *args], capture_output=True, text=True, cwd=REPO, timeout=60)
    loaded = proc.stderr.split("LOADED", 1)[1].split()
    assert "unitgen.cli" in loaded
    assert not [
        m for m in loaded if m.startswith(("unitgen.spec", "unitgen.compile.compiler", "unitgen.lint", "jinja2"))
    ]


def test_a_check_the_cache_answers_imports_only_what_it_uses(tmp_path: Path) -> None:
    """The pre-commit case: nothing changed, the memo answers, without the compiler, the
    template engine, the TOML parser or any other command's code."""
    write_specs(tmp_path, {"web.toml": SIMPLE_SPEC})
    assert run_unitgen("compile", "-q", cwd=tmp_path).returncode == 0
    proc = subprocess.run(
        [sys.executable, "-c", LOADED, "check"], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert "1 unit(s) up to date" in proc.stderr
    loaded = proc.stderr.split("LOADED", 1)[1].split()
    assert "unitgen.cli.build" in loaded
    assert not [
        m
        for m in loaded
        if m.startswith(
            ("unitgen.spec", "unitgen.compile.compiler", "unitgen.lint", "unitgen.fleet", "jinja2", "tomllib")
        )
        or m in ("unitgen.cli.fleet", "unitgen.cli.show", "unitgen.cli.deploy", "unitgen.cli.importing")
        or m in ("unitgen.output.journal", "unitgen.output.plan", "unitgen.diagnostics")
    ]


# --- exit status -------------------------------------------------------------------------------


def test_exit_status_zero_one_two(tmp_path: Path) -> None:
    write_specs(tmp_path, {"web.toml": SIMPLE_SPEC})
    assert run_unitgen("compile", "-q", cwd=tmp_path).returncode == 0
    assert run_unitgen("check", cwd=tmp_path).returncode == 0
    usage = [
        ("frobnicate",),
        ("check", "--no-such-option"),
        ("compile", "--set", "novalue"),
        ("graph", "--format", "png"),
        ("check", "no-such-dir"),
        ("render",),
    ]
    for args in usage:
        proc = run_unitgen(*args, cwd=tmp_path)
        assert proc.returncode == 2, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
    (tmp_path / "specs" / "web.toml").write_text("[container]\nimage = 3\n")
    for args in [("compile",), ("check",), ("diff",), ("render", "web"), ("graph",), ("submit", "--dry-run")]:
        proc = run_unitgen(*args, cwd=tmp_path)
        assert proc.returncode == 1, (args, proc.stderr)
        assert "Traceback" not in proc.stderr


def test_unknown_environment_is_a_usage_error(tmp_path: Path) -> None:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    for command in ("compile", "check", "diff", "graph", "submit"):
        proc = run_unitgen(command, "--env", "qa", cwd=tmp_path)
        assert proc.returncode == 2
        assert "unknown environment 'qa' (known: dev, prod, stage, test)" in proc.stderr


# --- colour --------------------------------------------------------------------------------------


def run_in_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run unitgen with stdout and stderr on a pseudo-terminal; everything it printed."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "unitgen", *args], cwd=cwd, env=env, stdin=slave, stdout=slave, stderr=slave
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(master)
    return b"".join(chunks).decode()


@pytest.fixture
def stale(tmp_path: Path) -> Path:
    write_specs(tmp_path, {"web.toml": SIMPLE_SPEC})
    assert run_unitgen("compile", "-q", cwd=tmp_path).returncode == 0
    (tmp_path / "specs" / "web.toml").write_text(SIMPLE_SPEC.replace("v1", "v2"))
    return tmp_path


def _environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return {**env, **extra}


def test_colour_on_a_terminal(stale: Path) -> None:
    text = run_in_terminal(["diff"], stale, _environment())
    assert "\x1b[31m-ExecStartPre=/usr/bin/docker pull example/app:v1\x1b[0m" in text
    assert "\x1b[32m+ExecStartPre=/usr/bin/docker pull example/app:v2\x1b[0m" in text
    assert "\x1b[33mout/web.service: stale" in text
    warning = run_in_terminal(["check", "-q"], stale, _environment())
    assert "\x1b[31munitgen: out/ is out of date" in warning


@pytest.mark.parametrize("value", ["1", "yes"])
def test_no_colour_with_no_color_even_on_a_terminal(stale: Path, value: str) -> None:
    text = run_in_terminal(["diff"], stale, _environment(NO_COLOR=value))
    assert "-ExecStartPre=/usr/bin/docker pull example/app:v1" in text
    assert "\x1b[" not in text


def test_no_colour_when_not_a_terminal(stale: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "unitgen", "diff"],
        cwd=stale,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "+ExecStartPre=/usr/bin/docker pull example/app:v2" in proc.stdout
    assert "\x1b[" not in proc.stdout + proc.stderr


# --- shell completion ----------------------------------------------------------------------------


def _console_script() -> str:
    beside = Path(sys.executable).with_name("unitgen")
    found = str(beside) if beside.exists() else shutil.which("unitgen")
    require(found, "the unitgen console script is not installed (pip install -e .)")
    assert found is not None
    return found


def _complete(words: str, cwd: Path, shell: str = "bash") -> subprocess.CompletedProcess[str]:
    cword = str(len(words.split()) - (0 if words.endswith(" ") else 1))
    env = {**os.environ, "_UNITGEN_COMPLETE": f"{shell}_complete", "COMP_WORDS": words, "COMP_CWORD": cword}
    return subprocess.run([_console_script()], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_are_generated(shell: str) -> None:
    env = {**os.environ, "_UNITGEN_COMPLETE": f"{shell}_source"}
    proc = subprocess.run([_console_script()], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert "_UNITGEN_COMPLETE" in proc.stdout


def test_completion_of_commands_environments_and_units(tmp_path: Path) -> None:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    shutil.copytree(REPO / "out", tmp_path / "out")
    assert _complete("unitgen ch", tmp_path).stdout.split() == ["plain,check"]
    assert _complete("unitgen submit --env ", tmp_path).stdout.split() == ["plain,prod", "plain,stage", "plain,test"]
    assert _complete("unitgen render ngi", tmp_path).stdout.split() == [
        "plain,nginx-elb-presence.service",
        "plain,nginx.service",
    ]


def test_completion_is_documented() -> None:
    doc = (REPO / "docs" / "cli.md").read_text()
    section = doc.split("## Shell completion", 1)[1]
    for shell in ("bash", "zsh", "fish"):
        assert f"_UNITGEN_COMPLETE={shell}_source unitgen" in section


# --- the documented session ---------------------------------------------------------------------


def test_session_transcript_is_a_real_run(tmp_path: Path) -> None:
    """docs/session.md (the README's session) is replayed command by command."""
    require(shutil.which("bash") and shutil.which("sed") and shutil.which("grep"), "bash, sed and grep are needed")
    doc = (REPO / "docs" / "session.md").read_text()
    block = doc.split("```console\n", 1)[1].split("```", 1)[0]
    steps: list[tuple[str, str]] = []
    for line in block.splitlines(keepends=True):
        if line.startswith("$ "):
            steps.append((line[2:].rstrip("\n"), ""))
        else:
            command, output = steps[-1]
            steps[-1] = (command, output + line)
    assert [c for c, _ in steps][:1] == ["unitgen compile specs"] and "submit --env prod --dry-run" in block
    root = tmp_path / "djed"
    shutil.copytree(REPO / "specs", root / "specs")
    script_dir = str(Path(_console_script()).parent)
    env = {**_environment(), "PATH": f"{script_dir}{os.pathsep}{os.environ['PATH']}", "PYTHONUNBUFFERED": "1"}
    replayed = replay_console([command for command, _ in steps], root, env)
    assert replayed == block, "docs/session.md is out of date; this run printed:\n" + replayed
    assert "```console\n" + block + "```" in (REPO / "README.md").read_text(), "README.md must show the same session"


# --- output that cannot be written -----------------------------------------------------------


def test_a_full_disk_under_standard_output_is_one_line_and_exit_1(tmp_path: Path) -> None:
    require(Path("/dev/full").exists(), "/dev/full is needed")
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "unitgen", "schema"], stdout=full, stderr=subprocess.PIPE, text=True, timeout=60
        )
    assert proc.returncode == 1
    assert proc.stderr == "unitgen: standard output: No space left on device\n"


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will ever read: the first write fails with EPIPE
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "unitgen", "schema"], stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=60
        )
    finally:
        os.close(write_end)
    assert (proc.returncode, proc.stderr) == (141, "")
