"""systemd 252 scalar grammars (systemd-syntax.md §4, §6, §9)."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import require_tool
from unitgen.systemd import directives
from unitgen.systemd.values import (
    SPECIFIERS_FULL,
    SPECIFIERS_INSTALL,
    SPECIFIERS_UNIT_NAME,
    USEC_INFINITY,
    env_name_is_valid,
    parse_boolean,
    parse_sec,
    specifier_positions,
    timespan_problem,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1", True),
        ("YES", True),
        ("y", True),
        ("On", True),
        ("t", True),
        ("0", False),
        ("no", False),
        ("N", False),
        ("off", False),
        ("f", False),
    ],
)
def test_parse_boolean(text: str, value: bool) -> None:
    assert parse_boolean(text) is value


@pytest.mark.parametrize("text", ["", "2", "enabled", "yess", " yes"])
def test_parse_boolean_rejects(text: str) -> None:
    assert parse_boolean(text) is None


@pytest.mark.parametrize(
    ("text", "usec"),
    [
        ("0", 0),
        ("infinity", USEC_INFINITY),
        ("5min 20s", 320_000_000),
        ("5min20s", 320_000_000),
        ("1.5h", 5_400_000_000),
        ("2 h", 7_200_000_000),
        ("90", 90_000_000),
        (" 10s ", 10_000_000),
        ("20sec", 20_000_000),
        ("2hr", 7_200_000_000),
        ("1y 2M", 36_817_200_000_000),
        ("5ms", 5000),
        (".5s", 500_000),
        ("+5", 5_000_000),
        ("1µs", 1),
        ("2μs", 2),
        ("5 10", 15_000_000),
    ],
)
def test_timespan_valid(text: str, usec: int) -> None:
    assert timespan_problem(text) is None
    assert parse_sec(text) == (None, usec)


@pytest.mark.parametrize(
    "text",
    [
        "-1",
        "1.5.2",
        "3.",
        "1e3",
        "0x10",
        "infinity 5s",
        "",
        "5 minutes and",
        "1Min",
        "5S",
        "3.sec",
        "9223372036854775808",
        "584542y",
        "1mo",
    ],
)
def test_timespan_invalid(text: str) -> None:
    assert timespan_problem(text) is not None
    assert parse_sec(text)[0] is not None


_TIMESPAN_ALPHABET = st.sampled_from(
    list("0123456789 .+-") + ["s", "min", "ms", "h", "d", "w", "M", "y", "us", "sec", "infinity", "x", "m"]
)


@settings(max_examples=120, deadline=None)
@given(st.lists(_TIMESPAN_ALPHABET, max_size=6).map("".join))
def test_timespan_matches_systemd_analyze(text: str) -> None:
    tool = require_tool("systemd-analyze")
    result = subprocess.run([tool, "timespan", "--", text], capture_output=True, text=True)
    assert (result.returncode == 0) == (timespan_problem(text) is None), (text, result.stderr)
    if result.returncode == 0:
        usec = next(line.split(":", 1)[1].strip() for line in result.stdout.splitlines() if "μs:" in line)
        assert str(parse_sec(text)[1]) == usec


def test_env_names() -> None:
    assert env_name_is_valid("PATH") and env_name_is_valid("_x1")
    assert not env_name_is_valid("1BAD") and not env_name_is_valid("BAD-NAME") and not env_name_is_valid("")


def test_specifier_tables() -> None:
    assert "q" in SPECIFIERS_UNIT_NAME and "h" not in SPECIFIERS_UNIT_NAME and "h" in SPECIFIERS_FULL
    assert SPECIFIERS_INSTALL == SPECIFIERS_UNIT_NAME
    assert not set("ekxzDFKOQXZ0123456789") & SPECIFIERS_FULL


def test_specifier_positions() -> None:
    assert specifier_positions("50%- %/ % trailing%", SPECIFIERS_FULL) == []
    assert specifier_positions("%%z %n %i", SPECIFIERS_UNIT_NAME) == []
    assert specifier_positions("%z", SPECIFIERS_FULL) == [(0, "z")]
    assert specifier_positions("%h", SPECIFIERS_UNIT_NAME) == [(0, "h")]
    assert specifier_positions("%%%z", SPECIFIERS_FULL) == [(2, "z")]


def test_every_directive_systemd_knows_has_a_kind() -> None:
    for section, keys in directives.KNOWN.items():
        for key in keys:
            found = directives.kind(section, key)
            assert isinstance(found, directives.Kind)
            if key in directives.EXEC_KEYS:
                assert found.type is directives.ValueType.EXEC
    assert directives.kind("Service", "NoSuchKey").type is directives.ValueType.RAW
    assert directives.kind("Unit", "ExecStart").type is directives.ValueType.RAW  # not in [Unit]
