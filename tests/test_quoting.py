"""The quoting module, against the rules of systemd-syntax.md and against systemd itself.

Unit tests pin each rule; the oracle tests feed the encoder's output to systemd 252
(parse time: the verify dump; exec time: a throw-away ``systemd --user``) and decode what
systemd saw, byte for byte.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from conftest import require
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.adversarial_cases import CASES, PROG, AdversarialCase
from support.user_manager import UserManager, available
from support.verify_dump import verify_with_dump

from unitgen.systemd import quoting
from unitgen.systemd.analyze import find_systemd_analyze
from unitgen.systemd.quoting import QuotingError, Raw


def as_text(data: bytes) -> str:
    return os.fsdecode(data)


def encode_case(case: AdversarialCase) -> str:
    words = quoting.exec_command(
        as_text(case.executable), [as_text(a) for a in case.args], expand_env=not case.no_env_expand
    )
    return "ExecStart=" + " ".join(words)


# --- the 33 cases, as text ---------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.number}-{c.name}")
def test_adversarial_case_encodes_to_the_reference_line(case: AdversarialCase) -> None:
    assert encode_case(case) == case.expected_line


# --- rules, one by one -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("arg", "word"),
    [
        ("plain", "plain"),
        ("a-b_c./:=,+@", "a-b_c./:=,+@"),
        ("", '""'),
        ("%i", "%%i"),
        ("$X", "$$X"),
        ("a b", '"a b"'),
        ("\x0b\x0c", '"\\v\\f"'),
        ("\x1c\x1d\x1e", '"\\x1c\\x1d\\x1e"'),
        ("\u2028\x85", '"\\xe2\\x80\\xa8\\xc2\\x85"'),  # Python's splitlines() breaks there
        ("[Service]", '"[Service]"'),
        ("x\nExecStart=/bin/evil", '"x\\nExecStart=/bin/evil"'),
        ("tail\\", '"tail\\\\"'),
        ("\udcff", '"\\xff"'),
    ],
)
def test_exec_word(arg: str, word: str) -> None:
    assert quoting.exec_word(arg) == word


def test_exec_word_keeps_requested_specifiers_and_variables() -> None:
    assert quoting.exec_word(("web-", Raw("%i"))) == "web-%i"
    assert quoting.exec_word(("app:", Raw("${V}", is_variable=True))) == '"app:${V}"'
    assert quoting.exec_word(("100%-", Raw("%i"))) == "100%%-%i"


@pytest.mark.parametrize(
    "executable",
    ["docker", "bin/docker", "/usr/bin/", '/opt/a"b', "/opt/a'b", "/opt/a\\b", "/opt/a\nb", "/opt/$x", "/opt/\x7f"],
)
def test_executable_refusals(executable: str) -> None:
    with pytest.raises(QuotingError):
        quoting.exec_executable(executable)


def test_nul_is_refused_everywhere() -> None:
    for encode in (
        quoting.exec_word,
        lambda v: quoting.environment_assignment("A", v),
        lambda v: quoting.plain_value(v, "Description"),
        lambda v: quoting.fleet_value(v, "MachineOf"),
    ):
        with pytest.raises(QuotingError, match="NUL"):
            encode("a\x00b")


@pytest.mark.parametrize(
    ("name", "value", "word"),
    [
        ("A", "plain", '"A=plain"'),
        ("A", "two words", '"A=two words"'),
        ("A", "$HOME ${X} $$", '"A=$HOME ${X} $$"'),  # Environment= never expands $
        ("A", "50%", '"A=50%%"'),
        ("A", 'q"b\\', '"A=q\\"b\\\\"'),
        ("A", "l1\nl2\t", '"A=l1\\nl2\\t"'),
    ],
)
def test_environment_assignment(name: str, value: str, word: str) -> None:
    assert quoting.environment_assignment(name, value) == word


@pytest.mark.parametrize("name", ["1BAD", "BAD-NAME", "", "A B"])
def test_environment_names_are_checked(name: str) -> None:
    with pytest.raises(QuotingError):
        quoting.environment_assignment(name, "x")


def test_environment_refuses_runtime_variables() -> None:
    with pytest.raises(QuotingError, match="does not expand"):
        quoting.environment_assignment("A", (Raw("${X}", is_variable=True),))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("tab\there", "control"),
        ("line\u2028separator", "control"),
        ("new\nline", "control"),
        ("c1\x85", "control"),
        ("ends with \\", "backslash"),
        (" padded", "blanks"),
    ],
)
def test_description_refusals(text: str, problem: str) -> None:
    with pytest.raises(QuotingError, match=problem):
        quoting.description_words(text)


def test_description_escapes_percent_and_keeps_the_rest_literal() -> None:
    assert quoting.description_words('50% of "$x" \\n [Unit]') == ("50%%", "of", '"$x"', "\\n", "[Unit]")


@pytest.mark.parametrize("text", ["%i-web", "a%nb", "x\ny", '"q"', " x", "x\\"])
def test_fleet_value_refusals(text: str) -> None:
    with pytest.raises(QuotingError):
        quoting.fleet_value(text, "MachineOf")


def test_fleet_value_allows_fleet_specifiers_only() -> None:
    assert quoting.fleet_value(("web@", Raw("%i"), ".service"), "MachineOf") == "web@%i.service"
    with pytest.raises(QuotingError, match="only %n"):
        quoting.fleet_value((Raw("%H"),), "MachineOf")


def test_literal_pieces_and_specifiers_are_joined() -> None:
    assert quoting.fleet_value(("role=", "web-", Raw("%i")), "MachineMetadata") == "role=web-%i"
    assert quoting.exec_word(("a", Raw("%i"), "b")) == "a%ib"
    assert quoting.plain_value(("50%", Raw("%n")), "Description") == "50%%%n"


# --- systemd's own view ---------------------------------------------------------------

ARGUMENT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40)
ARGV = st.lists(ARGUMENT, min_size=0, max_size=6)


def _unit(words: tuple[str, ...]) -> str:
    return "[Service]\nType=oneshot\nExecStart=" + " ".join(words) + "\n"


def _require_analyze() -> None:
    require(find_systemd_analyze(), "systemd-analyze is not installed")


def test_oracle_a_reads_every_case_as_given() -> None:
    _require_analyze()
    units = {case.unit_name: _unit(tuple(encode_case(case).removeprefix("ExecStart=").split(" ", 0))) for case in CASES}
    result = verify_with_dump(units)
    assert result.problems == (), [f.format() for f in result.problems]
    for case in CASES:
        seen = tuple(os.fsencode(w) for w in result.command_lines[case.unit_name][0])
        assert seen == case.parse_time_argv(), case.name


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ARGV, min_size=1, max_size=8))
def test_oracle_a_hypothesis_argv_round_trip(batch: list[list[str]]) -> None:
    _require_analyze()
    units = {f"h{i}.service": _unit(quoting.exec_command("/usr/bin/prog", argv)) for i, argv in enumerate(batch)}
    result = verify_with_dump(units)
    assert result.problems == (), [f.format() for f in result.problems]
    for i, argv in enumerate(batch):
        expected = ("/usr/bin/prog", *(a.replace("$", "$$") for a in argv))
        assert result.command_lines[f"h{i}.service"][0] == expected


@pytest.fixture(scope="module")
def user_manager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UserManager]:
    ok, why = available()
    require(ok, why)
    with UserManager(tmp_path_factory.mktemp("quoting"), tmpfs=("/opt",)) as manager:
        for case in CASES:
            if case.executable != PROG:
                manager.install_file(case.executable)
        yield manager


def test_oracle_b_executes_every_case_byte_exact(user_manager: UserManager) -> None:
    values = []
    for case in CASES:
        executable = user_manager.dumper_path if case.executable == PROG else as_text(case.executable)
        words = quoting.exec_command(executable, [as_text(a) for a in case.args], expand_env=not case.no_env_expand)
        values.append(" ".join(words))
    results = user_manager.run_execs(values)
    for case, argv in zip(CASES, results, strict=True):
        expected_argv0 = os.fsencode(user_manager.dumper_path) if case.executable == PROG else case.executable
        assert argv == [expected_argv0, *case.args], case.name


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(st.lists(ARGV, min_size=1, max_size=10))
def test_oracle_b_hypothesis_argv_executes_byte_exact(user_manager: UserManager, batch: list[list[str]]) -> None:
    values = [" ".join(quoting.exec_command(user_manager.dumper_path, argv)) for argv in batch]
    results = user_manager.run_execs(values)
    for argv, seen in zip(batch, results, strict=True):
        assert seen == [os.fsencode(user_manager.dumper_path), *(os.fsencode(a) for a in argv)]


# --- noncharacters: valid Python text that systemd does not call UTF-8 clean ---------------

NONCHARACTERS = ["\ufdd0", "\ufdef", "\ufffe", "\uffff", "\U0001fffe", "\U0010ffff"]


def test_noncharacters_in_an_argument_reach_the_command_byte_exact() -> None:
    _require_analyze()
    argv = [f"a{char}b" for char in NONCHARACTERS]
    result = verify_with_dump({"n.service": _unit(quoting.exec_command("/usr/bin/prog", argv))})
    assert result.problems == (), [f.format() for f in result.problems]
    assert result.command_lines["n.service"][0] == ("/usr/bin/prog", *argv)


@pytest.mark.parametrize("char", NONCHARACTERS)
def test_a_noncharacter_in_an_environment_value_is_refused_as_systemd_refuses_it(char: str) -> None:
    with pytest.raises(QuotingError, match="noncharacters"):
        quoting.environment_assignment("A", f"x{char}")
    _require_analyze()
    escaped = "".join(f"\\x{byte:02x}" for byte in char.encode())
    unit = f'[Service]\nEnvironment="A=x{escaped}"\nExecStart=/usr/bin/prog\n'
    assert "Invalid environment assignment" in " ".join(
        f.message for f in verify_with_dump({"e.service": unit}).problems
    )


@pytest.mark.parametrize("char", NONCHARACTERS)
def test_a_noncharacter_in_a_raw_value_is_refused(char: str) -> None:
    with pytest.raises(QuotingError, match="noncharacters"):
        quoting.plain_value(f"web{char}", "Description")


def test_ascii_text_is_escaped_exactly_as_the_general_rule_escapes_it() -> None:
    from unitgen.systemd import quoting

    for code in range(128):
        text = f"a{chr(code)}b"
        assert quoting._c_escape(text) == quoting._NEEDS_C_ESCAPE.sub(quoting._c_escape_char, text), code
