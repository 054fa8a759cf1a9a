"""unitgen lint: one minimal unit per rule, exact code + line + column; never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unitgen.codes import LINT_CODES as CODES
from unitgen.diagnostics import Severity
from unitgen.lint import lint_paths, lint_text
from unitgen.secretscan import secret_problem

SERVICE = "[Service]\nExecStart=/usr/bin/true\n"


def found(text: str | bytes, name: str = "app.service") -> list[tuple[str, int | None, int | None]]:
    data = text.encode() if isinstance(text, str) else text
    return [(d.code, d.location.line, d.location.column) for d in lint_text(data, name) if d.location]


CASES = [
    # (id, unit text, file name, exact findings)
    ("clean", "[Unit]\nDescription=x\n\n" + SERVICE + "\n[X-Fleet]\nGlobal=true\n", "app.service", []),
    ("L101 header without ]", "[Unit] x\n" + SERVICE, "app.service", [("L101", 1, 1)]),
    ("L102 section of another type", "[Socket]\nListenStream=80\n" + SERVICE, "app.service", [("L102", 1, 1)]),
    ("L103 before any section", "Description=x\n" + SERVICE, "app.service", [("L103", 1, 1)]),
    ("L104 no =", SERVICE + "foo\n", "app.service", [("L104", 3, 1)]),
    ("L104 no key", SERVICE + "=foo\n", "app.service", [("L104", 3, 1)]),
    ("L105 2048 bytes", SERVICE + "Environment=A=" + "x" * 2034 + "\n", "app.service", [("L105", 3, 2048)]),
    ("L105 2047 bytes pass", SERVICE + "Environment=A=" + "x" * 2033 + "\n", "app.service", []),
    ("L106 1 MiB", SERVICE + "Environment=A=" + "x" * (1 << 20) + "\n", "app.service", [("L106", 3, 1)]),
    ("L107 invalid UTF-8", b"[Unit]\nDescription=a\xffb\n" + SERVICE.encode(), "app.service", [("L107", 2, 14)]),
    ("L107 in the executable", b"[Service]\nExecStart=\x80/x\n", "app.service", [("L107", 2, 11), ("L303", 2, 11)]),
    ("L108 NUL", b"[Service]\nExecStart=/usr/bin/true\x00\n", "app.service", [("L108", 2, 24)]),
    ("L108 lone CR", "[Unit]\nDescription=a\rb\n" + SERVICE, "app.service", [("L108", 2, 14), ("L104", 2, 15)]),
    ("L109 ESC", "[Unit]\nDescription=a\x1bb\n" + SERVICE, "app.service", [("L109", 2, 14)]),
    ("L110 fleet parser fails", SERVICE + "[X-Fleet]\nGlobal\n", "app.service", [("L110", 4, 1)]),
    ("L111 comment ending in backslash", "# note \\\n" + SERVICE, "app.service", [("L111", 1, 1)]),
    (
        "L111 even backslashes",
        "[Service]\nExecStart=/usr/bin/echo a\\\\\nRestart=no\n",
        "app.service",
        [("L111", 2, 26)],
    ),
    (
        "L111 comment in continuation",
        "[Service]\nExecStart=/usr/bin/echo a \\\n# comment\n  b\n",
        "app.service",
        [("L111", 3, 1), ("L110", 4, 1)],
    ),
    (
        "L111 CRLF continuation",
        b"[Service]\r\nExecStart=/usr/bin/echo a \\\r\n  b\r\n",
        "app.service",
        [("L111", 2, 27), ("L110", 3, 1)],
    ),
    ("backslash at end of file is harmless", "[Service]\nExecStart=/usr/bin/echo a \\", "app.service", []),
    (
        "L112 blank line ends continuation",
        "[Service]\nExecStart=/usr/bin/echo a \\\n\n",
        "app.service",
        [("L112", 3, 1)],
    ),
    (
        "L113 backslash eats the header",
        "[Unit]\nDescription=foo\\\n[Service]\nExecStart=/usr/bin/true\n",
        "app.service",
        [("L212", 1, 1), ("L113", 3, 1), ("L201", 4, 1)],
    ),
    ("L201 misplaced key", "[Unit]\nStandardOutput=null\n" + SERVICE, "app.service", [("L201", 2, 1)]),
    ("L201 typo", SERVICE + "Restrt=always\n", "app.service", [("L201", 3, 1)]),
    ("L202 removed", SERVICE + "Capabilities=x\n", "app.service", [("L202", 3, 1)]),
    ("L203 KillMode=none", SERVICE + "KillMode=none\n", "app.service", [("L203", 3, 10)]),
    ("L203 CPUShares", SERVICE + "CPUShares=5\n", "app.service", [("L203", 3, 1)]),
    ("L204 boolean", SERVICE + "RemainAfterExit=maybe\n", "app.service", [("L204", 3, 17)]),
    ("L205 time span", SERVICE + "TimeoutStartSec=1Min\n", "app.service", [("L205", 3, 17)]),
    ("L205 good time span", SERVICE + "TimeoutStartSec=5 minutes\n", "app.service", []),
    ("L206 enum", SERVICE + "Restart=alwayz\n", "app.service", [("L206", 3, 9)]),
    ("L206 output", SERVICE + "StandardOutput=data\n", "app.service", [("L206", 3, 16)]),
    ("L207 quoted dependency", '[Unit]\nAfter="docker.service"\n' + SERVICE, "app.service", [("L207", 2, 7)]),
    ("L208 %h in After=", "[Unit]\nAfter=%h.service\n" + SERVICE, "app.service", [("L208", 2, 7)]),
    ("L208 %z in Exec", "[Service]\nExecStart=/usr/bin/echo 100%z\n", "app.service", [("L208", 2, 28)]),
    ("L208 %% is fine", "[Service]\nExecStart=/usr/bin/echo 100%%z %n\n", "app.service", []),
    ("L209 invalid words", SERVICE + "Environment=A=x y 1B=2\n", "app.service", [("L209", 3, 17), ("L209", 3, 19)]),
    ("L209 invalid escape", SERVICE + "Environment=A=\\q B=2\n", "app.service", [("L209", 3, 15)]),
    ("L210 relative env file", SERVICE + "EnvironmentFile=etc/env\n", "app.service", [("L210", 3, 17)]),
    ("L210 optional absolute", SERVICE + "EnvironmentFile=-/etc/env\n", "app.service", []),
    ("L212 no ExecStart", "[Service]\nType=simple\n", "app.service", [("L212", 1, 1)]),
    ("L213 two commands", "[Service]\nExecStart=/usr/bin/true ; /usr/bin/false\n", "app.service", [("L213", 2, 1)]),
    ("L213 oneshot may", "[Service]\nType=oneshot\nExecStart=/usr/bin/true ; /usr/bin/false\n", "app.service", []),
    ("L301 unbalanced", '[Service]\nExecStart=/bin/sh -c "echo\n', "app.service", [("L301", 2, 22)]),
    ("L302 unknown escape", "[Service]\nExecStart=/usr/bin/echo a\\qb\n", "app.service", [("L302", 2, 26)]),
    ("L302 \\; is a literal ;", "[Service]\nExecStart=/usr/bin/find . -exec ls {} \\;\n", "app.service", []),
    ("L303 relative path", "[Service]\nExecStart=bin/true\n", "app.service", [("L303", 2, 11)]),
    ("L303 directory", "[Service]\nExecStart=-/usr/bin/\n", "app.service", [("L303", 2, 11)]),
    ("L303 quote in path", "[Service]\nExecStart=/usr/bin/a\\x22b\n", "app.service", [("L303", 2, 11)]),
    ("L304 glued ;", "[Service]\nExecStart=/usr/bin/echo a; /usr/bin/true\n", "app.service", [("L304", 2, 26)]),
    ("L305 pipe", "[Service]\nExecStart=/usr/bin/echo a | grep b\n", "app.service", [("L305", 2, 27)]),
    (
        "L305 redirection",
        "[Service]\nExecStart=/usr/bin/etcdctl ls >/dev/null 2>&1\n",
        "app.service",
        [("L305", 2, 31)],
    ),
    ("L305 $(...)", "[Service]\nExecStart=/usr/bin/docker run -e X=1 $(hostname)\n", "app.service", [("L305", 2, 38)]),
    ("L305 fine in sh -c", "[Service]\nExecStart=/bin/sh -c 'a | b > /dev/null && echo $(date)'\n", "app.service", []),
    ("L401", SERVICE + "[X-Fleet]\nGlobal=true\nMachineOf=db.service\n", "app.service", [("L401", 5, 1)]),
    (
        "L402",
        SERVICE + "[X-Fleet]\nMachineOf=db@%i.service\nConflicts=db@*.service\n",
        "app@1.service",
        [("L402", 4, 1)],
    ),
    ("L403", SERVICE + "[X-Fleet]\nMachineOf=old.service\nReplaces=old*\n", "app.service", [("L403", 4, 1)]),
    ("L404", SERVICE + "[X-Fleet]\nMachineId=0123abcd\n", "app.service", [("L404", 4, 1)]),
    ("L405", SERVICE + "[X-fleet]\nGlobal=true\n", "app.service", [("L405", 3, 1)]),
    ("L406", SERVICE + "[X-Fleet]\nMachineMetadata=a=1 b=2\n", "app.service", [("L406", 4, 1)]),
    ("L407", SERVICE + "[X-Fleet]\nReplaces=a.service b.service\n", "app.service", [("L407", 4, 1)]),
    ("L408", SERVICE + "[X-Fleet]\nMachineOf=a.service b.service\n", "app.service", [("L408", 4, 1)]),
    ("L409", SERVICE + "[X-Fleet]\nMachineMetadata=host=%H\n", "app.service", [("L409", 4, 1)]),
    ("L410", SERVICE + "[X-Fleet]\nGlobal=y\n", "app.service", [("L410", 4, 1)]),
    ("L411", SERVICE + "[X-Fleet]\nMachineOf=%p.socket\nConflicts=app*\n", "app.service", [("L411", 4, 1)]),
    ("L411 self", SERVICE + "[X-Fleet]\nMachineOf=%n\n", "app@.service", [("L411", 4, 1)]),
    ("L412", SERVICE + "[X-Fleet]\nConflicts=[x\n", "app.service", [("L412", 4, 1)]),
    ("L413", SERVICE + "[X-Fleet]\nX-ConditionMachineOf=db.service\n", "app.service", [("L413", 4, 1)]),
    ("L414", SERVICE + "[X-Fleet]\nMachineID=CHANGEME\n", "app.service", [("L414", 4, 1)]),
    ("L501 Environment", SERVICE + "Environment=DB_PASSWORD=hunter2\n", "app.service", [("L501", 3, 13)]),
    (
        "L501 docker -e",
        "[Service]\nExecStart=/usr/bin/docker run -e MYSQL_ROOT_PASSWORD=secret img\n",
        "app.service",
        [("L501", 2, 34)],
    ),
    ("L501 fetched at run time", "[Service]\nExecStart=/bin/sh -c 'TOKEN=$(etcdctl get /t) app'\n", "app.service", []),
    ("L502", "[Service]\nExecStart=/usr/bin/app --db postgres://me:pw@db/x\n", "app.service", [("L502", 2, 29)]),
    ("L503", SERVICE + "Environment=AWS=AKIAABCDEFGHIJKLMNOP\n", "app.service", [("L503", 3, 17)]),
]


@pytest.mark.parametrize(("text", "name", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(text: str | bytes, name: str, expected: list[tuple[str, int, int]]) -> None:
    assert found(text, name) == expected


@pytest.mark.parametrize(
    ("name", "code"), [("has space.service", "L211"), ("app@.mount", "L415"), ("app.target", "L416")]
)
def test_file_name_rules(name: str, code: str) -> None:
    body = "[Unit]\nDescription=x\n" + (SERVICE if name.endswith(".service") else "")
    codes = [d.code for d in lint_text(body.encode(), name)]
    assert code in codes


def test_every_code_is_exercised_and_documented() -> None:
    tested = {code for c in CASES for code, _, _ in c[3]} | {"L211", "L415", "L416", "L100"}
    assert set(CODES) == tested
    assert all(c.meaning and c.code.startswith("L") for c in CODES.values())


def test_format_and_json(tmp_path: Path) -> None:
    unit = tmp_path / "app.service"
    unit.write_text(SERVICE + "Restart=alwayz\n")
    findings, read = lint_paths([str(tmp_path)])
    assert read == [str(unit)]
    assert findings[0].format().startswith(f"{unit}:3:9: L206 error Restart=alwayz")
    assert json.loads(json.dumps(findings[0].to_json()))["code"] == "L206"


def test_select_ignore_strict(tmp_path: Path) -> None:
    unit = tmp_path / "app.service"
    unit.write_text(SERVICE + "Restart=alwayz\n[X-Fleet]\nGlobal=y\n")
    assert [d.code for d in lint_paths([str(unit)])[0]] == ["L206", "L410"]
    assert [d.code for d in lint_paths([str(unit)], select=["L4"])[0]] == ["L410"]
    assert [d.code for d in lint_paths([str(unit)], ignore=["L2"])[0]] == ["L410"]
    strict = lint_paths([str(unit)], strict=True)[0]
    assert all(d.severity is Severity.ERROR for d in strict)


def test_directories_are_walked_for_units(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.timer").write_text("[Timer]\nOnBootSec=5min\n")
    (tmp_path / "a.service").write_text(SERVICE)
    (tmp_path / "notes.txt").write_text("not a unit")
    _, read = lint_paths([str(tmp_path)])
    assert read == [str(tmp_path / "a.service"), str(tmp_path / "b" / "x.timer")]


def test_unreadable_file(tmp_path: Path) -> None:
    findings, read = lint_paths([str(tmp_path / "missing.service")])
    assert [d.code for d in findings] == ["L100"] and read == []


def test_secret_problem_api() -> None:
    assert secret_problem("MYSQL_ROOT_PASSWORD", "toy") is not None
    assert secret_problem("MYSQL_ROOT_PASSWORD", "${PW}") is None
    assert secret_problem("PASSWORD_FILE", "/run/secrets/pw") is None
    assert secret_problem(None, "https://user:pw@example.com/") is not None
    assert secret_problem(None, "AKIAABCDEFGHIJKLMNOP") is not None
    assert secret_problem("COLOR", "blue") is None


# ---- hostile input: lint never raises ----------------------------------------------

_VALID_UNITS = [
    b"[Unit]\nDescription=web %i\nAfter=docker.service\n\n[Service]\nExecStartPre=-/usr/bin/docker rm -f web\n"
    b'ExecStart=/usr/bin/docker run --name web -e "A=b c" nginx\nExecStop=/usr/bin/docker stop web\n'
    b'Environment="X=1" \'Y=2\'\n\n[X-Fleet]\nConflicts=web@*.service\nMachineMetadata="role=web" "disk=ssd"\n',
    b'[Unit]\nDescription=long\n[Service]\nExecStart=/bin/sh -c "while true; do \\\n  echo hi; \\\n  sleep 1; done"\n'
    b"[Install]\nWantedBy=multi-user.target\n",
    b"[Timer]\nOnBootSec=5min\nUnit=app.service\n",
]
_HOSTILE = st.one_of(
    st.sampled_from(
        [
            b"\x00",
            b"\r",
            b"\r\n",
            b"\\",
            b"\\\\",
            b"\\\n",
            b"\n\n",
            b"[",
            b"]",
            b"[Service]",
            b"[X-fleet]\n",
            b"=",
            b'"',
            b"'",
            b"%",
            b"%z",
            b"\x7f",
            b"\x1b[31m",
            b"$(",
            b";",
            b" ; ",
            b"\xff",
            b"\xc3",
            b"\xef\xbb\xbf",
            b"#\\\n",
            b"x" * 3000,
            b"\t",
        ]
    ),
    st.binary(min_size=1, max_size=8),
    st.integers(0, 31).map(lambda c: bytes([c])),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    for diagnostic in lint_text(data, "fuzz.service"):
        assert diagnostic.code in CODES


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(_VALID_UNITS),
    st.lists(st.tuples(st.floats(0, 1), _HOSTILE), min_size=1, max_size=6),
    st.sampled_from(["app.service", "app@.service", "app@1.service", "x.timer", "bad name", "@.mount", ""]),
)
def test_mutated_units_never_raise(unit: bytes, mutations: list[tuple[float, bytes]], name: str) -> None:
    for where, insert in mutations:
        at = int(where * len(unit))
        unit = unit[:at] + insert + unit[at:]
    for diagnostic in lint_text(unit, name):
        assert diagnostic.code in CODES
        text = diagnostic.format()[len(name) :]  # the path is the caller's
        text.encode("utf-8")  # no lone surrogates from invalid input bytes
        assert not any(ord(c) < 32 or ord(c) == 127 for c in text), text


_TOKENS = st.sampled_from(
    [
        "[Unit]",
        "[Service]",
        "[X-Fleet]",
        "[Install]",
        "\n",
        " ",
        "=",
        "\\",
        '"',
        "'",
        "ExecStart",
        "Environment",
        "MachineOf",
        "Conflicts",
        "Global",
        "After",
        "/bin/sh",
        "-c",
        "%i",
        "%%",
        "$HOME",
        ";",
        "#",
        "a=b",
        "*",
        "[",
        "\r\n",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_TOKENS, max_size=40).map("".join))
def test_unit_shaped_text_never_raises(text: str) -> None:
    lint_text(text.encode(), "app@.service")
