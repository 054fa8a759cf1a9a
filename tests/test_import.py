"""unitgen import, proved by systemd: the corpus round trip, the seed's unit, the TOML writer
and the command's rules for --into, --force and inline credentials."""

from __future__ import annotations

import os
import shutil
import sys
import tomllib
from pathlib import Path

from click.testing import CliRunner
from conftest import SHARED, require, require_tool
from helpers import REPO, replay_console
from hypothesis import given
from hypothesis import strategies as st
from import_roundtrip import in_scope, round_trip

from unitgen.cli import main
from unitgen.compile.compiler import compile_specs
from unitgen.importing import toml_writer

SEED = SHARED / "seed" / "using-docker-in-production.md"

# The in-scope corpus files (fleet accepts them; ExecStart= runs docker run, directly or in
# one simple sh -c) whose round trip differs, and why.
DOES_NOT_ROUND_TRIP: dict[str, str] = {
    "pulcy__j2/volumes-v1-storage-vl0@1.service": "not imported: docker run cannot be read: docker run names no image",
    "pulcy__j2/volumes-v4global-v4global-vl0.service": "not imported: docker run cannot be read: docker run names no image",
}
# Files that round-trip, but with directives the spec format cannot carry (reported I102,
# I103), or with a credential moved into a secret placeholder (I201).
ROUND_TRIP_WITH_LEFT_OUT = {
    "coreos__unit-examples/subgun-http.1.service": "credential moved to a secret placeholder (I201)",
    "coreos__unit-examples/subgun-http@.service": "credential moved to a secret placeholder (I201)",
    "pulcy__j2/constraints-group2global-taskgrobalb-mn.service": "section [X-testproject]",
    "pulcy__j2/proxyweave-dbproxy-dbproxy-mn@1.service": "section [X-testproject]",
    "pulcy__j2/restartall-lb2-tb-mn@1.service": "section [X-testproject]",
    "pulcy__j2/secrets-env_secrets-env_secrets-mn@1.service": "section [X-testproject]",
    "pulcy__j2/test-global-global-mn.service": "section [X-testproject]",
    "pulcy__j2/test-registrator-registrator-mn.service": "section [X-testproject]",
    "pulcy__j2/test-some_proxy-some_proxy-mn@1.service": "section [X-testproject]",
    "royvandewater__royvandewater-com-services/c3po.service": "section [X-fleet]",
    "royvandewater__royvandewater-com-services/c3po@.service": "section [X-fleet]",
    "royvandewater__royvandewater-com-services/mysql.service": "credential moved to a secret placeholder (I201)",
    "royvandewater__royvandewater-com-services/royvandewater_com.service": "credential moved to a secret placeholder (I201)",
    "tleyden__open-ocr/rabbitmq.service": "credential moved to a secret placeholder (I201)",
}


def test_the_corpus_round_trips_through_import_and_compile(tmp_path: Path, corpus_dir: Path) -> None:
    require_tool("systemd-analyze")
    failures: dict[str, str] = {}
    left_out: dict[str, str] = {}
    in_scope_count = 0
    for index, directory in enumerate(sorted(p for p in corpus_dir.iterdir() if p.is_dir())):
        in_scope_count += sum(1 for p in directory.iterdir() if in_scope(p))
        failures.update(round_trip(directory, tmp_path / str(index), left_out))
    assert in_scope_count == 77
    assert failures == DOES_NOT_ROUND_TRIP
    assert left_out == ROUND_TRIP_WITH_LEFT_OUT


def _seed_unit(tmp_path: Path) -> Path:
    require(SEED.is_file(), f"the article is not at {SEED}")
    lines = SEED.read_text().splitlines()
    start = lines.index("[Unit]")
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("MachineMetadata="))
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    unit = legacy / "elb-presence.service"
    unit.write_text("\n".join(lines[start : end + 1]) + "\n")
    return unit


def test_the_seed_unit_imports_into_the_articles_behaviour(tmp_path: Path) -> None:
    unit = _seed_unit(tmp_path)
    specs = tmp_path / "specs"
    result = CliRunner().invoke(main, ["import", str(unit.parent), "--into", str(specs)])
    assert result.exit_code == 0, result.output
    spec = tomllib.loads((specs / "elb-presence.toml").read_text())
    assert spec["container"]["secrets"] == [
        {"bucket": "*************", "key": "{{ runtime.djed_environment }}", "optional": True}
    ]
    assert tomllib.loads((specs / "unitgen.toml").read_text())["runtime"] == {"djed_environment": "/djed-environment"}
    text = next(u.text for u in compile_specs(specs).units if u.name == "elb-presence.service")
    # The env file fetched from S3 at start, read from the key in etcd, passed to the notifier,
    # which runs on every role=django machine and dies with http.service.
    assert "s3fetch.py '*************'" not in text and '"*************" "${UNITGEN_DJED_ENVIRONMENT}"' in text
    assert (
        "ExecStart=/usr/bin/docker run --name elb-presence --env-file %t/unitgen/%n/secrets-0.env djedstudios/elb-presence"
        in text
    )
    assert "BindsTo=http.service" in text and "User=core" in text
    assert "Global=true" in text and "MachineMetadata=role=django" in text
    assert "/djed-environment UNITGEN_DJED_ENVIRONMENT" in text
    # The .dockercfg fetch is the host's, not the container's: a before_start hook, still run
    # (after the notifier's own secret), its argv as the article wrote it.
    assert "elb-presence.service:12:1: I104 note ExecStartPre= became hooks.before_start" in result.output
    assert spec["hooks"]["before_start"][0]["argv"][-3:] == ["*************", ".docker.cfg", "/root/.dockercfg"]
    assert text.index("/secrets/secrets-0.env") < text.index("/root/.dockercfg") < text.index("ExecStart=")


