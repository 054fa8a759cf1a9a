"""The console entry point: ``compile`` and a cached ``check`` run before click loads.

The fast path must be invisible: for every argument list it accepts, it prints exactly
what the click CLI prints, and it leaves everything else to the CLI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import RECORD_LOADED_MODULES, SIMPLE_SPEC, write_specs

from hypothesis import given
from hypothesis import strategies as st

from unitgen.entry import CheckArguments, as_path_string, parse_check
from unitgen.output.plan import shown

PROJECT = """\
[environments.prod.vars]
port = "8000"

[environments.stage.vars]
port = "9000"
"""

APP = """\
[container]
image = "example/app"
tag = "v1"
command = ["serve", "--port", "{{ vars.port }}"]
"""

# Runs the real entry point (what the `unitgen` console script calls), then records which
# modules it loaded, so a test can tell the fast path from the CLI.
THROUGH_ENTRY = RECORD_LOADED_MODULES + """\
try:
    from unitgen.entry import main
    main()
finally:
    record()
"""

# The same command through the click CLI alone: the long way, the reference.
THROUGH_CLI = """\
import sys
sys.argv = ["unitgen", *sys.argv[1:]]
from unitgen.cli import run
run()
"""


def run(script: str, args: tuple[str, ...], cwd: Path, **extra: str) -> tuple[tuple[str, str, int], list[str]]:
    modules = cwd / ".modules.json"
    environment = {**os.environ, "NO_COLOR": "1", "UNITGEN_TEST_MODULES": str(modules), **extra}
    proc = subprocess.run([sys.executable, "-c", script, *args], cwd=cwd, capture_output=True, text=True, env=environment, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    loaded = json.loads(modules.read_text()) if modules.exists() else []
    modules.unlink(missing_ok=True)
    return (proc.stdout, proc.stderr, proc.returncode), loaded


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Two environments, no warnings, compiled into out/ and remembered by the cache."""
    write_specs(tmp_path, {"unitgen.toml": PROJECT, "app.toml": APP})
    (printed, _) = run(THROUGH_CLI, ("compile", "-q"), tmp_path)
    assert printed[2] == 0, printed
    return tmp_path


# --- the grammar ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["check"], CheckArguments("specs", None, ())),
        (["check", "-q"], CheckArguments("specs", None, ())),
        (["check", "--quiet", "deploy/specs/"], CheckArguments("deploy/specs", None, ())),
        (["check", "./specs"], CheckArguments("specs", None, ())),
        (["check", "--env", "prod"], CheckArguments("specs", "prod", ())),
        (["check", "--env=prod", "specs", "-q"], CheckArguments("specs", "prod", ())),
        (["check", "--env", "prod", "--env", "stage"], CheckArguments("specs", "stage", ())),  # click: the last wins
        (["check", "--set", "a=1", "--set=b=2=3"], CheckArguments("specs", None, ("a=1", "b=2=3"))),
        (["check", "--set", "a="], CheckArguments("specs", None, ("a=",))),
    ],
)
def test_the_plain_forms_of_check_are_recognised(argv: list[str], expected: CheckArguments) -> None:
    assert parse_check(argv) == expected


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["compile"],
        ["--help"],
        ["--version"],
        ["diff"],
        ["check", "--help"],
        ["check", "-h"],
        ["check", "--no-cache"],
        ["check", "-qq"],
        ["check", "--quiet=1"],
        ["check", "--"],
        ["check", "a", "b"],  # a usage error: click says so
        ["check", "--env"],
        ["check", "--env", "-q"],
        ["check", "--set", "novalue"],
        ["check", "--set", "=1"],
        ["check", "--set"],
        ["check", "--frobnicate"],
        ["check", "-"],
    ],
)
def test_everything_else_is_left_to_click(argv: list[str]) -> None:
    assert parse_check(argv) is None


@given(st.lists(st.sampled_from(["/", "//", ".", "..", "a", "b.c", " ", "é"]), max_size=8).map("".join))
def test_specs_are_named_as_click_names_them_without_pathlib(word: str) -> None:
    assert as_path_string(word) == str(Path(word))


@pytest.mark.parametrize(
    ("out_dir", "cwd", "expected"),
    [("/work/p/out", "/work/p", "out"), ("/work/p/out", "/work/p/", "out"), ("/work/p", "/work/p", "."),
     ("/work/pout", "/work/p", "/work/pout"), ("/out", "/", "out"), ("/elsewhere/out", "/work", "/elsewhere/out")],
)
def test_the_output_directory_is_shown_relative_to_the_working_directory(
    out_dir: str, cwd: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "getcwd", lambda: cwd)
    assert shown(out_dir) == expected
    try:  # what it replaced: pathlib's relative_to
        reference = str(Path(out_dir).relative_to(cwd))
    except ValueError:
        reference = out_dir
    assert shown(out_dir) == reference


