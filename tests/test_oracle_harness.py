"""The two argv oracles of systemd-syntax.md §11 work, proven on the 33 cases of §13.

Oracle A: ``support.verify_dump.verify_with_dump`` (parse time, the verify dump).
Oracle B: ``support.user_manager.UserManager`` (exec time, a throw-away ``systemd --user``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import require
from support.adversarial_cases import CASES, PROG, AdversarialCase
from support.user_manager import OracleError, UserManager, available, decode_dump
from support.verify_dump import DumpParseError, decode_command_line, verify_with_dump

from unitgen.systemd.analyze import Finding, find_systemd_analyze, verify_units

OPT_EXECUTABLES = sorted({c.executable for c in CASES if c.executable != PROG})


def _require_analyze() -> None:
    require(find_systemd_analyze(), "systemd-analyze is not installed")


@pytest.fixture(scope="module")
def user_manager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UserManager]:
    ok, why = available()
    require(ok, why)
    with UserManager(tmp_path_factory.mktemp("oracle"), tmpfs=("/opt",)) as um:
        for exe in OPT_EXECUTABLES:
            um.install_file(exe)
        yield um


# --------------------------------------------------------------------------- dump decoding


@pytest.mark.parametrize(
    ("text", "argv"),
    [
        (b"/bin/p a b", (b"/bin/p", b"a", b"b")),
        (b'/bin/p "" #x', (b"/bin/p", b"", b"#x")),
        (b'/bin/p "a\\$\\$b" "\\"\\\\\\`"', (b"/bin/p", b"a$$b", b'"\\`')),
        (b'/bin/p "\\a\\b\\f\\n\\r\\t\\v"', (b"/bin/p", b"\a\b\f\n\r\t\v")),
        (b'/bin/p "\\001\\033[0m\\177" "\\377\\376\\303"', (b"/bin/p", b"\x01\x1b[0m\x7f", b"\xff\xfe\xc3")),
        (b'/bin/p "h\xc3\xa9 \xe2\x9c\x93" ";"', (b"/bin/p", b"h\xc3\xa9 \xe2\x9c\x93", b";")),
        (b'/bin/p "it\'s" - @x :w', (b"/bin/p", b"it's", b"-", b"@x", b":w")),
    ],
)
def test_decode_command_line(text: bytes, argv: tuple[bytes, ...]) -> None:
    assert decode_command_line(text) == argv


@pytest.mark.parametrize("text", [b'/bin/p "open', b"/bin/p  two-spaces", b'/bin/p "\\q"', b"/bin/p trailing "])
def test_decode_command_line_rejects_unknown_format(text: bytes) -> None:
    with pytest.raises(DumpParseError):
        decode_command_line(text)


# --------------------------------------------------------------------------- oracle A


def test_verify_clean_bundle_with_stubs_and_template() -> None:
    _require_analyze()
    units = {
        "web.service": (
            "[Unit]\nDescription=web\nRequires=db.service var-lib-data.mount\nBindsTo=sock.socket\n"
            "After=network-online.target\n[Service]\nExecStartPre=-/usr/local/bin/pre\n"
            'ExecStart=@/opt/app/bin/web web-argv0 --port 80\nEnvironment="A=b c" X=1\n'
        ),
        "worker@.service": "[Service]\nExecStart=/usr/bin/worker %i\n",
        "tick.timer": "[Timer]\nOnCalendar=daily\nUnit=worker@x.service\n",
    }
    result = verify_with_dump(units)
    assert result.ok, result.raw_stderr
    assert result.command_lines["web.service"] == (("/usr/local/bin/pre",), ("web-argv0", "--port", "80"))
    assert result.commands["web.service"][0] == ("ExecStartPre", ("/usr/local/bin/pre",))
    assert result.command_lines["worker@.service"] == (("/usr/bin/worker", "i"),)
    assert result.environment["web.service"] == ("A=b c", "X=1")


def test_verify_findings_carry_unit_and_line() -> None:
    _require_analyze()
    units = {
        "web.service": "[Unit]\nDescription=web\n[Service]\nExecStart=/usr/bin/web\nRestart=sometimes\n",
        "t@.service": '[Service]\nExecStart=/usr/bin/t "unbalanced\n',
        "fine.service": "[Service]\nExecStart=/usr/bin/fine\n",
    }
    result = verify_units(units)
    assert result.returncode != 0
    problems = result.problems
    assert Finding("web.service", 5, "Failed to parse service restart specifier, ignoring: sometimes") in problems
    unbalanced = [f for f in problems if f.unit == "t@.service" and f.line == 2]
    assert unbalanced and unbalanced[0].message.startswith("Unbalanced quoting")
    assert any(f.unit == "t@.service" and f.line is None for f in problems)  # "...bad unit file setting"
    assert not any(f.unit == "fine.service" for f in problems)
    assert all(not f.message.startswith("/") for f in problems)


def test_verify_reports_missing_required_unit_only_when_not_stubbed() -> None:
    _require_analyze()
    unit = {"a.service": "[Unit]\nRequires=b.service\n[Service]\nExecStart=/usr/bin/a\n"}
    assert verify_units(unit).ok
    # An instance of a given template satisfies the dependency without a stub.
    units = {
        **unit,
        "b.service": "[Unit]\nRequires=c@x.service\n[Service]\nExecStart=/usr/bin/b\n",
        "c@.service": "[Service]\nExecStart=/usr/bin/c %i\n",
    }
    assert verify_units(units).ok


def test_oracle_a_adversarial_cases() -> None:
    """One bundle with all 33 cases: each dump argv is the input with `$` doubled (not for
    `:`), and systemd printed nothing but noise."""
    _require_analyze()
    units = {c.unit_name: f"[Service]\nType=oneshot\n{c.expected_line}\n" for c in CASES}
    result = verify_with_dump(units)
    assert result.returncode == 0, result.raw_stderr
    assert result.problems == (), [f.format() for f in result.problems]
    for case in CASES:
        got = result.command_lines.get(case.unit_name)
        want = (tuple(a.decode("utf-8", "surrogateescape") for a in case.parse_time_argv()),)
        assert got == want, f"#{case.number} {case.name}"


# --------------------------------------------------------------------------- oracle B


def _runtime_exec_value(case: AdversarialCase, um: UserManager) -> tuple[str, bytes]:
    """The case's ExecStart= value and its argv[0], with /usr/bin/prog replaced by the dumper
    (a bare-safe path, so the encoding of the line is unchanged); /opt paths are real copies."""
    value = case.exec_value
    prefix = ":" if case.no_env_expand else ""
    if case.executable == PROG:
        assert value.startswith(prefix + "/usr/bin/prog")
        return prefix + um.dumper_path + value[len(prefix + "/usr/bin/prog") :], um.dumper_path.encode()
    return value, case.executable


def test_oracle_b_adversarial_cases(user_manager: UserManager) -> None:
    """All 33 cases run for real; the dumper's argv is byte-exact the input."""
    values, argv0s = zip(*(_runtime_exec_value(c, user_manager) for c in CASES), strict=True)
    started = time.monotonic()
    argvs = user_manager.run_execs(list(values))
    elapsed = time.monotonic() - started
    for case, argv0, argv in zip(CASES, argv0s, argvs, strict=True):
        assert argv == [argv0, *case.args], f"#{case.number} {case.name}"
    assert elapsed < 15


