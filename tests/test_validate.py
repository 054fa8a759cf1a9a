"""Checks of one spec (``spec.validate``) at their edges."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import write_specs

from unitgen import secretscan
from unitgen.compile.compiler import compile_specs
from unitgen.systemd.unitnames import UNIT_NAME_MAX, fleet_name_problem, systemd_name_problem


def codes(tmp_path: Path, spec: str, code: str, project: str = "") -> list[str]:
    specs = write_specs(tmp_path, {"web.toml": spec, "unitgen.toml": project})
    return [d.format() for d in compile_specs(specs).diagnostics.sorted() if d.code == code]


def full_problem(unit: str) -> str | None:
    return systemd_name_problem(unit) or fleet_name_problem(unit)


@pytest.mark.parametrize("template", [False, True], ids=["plain", "template"])
@pytest.mark.parametrize("unit_length", [UNIT_NAME_MAX - 2, UNIT_NAME_MAX - 1, UNIT_NAME_MAX, UNIT_NAME_MAX + 1])
def test_unit_name_length_edges_are_judged_by_the_full_checks(tmp_path: Path, template: bool, unit_length: int) -> None:
    suffix = "@.service" if template else ".service"
    name = "a" * (unit_length - len(suffix))
    spec = f'[unit]\nname = "{name}"\n[container]\nimage = "example/app"\ntag = "v1"\n'
    if template:
        spec += '[instances]\nnames = ["1"]\n'
    found = codes(tmp_path, spec, "S210")
    problem = full_problem(name + suffix)
    assert bool(found) == (problem is not None), found
    if problem:
        assert problem in found[0]


def test_a_refused_unit_name_is_one_finding_not_one_per_unit_of_the_spec(tmp_path: Path) -> None:
    name = "b" * (UNIT_NAME_MAX + 1 - len(".service"))
    spec = f'[unit]\nname = "{name}"\n[container]\nimage = "example/app"\ntag = "v1"\n[presence.etcd]\nkey = "/x"\n'
    specs = write_specs(tmp_path, {"web.toml": spec})
    found = [d.code for d in compile_specs(specs).diagnostics if d.is_error]
    assert found == ["S210"]


@pytest.mark.parametrize("unit_length", [UNIT_NAME_MAX - 1, UNIT_NAME_MAX, UNIT_NAME_MAX + 1])
def test_instance_unit_length_edges_are_judged_by_the_full_checks(tmp_path: Path, unit_length: int) -> None:
    instance = "i" * (unit_length - len("web@.service"))
    spec = f'[container]\nimage = "example/app"\ntag = "v1"\n[instances]\nnames = ["{instance}"]\n'
    found = codes(tmp_path, spec, "S211")
    problem = systemd_name_problem(f"web@{instance}.service")
    assert bool(found) == (problem is not None), found
    if problem:
        assert problem in found[0]


@pytest.mark.parametrize(
    ("value", "refused"),
    [
        ("{{ hostname }}", True),  # systemd reads RestartSec=%H as it is
        ("{{ vars.soon }}", True),
        ("{{ vars.span }}", False),
        ("{{ runtime.span }}", False),  # refused where it is encoded: RestartSec= expands no variables
    ],
)
def test_a_time_span_is_known_at_compile_time(tmp_path: Path, value: str, refused: bool) -> None:
    spec = f'[service]\nrestart_sec = "{value}"\n[container]\nimage = "example/app:v1"\n'
    project = '[vars]\nsoon = "soon"\nspan = "5s"\n[runtime]\nspan = "/span"\n'
    found = codes(tmp_path, spec, "S230", project)
    assert bool(found) == refused, found


def test_a_time_span_holding_a_variable_is_refused_once(tmp_path: Path) -> None:
    spec = '[service]\nrestart_sec = "{{ runtime.span }}"\n[container]\nimage = "example/app:v1"\n'
    specs = write_specs(tmp_path, {"web.toml": spec, "unitgen.toml": '[runtime]\nspan = "/span"\n'})
    errors = [d for d in compile_specs(specs).diagnostics if d.is_error]
    assert [(d.code, d.key_path) for d in errors] == [("S401", "service.restart_sec")], errors


@pytest.mark.parametrize(
    "name",
    [
        "DB_PASSWORD",
        "db_pass",
        "PWD",
        "Api_Key",
        "MY_TOKEN",
        "x_key",
        "paſſword",
        "\u212aEY_TOKEN",
        "CREDENTİAL",
        "credentıal",
    ],
)
def test_credential_names_are_found_ascii_or_not(name: str) -> None:
    assert secretscan.secret_problem(name, "hunter2") == (
        f"{name} is set to a literal value: a credential written into the unit file"
        if secretscan._SECRET_NAME.search(name) and not secretscan._NOT_THE_SECRET.search(name)
        else None
    )


@pytest.mark.parametrize(("table", "key"), [("deploy", "relaunch_limit"), ("presence.etcd", "port")])
def test_an_integer_beyond_tomls_64_bits_is_refused_where_it_is_written(tmp_path: Path, table: str, key: str) -> None:
    spec = '[container]\nimage = "example/app"\ntag = "{{ runtime.version }}"\n'
    first = 'key = "/x"' if table == "presence.etcd" else ""
    spec += f"[{table}]\n{first}\n{key} = 0x{'f' * 4000}\n"
    found = codes(tmp_path, spec, "S101", '[runtime]\nversion = "/v"\n')
    said = f"web.toml:6:1: S101 error {table}.{key}: expected an integer of 64 bits (TOML's range), found an integer beyond 64 bits"
    assert [line.rpartition("/")[2] for line in found] == [said]
