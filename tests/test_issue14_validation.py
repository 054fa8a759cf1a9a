"""Regression tests for the validation holes and misleading spec diagnostics of issue 14."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SHARED, require
from helpers import write_specs
from support.etcd import etcd_server

from unitgen.compile.compiler import compile_specs
from unitgen.spec.docker_rules import port_problem
from unitgen.spec.schema_export import json_schema
from unitgen.systemd.analyze import verify_units

FLEETCTL = SHARED / "tools" / "fleet-v1.0.0" / "fleetctl"


def findings(tmp_path: Path, files: dict[str, str], code: str) -> list[str]:
    specs = write_specs(tmp_path, files)
    return [d.format() for d in compile_specs(specs).diagnostics.sorted() if d.code == code]


# --- ports: docker run -p --------------------------------------------------------------


@pytest.mark.parametrize(
    "mapping",
    [
        "1",
        "65535",
        "1:1",
        "65535:65535",
        "8000:8000/tcp",
        "53:53/udp",
        "9000:9000/sctp",
        "127.0.0.1:80:80",
        "255.255.255.255:80:80",
        "127.0.0.1::80",  # any free host port on that address
        "[::1]:80:80",
        "[::ffff:10.0.0.1]:80:80",
        "8000-8010:80",  # docker takes a free port of the host range
        "8000-8001:80-81",
        "1-65535:1-65535",
        "80-80",
    ],
)
def test_docker_accepts_these_port_mappings(mapping: str) -> None:
    assert port_problem(mapping) is None


@pytest.mark.parametrize(
    ("mapping", "problem"),
    [
        ("0", "container port 0 is out of range"),
        ("65536", "container port 65536 is out of range"),
        ("0:80", "host port 0 is out of range"),
        ("65536:80", "host port 65536 is out of range"),
        ("80:0", "container port 0 is out of range"),
        ("70000:99999", "host port 70000 is out of range"),
        ("1-65536:80", "host port 65536 is out of range"),
        ("1.2.3.400:80:80", "1.2.3.400 is not an IPv4 address"),
        ("1.2.3:80:80", "1.2.3 is not an IPv4 address"),
        ("[1::2::3]:80:80", "is not an IPv4 address or a bracketed IPv6 address"),
        ("[1.2.3.4]:80:80", "is not an IPv4 address or a bracketed IPv6 address"),
        ("90-80:80", "host port range 90-80 runs backwards"),
        ("8000-8001:80-82", "ranges differ in length"),
        ("80/icmp", "write [ip:][host-port:]container-port"),
        ("80:80/TCP", "write [ip:][host-port:]container-port"),
        ("", "write [ip:][host-port:]container-port"),
    ],
)
def test_docker_refuses_these_port_mappings(mapping: str, problem: str) -> None:
    found = port_problem(mapping)
    assert found is not None and problem in found, found


def test_ports_docker_refuses_are_errors_at_each_entry(tmp_path: Path) -> None:
    spec = '[container]\nimage = "example/app:v1"\nports = ["70000:99999", "0:0", "1.2.3.400:80:80", "8000:8000"]\n'
    found = findings(tmp_path, {"web.toml": spec}, "S251")
    assert [line.split(": ", 2)[1].split()[-1] for line in found] == [
        "container.ports[0]",
        "container.ports[1]",
        "container.ports[2]",
    ], found


# --- unit.name -------------------------------------------------------------------------


def test_an_empty_unit_name_is_an_error_at_that_key(tmp_path: Path) -> None:
    spec = '[unit]\nname = ""\n[container]\nimage = "example/app:v1"\n'
    specs = write_specs(tmp_path, {"web.toml": spec})
    result = compile_specs(specs)
    found = [d.format() for d in result.diagnostics if d.code == "S106"]
    assert len(found) == 1 and "web.toml:2:1: S106 error unit.name: the value is empty" in found[0], found
    assert result.diagnostics.has_errors


def test_the_json_schema_refuses_an_empty_unit_name_too() -> None:
    properties = json.loads(json.dumps(json_schema("spec")))["properties"]
    assert properties["unit"]["properties"]["name"]["minLength"] == 1


# --- fleet.machine_of naming a template ------------------------------------------------

TEMPLATE_APP = '[container]\nimage = "example/app:v1"\n[instances]\nnames = ["1"]\n'


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("app", "'app' is a template; name one of its instances"),
        ("app@.service", "'app@.service' is a template, which can never run"),
    ],
)
def test_machine_of_a_template_is_judged_as_unit_after_judges_it(tmp_path: Path, reference: str, message: str) -> None:
    web = f'[unit]\nafter = ["{reference}"]\n[fleet]\nmachine_of = ["{reference}"]\n[container]\nimage = "example/app:v1"\n'
    found = findings(tmp_path, {"app.toml": TEMPLATE_APP, "web.toml": web}, "S311")
    assert len(found) == 2, found
    assert "unit.after[0]" in found[0] and "fleet.machine_of[0]" in found[1], found
    assert all(message in line for line in found), found


def test_machine_of_an_instance_of_a_template_is_fine(tmp_path: Path) -> None:
    web = '[fleet]\nmachine_of = ["app@1.service"]\n[container]\nimage = "example/app:v1"\n'
    specs = write_specs(tmp_path, {"app.toml": TEMPLATE_APP, "web.toml": web})
    result = compile_specs(specs)
    assert not result.diagnostics.has_errors, [d.format() for d in result.diagnostics]
    assert "MachineOf=app@1.service" in next(u.text for u in result.units if u.name == "web.service")


# --- a byte order mark -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["web.toml", "unitgen.toml"])
def test_a_byte_order_mark_is_named(tmp_path: Path, name: str) -> None:
    specs = write_specs(tmp_path, {"web.toml": '[container]\nimage = "example/app:v1"\n'})
    path = specs / name
    path.write_bytes(b"\xef\xbb\xbf" + (path.read_bytes() if path.exists() else b'etcd_api = "2"\n'))
    diagnostics = compile_specs(specs).diagnostics
    found = [d for d in diagnostics if d.code == "S003"]
    assert len(found) == 1, [d.format() for d in diagnostics]
    assert (
        f"{name}:1:1: S003 error invalid TOML: the file starts with a UTF-8 byte order mark (BOM)" in found[0].format()
    )
    assert found[0].hint == "save the file as UTF-8 without a BOM"


# --- hints speak TOML ------------------------------------------------------------------


def test_a_blank_in_a_relation_or_machine_of_is_answered_with_a_toml_list(tmp_path: Path) -> None:
    web = (
        '[unit]\nafter = ["db.service cache.service"]\n'
        '[fleet]\nmachine_of = ["db.service cache.service"]\n[container]\nimage = "example/app:v1"\n'
    )
    specs = write_specs(tmp_path, {"web.toml": web})
    found = {d.key_path: d for d in compile_specs(specs).diagnostics if d.code == "S312"}
    assert found["unit.after[0]"].hint == 'write each as its own string: after = ["db.service", "cache.service"]'
    assert found["fleet.machine_of[0]"].hint == (
        'write each as its own string: machine_of = ["db.service", "cache.service"]'
    )


def test_a_blank_in_a_metadata_value_or_replaces_pattern_is_answered_with_a_toml_list(tmp_path: Path) -> None:
    web = (
        '[fleet]\nreplaces = ["old.service older.service"]\n'
        '[fleet.machine_metadata]\nrole = "web api"\n"data center" = "a b"\n[container]\nimage = "example/app:v1"\n'
    )
    specs = write_specs(tmp_path, {"web.toml": web})
    result = compile_specs(specs)
    found = {d.key_path: d for d in result.diagnostics if d.code == "S274"}
    assert (
        found["fleet.machine_metadata.role"].hint == 'for several accepted values write a list: role = ["web", "api"]'
    )
    assert found['fleet.machine_metadata."data center"'].hint == (
        'for several accepted values write a list: "data center" = ["a", "b"]'
    )
    assert found["fleet.replaces[0]"].hint == (
        'write each pattern as its own string: replaces = ["old.service", "older.service"]'
    )
    assert all(d.severity.value == "warning" for d in found.values())
    # The message's "one value": the unit carries it on one line, as written.
    assert "MachineMetadata=role=web api\n" in result.units[0].text


def test_the_s_code_hints_speak_toml_not_x_fleet_lines(tmp_path: Path) -> None:
    """Every S-code hint of a spec full of list mistakes names TOML, not X-Fleet lines."""
    web = (
        '[unit]\nafter = ["a.service b.service"]\n'
        '[fleet]\nmachine_of = ["a.service b.service"]\nreplaces = ["x.service y.service"]\n'
        '[fleet.machine_metadata]\nrole = "a b"\n[container]\nimage = "example/app:v1"\n'
    )
    specs = write_specs(tmp_path, {"web.toml": web})
    hints = [d.hint for d in compile_specs(specs).diagnostics if d.code.startswith("S") and d.hint]
    assert len(hints) == 4, hints
    assert all("= [" in hint and "line" not in hint and '" "' not in hint for hint in hints), hints


# --- the claims, checked against the real tools -----------------------------------------


@pytest.fixture(scope="module")
def fleet_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """fleetctl v1.0.0 talking to an etcd of its own on loopback: the command to run, without
    its subcommand (see ../shared/tools/fleet-v1.0.0/README.md)."""
    require(FLEETCTL.is_file(), f"fleetctl v1.0.0 is not at {FLEETCTL}")
    etcd = shutil.which("etcd")
    require(etcd, "etcd is not installed (Debian's etcd-server)")
    assert etcd is not None
    with etcd_server(etcd, tmp_path_factory.mktemp("etcd")) as client_url:
        yield [str(FLEETCTL), "--driver=etcd", f"--endpoint={client_url}"]


def fleetctl_submit(fleetctl: list[str], directory: Path, name: str, text: str) -> subprocess.CompletedProcess[str]:
    path = directory / name
    path.write_text(text)
    return subprocess.run([*fleetctl, "submit", str(path)], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("lines", "refusal"),
    [
        ("MachineOf=a.service b.service\nConflicts=a.service\n", None),
        ("MachineOf=a.service\nConflicts=a.service\n", 'peer "a.service" matches conflict "a.service"'),
        ("MachineOf=a.service\nReplaces=a.service b.service\n", None),
        ("MachineOf=a.service\nReplaces=a.service\n", 'peer "a.service" matches replace "a.service"'),
    ],
)
def test_fleet_reads_a_machine_of_or_replaces_line_with_a_blank_as_one_value(
    fleet_registry: list[str], tmp_path: Path, lines: str, refusal: str | None
) -> None:
    """The S312 and S274 hints: fleet splits neither line on blanks, so a TOML list is the way
    to name several.  fleetctl refuses a peer that matches a Conflicts or Replaces glob; had it
    split the line, 'a.service' would match."""
    name = f"{tmp_path.name}.service"
    submitted = fleetctl_submit(fleet_registry, tmp_path, name, "[Service]\nExecStart=/bin/true\n[X-Fleet]\n" + lines)
    if refusal is None:
        assert submitted.returncode == 0, submitted.stderr
    else:
        assert submitted.returncode != 0 and refusal in submitted.stderr, submitted.stderr


def test_the_units_unitgen_writes_for_such_lists_are_read_by_fleet_as_one_value(
    fleet_registry: list[str], tmp_path: Path
) -> None:
    """What unitgen itself writes for replaces = ["a.service b.service"]: one pattern for fleet."""
    web = '[fleet]\nmachine_of = ["a.service"]\nreplaces = ["a.service b.service"]\n[container]\nimage = "example/app:v1"\n'
    result = compile_specs(write_specs(tmp_path, {"web.toml": web}))
    assert [d.code for d in result.diagnostics if d.key_path == "fleet.replaces[0]" and d.code.startswith("S")] == [
        "S274"
    ]
    submitted = fleetctl_submit(fleet_registry, tmp_path, "web.service", result.units[0].text)
    assert submitted.returncode == 0, submitted.stderr


def test_systemd_refuses_a_unit_name_with_a_blank(systemd_analyze: str) -> None:
    """S274's 'no unit name holds a blank', as systemd 252 sees a unit file named so."""
    unit = "[Service]\nExecStart=/bin/true\n"
    result = verify_units({"x y.service": unit, "x.service": unit}, executables=["/bin/true"])
    assert [finding.unit for finding in result.findings] == ["x y.service"], result.raw_stderr
    assert "Invalid argument" in result.raw_stderr