def test_user_manager_run_argv_and_unit_control(user_manager: UserManager) -> None:
    um = user_manager
    dumper = um.dumper_path.encode()
    assert um.run_argv('"two words" $$HOME "${X}"', service_lines=["Environment=X=ex"]) == [
        dumper,
        b"two words",
        b"$HOME",
        b"ex",
    ]
    assert um.run_argv("$$HOME", flags_prefix=":") == [dumper, b"$$HOME"]
    assert um.run_argv("") == [dumper]

    um.install("keep.service", um.oneshot_unit(f"-:{um.dumper_path} x", service_lines=["RemainAfterExit=yes"]))
    assert not um.is_active("keep.service")
    um.start("keep.service")
    assert um.is_active("keep.service")
    assert decode_dump(um.output_path("keep.service").read_bytes()) == [dumper, b"x"]
    assert "flags=ignore-failure no-env-expand" in um.show("keep.service", "ExecStartEx")
    um.stop("keep.service")
    assert not um.is_active("keep.service")


def test_user_manager_reports_unit_that_does_not_run(user_manager: UserManager) -> None:
    with pytest.raises(OracleError, match="no argv from"):
        user_manager.run_exec(f'{user_manager.dumper_path} "unbalanced')


def test_available_gives_a_reason() -> None:
    ok, why = available()
    assert isinstance(ok, bool) and isinstance(why, str)
    assert ok or why


def test_user_manager_rejects_unsafe_state_dir(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        UserManager(tmp_path / "has space")
