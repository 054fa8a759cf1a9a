"""Exec lines unitgen does not write itself become [hooks] commands that systemd runs with
the same argv (proved by the round trip's comparison of systemd's dumps), or are reported."""

from __future__ import annotations

import tomllib
from pathlib import Path

from conftest import require_tool
from import_roundtrip import _difference, in_scope, round_trip
from support.verify_dump import verify_with_dump

from unitgen.compile.compiler import compile_specs
from unitgen.importing.session import ImportResult, import_units

UNIT = r"""[Unit]
Description=Web

[Service]
Environment=NAME=web TAG=v1
ExecStartPre=-/usr/bin/docker kill web
ExecStartPre=/usr/bin/mkdir -p "/var/lib/${NAME}/a b"
ExecStartPre=/usr/bin/docker pull busybox:1
ExecStartPre=/usr/bin/docker pull example/web:${TAG}
ExecStart=/usr/bin/docker run --name ${NAME} example/web:${TAG}
ExecStartPost=/bin/sh -c 'echo "$$HOME" \'q\' 100%% \\ ; x=1\nnext'
ExecStartPost=-/usr/bin/logger ";" "$$x" %n $UNSET
ExecStop=-/usr/bin/etcdctl rm /services/%p
ExecStop=/usr/bin/docker stop web
ExecStopPost=-/usr/bin/docker rm -f ${NAME}
"""


def _import(tmp_path: Path, text: str) -> tuple[Path, ImportResult]:
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "web.service").write_text(text)
    result = import_units([str(legacy)], allow_secret_placeholders=False, existing_project=None)
    return legacy, result


def test_exec_lines_become_hooks_word_for_word(tmp_path: Path) -> None:
    _, result = _import(tmp_path, UNIT)
    spec = tomllib.loads(result.files["web.toml"])
    assert spec["hooks"] == {
        "before_start": [["/usr/bin/mkdir", "-p", "/var/lib/web/a b"], ["/usr/bin/docker", "pull", "busybox:1"]],
        "after_start": [
            ["/bin/sh", "-c", "echo \"$HOME\" 'q' 100% \\ ; x=1\nnext"],
            {"argv": ["/usr/bin/logger", ";", "$x", "{{ unit }}", "{{ env.UNSET }}"], "ignore_failure": True},
        ],
        "stop": [{"argv": ["/usr/bin/etcdctl", "rm", "/services/{{ prefix }}"], "ignore_failure": True}],
        "after_stop": [{"argv": ["/usr/bin/docker", "rm", "-f", "web"], "ignore_failure": True}],
    }
    codes = [(f.code, f.location.line if f.location else None) for f in result.findings]
    assert not [c for c in codes if c[0] in ("I102", "I103")], codes


def test_the_hooks_round_trip_and_the_comparison_sees_a_changed_one(tmp_path: Path) -> None:
    require_tool("systemd-analyze")
    legacy, _ = _import(tmp_path, UNIT)
    left_out: dict[str, str] = {}
    assert in_scope(legacy / "web.service")
    assert round_trip(legacy, tmp_path / "rt", left_out) == {} and left_out == {}
    specs = tmp_path / "specs"
    specs.mkdir()
    for name, text in import_units([str(legacy)], allow_secret_placeholders=False, existing_project=None).files.items():
        (specs / name).write_text(text)
    compiled = compile_specs(specs).files["web.service"]
    original = UNIT.encode()
    changed = compiled.replace('/usr/bin/logger ";"', '/usr/bin/logger ","')
    assert changed != compiled
    before, after = verify_with_dump({"web.service": original}), verify_with_dump({"web.service": changed})
    why = _difference("web.service", before, after, original, changed.encode(), {})
    assert why is not None and why.startswith("ExecStartPost= commands differ"), why


def test_exec_lines_the_hooks_cannot_say_are_reported(tmp_path: Path) -> None:
    text = UNIT + (
        "ExecStartPre=@/usr/bin/foo bar\n"
        "ExecStartPost=relative-program\n"
        "ExecStopPost=/usr/bin/%m-cleanup\n"
        "ExecReload=/bin/kill -HUP $MAINPID\n"
        'ExecStartPost=/usr/bin/logger "unbalanced\n'
    )
    _, result = _import(tmp_path, text)
    reported = {
        (f.code, f.location.line if f.location else None): f.message
        for f in result.findings
        if f.code in ("I102", "I103")
    }
    assert sorted(reported) == [("I102", 16), ("I102", 17), ("I102", 18), ("I102", 19), ("I102", 20)], reported
    assert "prefix '@'" in reported[("I102", 16)]
    assert "not an absolute path" in reported[("I102", 17)]
    assert "specifier" in reported[("I102", 18)]
    assert "ExecReload= left out" in reported[("I102", 19)]
    assert "unbalanced" in reported[("I102", 20)]