# --- the same answer as the CLI -------------------------------------------------------------

FORMS = [
    ("check",),
    ("check", "-q"),
    ("check", "specs/", "--quiet"),
    ("check", "--env", "prod"),
    ("check", "--env=stage", "-q"),
    ("check", "--set", "unused=1234"),  # a value no spec uses: out/ stays in sync
    ("check", "--env", "prod", "--set", "port=1", "--set", "port=8000"),  # the last --set wins
]


@pytest.mark.parametrize("args", FORMS, ids=" ".join)
def test_a_cached_check_prints_what_the_cli_prints_without_loading_it(project: Path, args: tuple[str, ...]) -> None:
    reference, _ = run(THROUGH_CLI, args, project)  # also fills the cache for these arguments
    assert reference[2] == 0, reference
    fast, loaded = run(THROUGH_ENTRY, args, project)
    assert fast == reference
    assert "click" not in loaded and "unitgen.cli" not in loaded and "attr" not in loaded


def test_an_out_of_date_directory_gets_the_cli_and_its_diff(project: Path) -> None:
    run(THROUGH_CLI, ("check",), project)
    unit = project / "out" / "prod" / "app.service"
    unit.write_text(unit.read_text().replace("8000", "8001"))
    reference, _ = run(THROUGH_CLI, ("check",), project)
    printed, loaded = run(THROUGH_ENTRY, ("check",), project)
    assert printed == reference
    assert printed[2] == 1 and "-ExecStart=" in printed[0]
    assert "unitgen.cli" in loaded


def test_an_edited_spec_gets_the_cli(project: Path) -> None:
    run(THROUGH_CLI, ("check",), project)
    (project / "specs" / "app.toml").write_text(APP.replace("v1", "v2"))
    printed, loaded = run(THROUGH_ENTRY, ("check", "-q"), project)
    assert printed[2] == 1 and "out/prod/app.service: stale" in printed[1]
    assert "unitgen.compile.compiler" in loaded


def test_warnings_are_left_to_the_cli_which_replays_them(tmp_path: Path) -> None:
    # A MachineMetadata value fleet would read as one value: a warning, not an error.
    write_specs(tmp_path, {"app.toml": SIMPLE_SPEC + '\n[fleet]\nmachine_metadata = { role = "a b" }\n'})
    compiled, _ = run(THROUGH_CLI, ("compile", "-q"), tmp_path)
    assert compiled[2] == 0 and "warning" in compiled[1], compiled
    reference, _ = run(THROUGH_CLI, ("check",), tmp_path)
    printed, loaded = run(THROUGH_ENTRY, ("check",), tmp_path)
    assert printed == reference and "warning" in printed[1]
    assert "unitgen.cli" in loaded


def test_shell_completion_is_always_clicks(project: Path) -> None:
    run(THROUGH_CLI, ("check",), project)
    completion = {"_UNITGEN_COMPLETE": "bash_complete", "COMP_WORDS": "unitgen check --e", "COMP_CWORD": "2"}
    (stdout, stderr, status), loaded = run(THROUGH_ENTRY, ("check",), project, **completion)
    assert status == 0
    assert "plain,--env" in stdout.splitlines() and "up to date" not in stderr
    assert "unitgen.cli" in loaded


def test_the_console_script_and_python_m_use_the_entry_point() -> None:
    import tomllib

    from helpers import REPO

    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"unitgen": "unitgen.entry:main"}
    assert "from unitgen.entry import main" in (REPO / "unitgen" / "__main__.py").read_text()


# --- compile without click ----------------------------------------------------------------

COMPILE_FORMS = [
    ("compile",),
    ("compile", "-q"),
    ("compile", "specs/", "--no-cache"),
    ("compile", "--env", "prod", "--set", "port=1"),
    ("compile", "--force", "--no-verify", "--env=stage"),
]


def twin_projects(tmp_path: Path, files: dict[str, str]) -> tuple[Path, Path]:
    """Two identical projects, one for each path, so that both start from the same out/."""
    return write_specs(tmp_path / "cli", files).parent, write_specs(tmp_path / "fast", files).parent