def test_import_never_overwrites_a_spec_without_force(tmp_path: Path) -> None:
    unit = _seed_unit(tmp_path)
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "elb-presence.toml").write_text("# mine\n")
    result = CliRunner().invoke(main, ["import", str(unit), "--into", str(specs)])
    assert result.exit_code == 1
    assert "I301 error" in result.output and (specs / "elb-presence.toml").read_text() == "# mine\n"
    assert CliRunner().invoke(main, ["import", str(unit), "--into", str(specs), "--force"]).exit_code == 0
    assert "[container]" in (specs / "elb-presence.toml").read_text()


def test_dry_run_prints_and_writes_nothing(tmp_path: Path) -> None:
    unit = _seed_unit(tmp_path)
    result = CliRunner().invoke(main, ["import", str(unit), "--into", str(tmp_path / "specs"), "--dry-run"])
    assert result.exit_code == 0 and "elb-presence.toml" in result.output
    assert not (tmp_path / "specs").exists()


def test_an_inline_credential_is_never_copied(tmp_path: Path) -> None:
    unit = tmp_path / "db.service"
    unit.write_text(
        "[Service]\nExecStart=/usr/bin/docker run --name db -e MYSQL_ROOT_PASSWORD=hunter22 -e TZ=UTC mysql:5\n"
    )
    specs = tmp_path / "specs"
    refused = CliRunner().invoke(main, ["import", str(unit), "--into", str(specs)])
    assert refused.exit_code == 1 and "I201 error" in refused.output
    text = (specs / "db.toml").read_text()
    assert "hunter22" not in text and 'bucket = "replace-me"' in text and 'TZ = "UTC"' in text
    allowed = CliRunner().invoke(
        main, ["import", str(unit), "--into", str(specs), "--force", "--allow-secret-placeholders"]
    )
    assert allowed.exit_code == 0 and "I201 warning" in allowed.output


_keys = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8)
_scalars = st.one_of(st.text(st.characters(blacklist_categories=("Cs",))), st.booleans(), st.integers())
_values = st.recursive(
    st.one_of(_scalars, st.lists(st.text(st.characters(blacklist_categories=("Cs",))))),
    lambda inner: (
        st.dictionaries(_keys, inner, max_size=4)
        | st.lists(st.dictionaries(_keys, inner, max_size=3), min_size=1, max_size=2)
    ),
    max_leaves=12,
)


@given(st.dictionaries(_keys, _values, max_size=5))
def test_tomllib_reads_back_what_the_writer_wrote(data: dict[str, object]) -> None:
    assert tomllib.loads(toml_writer.dumps(data)) == data


def test_the_import_session_in_the_readme_is_a_real_run(tmp_path: Path) -> None:
    """The README's import of the article's unit (docs/import.md) is replayed command by command."""
    require(SEED.is_file(), f"the article is not at {SEED}")
    require(shutil.which("bash") and shutil.which("sed") and shutil.which("grep"), "bash, sed and grep are needed")
    doc = (REPO / "docs" / "import.md").read_text()
    block = doc.split("```console\n", 1)[1].split("```", 1)[0]
    commands = [line[2:].rstrip("\n") for line in block.splitlines(keepends=True) if line.startswith("$ ")]
    assert commands[1] == "unitgen import legacy --into specs"
    (tmp_path / "shared").symlink_to(SEED.parent.parent)
    root = tmp_path / "djed"
    root.mkdir()
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "unitgen").write_text(f'#!/bin/sh\nexec {sys.executable} -m unitgen "$@"\n')
    (shim / "unitgen").chmod(0o755)
    env = {**os.environ, "PATH": f"{shim}{os.pathsep}{os.environ['PATH']}", "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    replayed = replay_console(commands, root, env)
    assert replayed == block, "docs/import.md's session is out of date; this run printed:\n" + replayed
    assert "```console\n" + block + "```" in (REPO / "README.md").read_text(), "README.md must show the same session"


def test_an_existing_project_file_is_extended_not_replaced(tmp_path: Path) -> None:
    unit = _seed_unit(tmp_path)
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "unitgen.toml").write_text('# ours\n[vars]\nregion = "eu"\n')
    result = CliRunner().invoke(main, ["import", str(unit), "--into", str(specs)])
    assert result.exit_code == 0, result.output
    text = (specs / "unitgen.toml").read_text()
    assert text.startswith('# ours\n[vars]\nregion = "eu"\n')
    assert tomllib.loads(text) == {"vars": {"region": "eu"}, "runtime": {"djed_environment": "/djed-environment"}}
    (specs / "unitgen.toml").write_text('[runtime]\nversion = "/v"\n')
    clash = CliRunner().invoke(main, ["import", str(unit), "--into", str(specs), "--force"])
    assert clash.exit_code == 1 and "add to [runtime] of the project file" in clash.output
