"""`unitgen schema`: the JSON Schema editors use, checked against the specs and against unitgen."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import jsonschema
import pytest
from helpers import REPO, run_unitgen, write_specs

from unitgen.compile.compiler import compile_specs
from unitgen.spec.schema_export import json_schema
from unitgen.spec.source import format_path

VALIDATOR = jsonschema.Draft202012Validator
PROJECT = """\
[environments.prod.vars]
region = "eu"
"""


def schema_paths(data: dict, schema: dict) -> set[str]:  # type: ignore[type-arg]
    """Where the schema refuses ``data``, as unitgen spells key paths."""
    found = set()
    for error in VALIDATOR(schema).iter_errors(data):
        best = jsonschema.exceptions.best_match([error])
        path = tuple(best.absolute_path)
        if best.validator == "additionalProperties":
            known = best.schema.get("properties", {})  # type: ignore[union-attr]
            found.update(format_path((*path, extra)) for extra in best.instance if extra not in known)
        else:
            found.add(format_path(path))
    return found


def unitgen_paths(tmp_path: Path, text: str) -> set[str]:
    specs = write_specs(tmp_path, {"unitgen.toml": PROJECT, "app.toml": text})
    result = compile_specs(specs)
    return {d.key_path or "" for d in result.diagnostics if d.is_error}


def test_schema_command_prints_the_spec_schema() -> None:
    proc = run_unitgen("schema", cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    printed = json.loads(proc.stdout)
    VALIDATOR.check_schema(printed)
    assert printed == json_schema("spec")
    assert printed["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert printed["properties"]["container"]["properties"]["image"]["description"]


def test_project_schema() -> None:
    proc = run_unitgen("schema", "--project", cwd=REPO)
    assert proc.returncode == 0
    printed = json.loads(proc.stdout)
    VALIDATOR.check_schema(printed)
    assert printed == json_schema("project")
    assert "fleetctl" in printed["properties"]["paths"]["properties"]


@pytest.mark.parametrize("path", sorted((REPO / "specs").glob("*.toml")), ids=lambda p: p.name)
def test_every_example_validates(path: Path) -> None:
    which = "project" if path.name == "unitgen.toml" else "spec"
    VALIDATOR(json_schema(which)).validate(tomllib.loads(path.read_text()))


FULL_SPEC = """\
extends = "base"

[unit]
name = "app"
description = "The app"
after = ["base", "etcd.service"]
before = ["nginx.service"]
requires = ["base"]
wants = ["etcd.service"]
binds_to = ["base"]
part_of = ["base"]
conflicts = ["legacy.service"]
extra = { Documentation = "https://example.com/runbook", StartLimitBurst = "5" }

[service]
restart = "on-failure"
restart_sec = "5s"
timeout_start_sec = "5min"
timeout_stop_sec = "20s"
user = "core"
extra = { LimitNOFILE = "65536", KillMode = ["control-group"] }

[container]
name = "app-main"
image = "example/app"
tag = "{{ vars.region }}"
pull = false
command = ["run", "--flag"]
env = { A = "1", SECRET_MODE = { value = "plain", secret = false } }
env_files = ["/etc/app.env"]
volumes = ["/srv:/srv:ro"]
ports = ["8080:80/tcp"]
docker_args = ["--log-driver", "journald"]

[[container.secrets]]
bucket = "b"
key = "k.env"
name = "app.env"
optional = true

[fleet]
machine_metadata = { role = ["web", "app"] }
conflicts = ["app@*.service"]

[presence.etcd]
port = 8080
ttl = 60
interval = 30