def test_compile_forms_are_recognised() -> None:
    from unitgen.entry import CompileArguments, parse_compile

    assert parse_compile(["compile"]) == CompileArguments("specs", None, ())
    assert parse_compile(["compile", "-q", "x/", "--force", "--no-cache", "--set", "a=1"]) == CompileArguments(
        "x", None, ("a=1",), quiet=True, force=True, no_cache=True
    )
    assert parse_compile(["compile", "--no-verify", "--env=prod"]) == CompileArguments("specs", "prod", ())
    for other in (["compile", "--verify"], ["compile", "-h"], ["compile", "--set", "novalue"], ["check"], ["compile", "a", "b"]):
        assert parse_compile(other) is None, other


@pytest.mark.parametrize("args", COMPILE_FORMS, ids=" ".join)
def test_compile_prints_what_the_cli_prints_without_loading_click(tmp_path: Path, args: tuple[str, ...]) -> None:
    through_cli, through_entry = twin_projects(tmp_path, {"unitgen.toml": PROJECT, "app.toml": APP})
    for _ in range(2):  # writing everything, then nothing: the second run is the cache's
        reference, _ = run(THROUGH_CLI, args, through_cli)
        fast, loaded = run(THROUGH_ENTRY, args, through_entry)
        assert fast == reference and reference[2] == 0, (fast, reference)
        assert "click" not in loaded and "unitgen.cli" not in loaded
        if "--no-cache" in args:  # nothing to look up or remember: the cache is not even loaded
            assert "unitgen.output.cache" not in loaded
    def units(project: Path) -> dict[str, str]:
        return {str(p.relative_to(project)): p.read_text() for p in (project / "out").rglob("*.service")}

    assert units(through_entry) == units(through_cli) != {}


@pytest.mark.parametrize(
    ("spec", "status"),
    [
        (SIMPLE_SPEC + '\n[fleet]\nmachine_metadata = { role = "a b" }\n', 0),  # a warning
        (SIMPLE_SPEC + "\nbogus = 1\n", 1),  # an error: nothing written
    ],
)
def test_compile_problems_are_printed_as_the_cli_prints_them(tmp_path: Path, spec: str, status: int) -> None:
    through_cli, through_entry = twin_projects(tmp_path, {"app.toml": spec})
    reference, _ = run(THROUGH_CLI, ("compile",), through_cli)
    fast, loaded = run(THROUGH_ENTRY, ("compile",), through_entry)
    assert fast == reference and reference[2] == status
    assert "unitgen.cli" not in loaded and "click" in loaded  # click colours diagnostics on a terminal


@pytest.mark.parametrize("args", [("compile", "no-such-dir"), ("compile", "--env", "qa"), ("compile", "specs/app.toml")], ids=" ".join)
def test_compile_usage_errors_are_explained_by_click(tmp_path: Path, args: tuple[str, ...]) -> None:
    through_cli, through_entry = twin_projects(tmp_path, {"unitgen.toml": PROJECT, "app.toml": APP})
    reference, _ = run(THROUGH_CLI, args, through_cli)
    fast, loaded = run(THROUGH_ENTRY, args, through_entry)
    assert fast == reference and reference[2] == 2, reference
    assert "unitgen.cli" in loaded
    assert not (through_entry / "out").exists()


def test_an_internal_error_on_the_fast_path_is_one_line_as_in_the_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from unitgen import compile_command
    from unitgen.entry import compiled_without_click

    def broken(*args: object, **options: object) -> None:
        raise KeyError("boom")

    monkeypatch.setattr(compile_command, "run_compile", broken)
    monkeypatch.delenv("UNITGEN_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exit_status:
        compiled_without_click(["compile"])
    assert exit_status.value.code == 3
    assert capsys.readouterr().err == "unitgen: internal error: KeyError: 'boom' (set UNITGEN_DEBUG=1 for details)\n"
    monkeypatch.setenv("UNITGEN_DEBUG", "1")
    with pytest.raises(KeyError):
        compiled_without_click(["compile"])


# --- the end of a fast path ---------------------------------------------------------------

EXIT_AT_ONCE = """\
import atexit, sys
from unitgen.entry import exit_at_once
atexit.register(lambda: print("teardown ran"))
print("answer", end="")  # still buffered: stdout is a pipe
sys.stderr.write("note")
exit_at_once()
print("not reached")
"""


def test_a_fast_path_ends_with_its_output_flushed_and_no_teardown() -> None:
    proc = subprocess.run([sys.executable, "-c", EXIT_AT_ONCE], capture_output=True, text=True, timeout=60)
    assert (proc.stdout, proc.stderr, proc.returncode) == ("answer", "note", 0)


def test_output_that_cannot_be_flushed_is_left_to_the_interpreter(monkeypatch: pytest.MonkeyPatch) -> None:
    from unitgen.entry import exit_at_once

    class ClosedPipe:
        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    exit_at_once()  # returns: the interpreter reports the pipe as it always does