[environments.prod.container]
pull = true
"""


def test_a_spec_using_every_kind_of_value_passes_both(tmp_path: Path) -> None:
    base = '[container]\nimage = "example/base"\ntag = "v1"\n'
    specs = write_specs(tmp_path, {"unitgen.toml": PROJECT, "app.toml": FULL_SPEC, "base.toml": base})
    VALIDATOR(json_schema("spec")).validate(tomllib.loads(FULL_SPEC))
    result = compile_specs(specs)
    assert result.ok, [d.format() for d in result.diagnostics]


def test_a_schema_comment_for_editors_is_just_a_comment(tmp_path: Path) -> None:
    text = '#:schema ./unitgen.schema.json\n[container]\nimage = "example/app"\ntag = "v1"\n'
    assert unitgen_paths(tmp_path, text) == set()


HEAD = '[container]\nimage = "example/app"\ntag = "v1"\n'

# (spec text, where the schema and unitgen both say it is wrong)
INVALID = {
    "unknown top-level key": ('contianer = "x"\n' + HEAD, {"contianer"}),
    "table expected": ('unit = "web"\n' + HEAD, {"unit"}),
    "unknown key in a table": (HEAD + 'tga = "v1"\n', {"container.tga"}),
    "wrong type": (HEAD + 'pull = "yes"\n', {"container.pull"}),
    "argv item of the wrong type": (HEAD + 'command = ["run", true]\n', {"container.command[1]"}),
    "env table without its value": (HEAD + "env = { MODE = { secret = false } }\n", {"container.env.MODE"}),
    "env table with an unknown key": (
        HEAD + 'env = { MODE = { value = "x", secrte = false } }\n',
        {"container.env.MODE.secrte"},
    ),
    "env value of the wrong type": (HEAD + "env = { MODE = 3 }\n", {"container.env.MODE"}),
    "value outside the enum": (HEAD + '[service]\nrestart = "sometimes"\n', {"service.restart"}),
    "array item of the wrong type": (HEAD + '[unit]\nafter = ["docker.service", 3]\n', {"unit.after[1]"}),
    "string instead of an array": (HEAD + '[instances]\nnames = "1"\n', {"instances.names"}),
    "table-list field of the wrong type": (
        HEAD + '[[container.secrets]]\nbucket = 1\nkey = "k"\n',
        {"container.secrets[0].bucket"},
    ),
    "unknown key in a table-list": (
        HEAD + '[[container.secrets]]\nbucket = "b"\nkey = "k"\nbuket = "c"\n',
        {"container.secrets[0].buket"},
    ),
    "metadata value of the wrong type": (
        HEAD + "[fleet]\nmachine_metadata = { role = 1 }\n",
        {"fleet.machine_metadata.role"},
    ),
    "directive value of the wrong type": (
        HEAD + "[service]\nextra = { LimitNOFILE = 65536 }\n",
        {"service.extra.LimitNOFILE"},
    ),
    "integer expected": (HEAD + '[presence.etcd]\nport = "8000"\n', {"presence.etcd.port"}),
    "boolean expected in a nested table": (HEAD + '[fleet]\nglobal = "true"\n', {"fleet.global"}),
    "inside an environment overlay": (
        HEAD + '[environments.prod.container]\npull = "no"\n',
        {"environments.prod.container.pull"},
    ),
    "extends in an overlay": (HEAD + '[environments.prod]\nextends = "web"\n', {"environments.prod.extends"}),
    "several problems at once": (
        HEAD + '[service]\nrestart = "never"\nuser = 0\n[unit]\nwnats = ["a.service"]\n',
        {"service.restart", "service.user", "unit.wnats"},
    ),
}


@pytest.mark.parametrize("case", sorted(INVALID), ids=lambda c: c.replace(" ", "-"))
def test_invalid_specs_fail_the_schema_and_unitgen_at_the_same_key(tmp_path: Path, case: str) -> None:
    text, expected = INVALID[case]
    data = tomllib.loads(text)
    assert schema_paths(data, json_schema("spec")) == expected
    assert unitgen_paths(tmp_path, text) == expected


def test_invalid_project_file_fails_both_at_the_same_key(tmp_path: Path) -> None:
    text = '[paths]\nfleetctl = 1\ndocekr = "/bin/docker"\n[environments.prod]\nvar = {}\n'
    data = tomllib.loads(text)
    expected = {"paths.fleetctl", "paths.docekr", "environments.prod.var"}
    assert schema_paths(data, json_schema("project")) == expected
    specs = write_specs(
        tmp_path, {"unitgen.toml": text, "app.toml": '[container]\nimage = "example/app"\ntag = "v1"\n'}
    )
    result = compile_specs(specs)
    assert {d.key_path for d in result.diagnostics if d.is_error} == expected


def test_schema_help_shows_how_editors_use_it() -> None:
    proc = run_unitgen("schema", "--help", cwd=REPO)
    assert "#:schema ./unitgen.schema.json" in proc.stdout
    assert "unitgen schema > specs/unitgen.schema.json" in proc.stdout
