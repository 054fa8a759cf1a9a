"""``unitgen compose``: Compose files from the specs, checked by the real tools.

Every file is validated against the compose-spec JSON Schema that Debian's docker-compose
1.29.2 ships, and read by that docker-compose (``config`` needs no daemon); what it
resolves is read back with the YAML library docker-compose itself runs on.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import require, require_tool
from helpers import REPO, run_unitgen, snapshot, write_specs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_argv_through_compiler import literal_command, toml_string

from unitgen.compile.compiler import compile_specs
from unitgen.compose.files import ComposeRequest, compose_text
from unitgen.diagnostics import Diagnostics

DOCKER_COMPOSE_VERSION = "1.29.2"
COMPOSE_SPEC = Path("/usr/lib/python3/dist-packages/compose/config/compose_spec.json")


@pytest.fixture(scope="module")
def docker_compose() -> str:
    path = require_tool("docker-compose")
    version = subprocess.run([path, "version", "--short"], capture_output=True, text=True, check=True).stdout
    require(version.strip() == DOCKER_COMPOSE_VERSION, f"docker-compose {DOCKER_COMPOSE_VERSION} is needed")
    require(COMPOSE_SPEC.is_file(), f"docker-compose's compose-spec schema is not at {COMPOSE_SPEC}")
    return path


def _interpreter(docker_compose: str) -> list[str]:
    """The Python that docker-compose runs on (its shebang's), with docker-compose's modules."""
    return Path(docker_compose).read_text(errors="replace").splitlines()[0].removeprefix("#!").split()


def read_yaml(docker_compose: str, text: str) -> Any:
    """YAML read by the PyYAML that docker-compose runs on."""
    script = "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)"
    proc = subprocess.run(
        [*_interpreter(docker_compose), "-c", script], input=text, capture_output=True, text=True, check=True
    )
    return json.loads(proc.stdout)


# docker-compose's own loader: what ``config`` and ``up`` work on (interpolated, ``$$`` read
# as ``$``), before ``config`` serialises it.
LOAD = """import json, sys
from compose.config.config import ConfigDetails, ConfigFile, load
from compose.config.environment import Environment
directory, file = sys.argv[1:]
config = load(ConfigDetails(directory, [ConfigFile.from_filename(file)], Environment.from_env_file(directory)))
json.dump({service.pop("name"): service for service in config.services}, sys.stdout)
"""


def compose_loaded(docker_compose: str, file: Path) -> Any:
    environment = {"PATH": os.environ["PATH"], "HOME": str(file.parent), "X": "interpolated", "Y": "interpolated"}
    proc = subprocess.run(
        [*_interpreter(docker_compose), "-c", LOAD, str(file.parent), str(file)],
        capture_output=True,
        text=True,
        env=environment,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def validate_against_compose_spec(document: Any) -> None:
    import jsonschema

    schema = json.loads(COMPOSE_SPEC.read_text())
    jsonschema.Draft201909Validator(schema).validate(document)


def compose_config(docker_compose: str, file: Path) -> Any:
    """What ``docker-compose config`` resolves the file to, ``$$`` read as the ``$`` it is."""
    environment = {"PATH": os.environ["PATH"], "HOME": str(file.parent), "X": "interpolated", "Y": "interpolated"}
    proc = subprocess.run(
        [docker_compose, "-f", str(file), "config"], cwd=file.parent, capture_output=True, text=True, env=environment
    )
    assert proc.returncode == 0, proc.stderr
    return _unescaped(read_yaml(docker_compose, proc.stdout))


def _unescaped(value: Any) -> Any:
    # docker-compose config writes each literal '$' back as '$$'.
    if isinstance(value, str):
        return value.replace("$$", "$")
    if isinstance(value, list):
        return [_unescaped(item) for item in value]
    if isinstance(value, dict):
        return {key: _unescaped(item) for key, item in value.items()}
    return value


def checked(docker_compose: str, file: Path) -> Any:
    """The file validated by the schema and by docker-compose; what docker-compose resolves."""
    validate_against_compose_spec(read_yaml(docker_compose, file.read_text()))
    return compose_config(docker_compose, file)


def examples(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    for env in ("dev", "prod"):
        secret = tmp_path / "secrets" / "djed-config" / env / "app.env"
        secret.parent.mkdir(parents=True)
        secret.write_text(f"DATABASE_URL=postgres://db/djed-{env}\n")
    return tmp_path / "specs"


# --- the seed's two figfiles ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "services"), [("dev", {"db", "redis", "web"}), ("prod", {"api", "celery", "nginx", "web"})]
)
def test_the_examples_give_the_seeds_figfiles(
    tmp_path: Path, docker_compose: str, env: str, services: set[str]
) -> None:
    examples(tmp_path)
    file = tmp_path / f"{env}.yml"
    proc = run_unitgen("compose", "--env", env, "-o", str(file), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    config = checked(docker_compose, file)
    assert set(config["services"]) == services
    web = config["services"]["web"]
    # The secret env file is named, never copied: docker-compose reads the local copy.
    assert web["environment"]["DATABASE_URL"] == f"postgres://db/djed-{env}"
    assert "postgres://" not in file.read_text()
    if env == "dev":
        assert web["command"] == ["python", "manage.py", "runserver", "0.0.0.0:8000"]
        assert set(web["depends_on"]) == {"db", "redis"}
        assert web["ports"] == [{"published": 8000, "target": 8000}]
    else:
        assert set(config["services"]["nginx"]["depends_on"]) == {"api", "web"}
        assert web["image"] == "djedstudios/app:latest"


def test_the_readme_shows_the_two_figfiles_as_generated(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text()
    for env in ("dev", "prod"):
        proc = run_unitgen("compose", "--env", env, cwd=REPO)
        assert proc.returncode == 0, proc.stderr
        assert f"```yaml\n{proc.stdout}```" in readme, (
            f"README.md must show 'unitgen compose --env {env}':\n{proc.stdout}"
        )


def test_compose_only_specs_and_local_environments_compile_to_no_units(tmp_path: Path) -> None:
    examples(tmp_path)
    assert run_unitgen("compile", "specs", cwd=tmp_path).returncode == 0
    units = snapshot(tmp_path / "out")
    assert units == snapshot(REPO / "out")
    assert not (tmp_path / "out" / "dev").exists()
    assert not [name for name in units if Path(name).name.startswith(("db", "redis"))]
    local = run_unitgen("compile", "--env", "dev", cwd=tmp_path)
    assert local.returncode == 2 and "unitgen compose --env dev" in local.stderr


def test_output_is_deterministic_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    examples(tmp_path)
    file = tmp_path / "fig.yml"
    texts = []
    for _ in range(2):
        assert run_unitgen("compose", "--env", "dev", "-o", "fig.yml", cwd=tmp_path).returncode == 0
        texts.append(file.read_bytes())
    shown = run_unitgen("compose", "--env", "dev", cwd=tmp_path).stdout.encode()
    assert texts[0] == texts[1] == shown
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fig.yml", "secrets", "specs"]
    assert oct(file.stat().st_mode & 0o777) == oct(0o644)


# --- errors -------------------------------------------------------------------------------------


RUNTIME_PROJECT = {
    "unitgen.toml": """\
        [runtime]
        version = "/app-version"
        """,
    "app.toml": """\
        [container]
        image = "example/app"
        tag = "{{ runtime.version }}"
        """,
}


def test_a_runtime_value_without_a_pin_is_an_error_naming_it(tmp_path: Path) -> None:
    write_specs(tmp_path, RUNTIME_PROJECT)
    proc = run_unitgen("compose", "-o", "-", cwd=tmp_path)
    assert proc.returncode == 1 and proc.stdout == ""
    assert "C101" in proc.stderr and "runtime value 'version'" in proc.stderr and "--set version=" in proc.stderr
    pinned = run_unitgen("compose", "--set", "version=v9", cwd=tmp_path)
    assert pinned.returncode == 0 and '"image": "example/app:v9"' in pinned.stdout


def test_a_secret_needs_a_local_directory(tmp_path: Path) -> None:
    write_specs(
        tmp_path,
        {
            "app.toml": """\
                [container]
                image = "example/app:v1"
                [[container.secrets]]
                bucket = "config"
                key = "prod/app.env"
                """
        },
    )
    proc = run_unitgen("compose", cwd=tmp_path)
    assert proc.returncode == 1 and "C103" in proc.stderr and "--secrets-dir" in proc.stderr
    given_dir = run_unitgen("compose", "--secrets-dir", "local secrets", cwd=tmp_path)
    assert given_dir.returncode == 0 and '- "local secrets/config/prod/app.env"' in given_dir.stdout


def test_a_file_unitgen_did_not_generate_is_not_replaced_without_force(tmp_path: Path) -> None:
    write_specs(tmp_path, {"app.toml": "[container]\nimage = 'example/app:v1'\n"})
    (tmp_path / "fig.yml").write_text("web:\n  build: .\n")
    proc = run_unitgen("compose", "-o", "fig.yml", cwd=tmp_path)
    assert proc.returncode == 1 and "C107" in proc.stderr
    assert (tmp_path / "fig.yml").read_text() == "web:\n  build: .\n"
    assert run_unitgen("compose", "-o", "fig.yml", "--force", cwd=tmp_path).returncode == 0
    assert (tmp_path / "fig.yml").read_text().startswith("# Generated by unitgen")


# --- check ----------------------------------------------------------------------------------------


def test_check_reports_a_stale_or_missing_compose_file_as_drift(tmp_path: Path) -> None:
    write_specs(
        tmp_path,
        {
            "unitgen.toml": """\
                [environments.prod]
                [environments.laptop]
                cluster = false
                [compose.laptop]
                file = "stack.yml"
                """,
            "app.toml": """\
                [container]
                image = "example/app:v1"
                command = ["serve"]
                """,
        },
    )
    assert run_unitgen("compile", cwd=tmp_path).returncode == 0
    missing = run_unitgen("check", cwd=tmp_path)
    assert missing.returncode == 1 and "stack.yml: missing" in missing.stderr
    written = run_unitgen("compose", cwd=tmp_path)
    assert written.returncode == 0 and written.stdout == "stack.yml: written\n"
    in_sync = run_unitgen("check", cwd=tmp_path)
    assert in_sync.returncode == 0 and "stack.yml: up to date" in in_sync.stderr
    spec = tmp_path / "specs" / "app.toml"
    spec.write_text(spec.read_text().replace('["serve"]', '["serve", "--fast"]'))
    stale = run_unitgen("check", "--env", "laptop", cwd=tmp_path)
    assert stale.returncode == 1
    assert '+      - "--fast"' in stale.stdout
    assert "stack.yml: stale" in stale.stderr and "run: unitgen compose --env laptop" in stale.stderr
    assert run_unitgen("check", "--env", "prod", cwd=tmp_path).returncode == 1  # the units are stale too
    assert run_unitgen("diff", cwd=tmp_path).returncode == 0


# --- templates and instances ------------------------------------------------------------------------


def test_instances_are_numbered_services(tmp_path: Path, docker_compose: str) -> None:
    write_specs(
        tmp_path,
        {
            "app.toml": """\
                [container]
                image = "example/app:v1"
                command = ["serve", "--name", "app {{ instance }}"]
                ports = ["80{{ instance }}:80"]
                [instances]
                names = ["1", "2"]
                """,
            "proxy.toml": """\
                [unit]
                after = ["app@2.service"]
                [container]
                image = "example/proxy:v1"
                """,
        },
    )
    proc = run_unitgen("compose", "-o", "stack.yml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    services = checked(docker_compose, tmp_path / "stack.yml")["services"]
    assert services["app-1"]["command"] == ["serve", "--name", "app 1"]
    assert services["app-2"]["ports"] == [{"published": 802, "target": 80}]
    assert list(services["proxy"]["depends_on"]) == ["app-2"]


def test_a_systemd_specifier_has_no_meaning_in_a_compose_file(tmp_path: Path) -> None:
    write_specs(tmp_path, {"app.toml": '[container]\nimage = "example/app:v1"\ncommand = ["{{ hostname }}"]\n'})
    proc = run_unitgen("compose", cwd=tmp_path)
    assert proc.returncode == 1 and "C102" in proc.stderr and "container.command[0]" in proc.stderr


# --- hostile values, read back exactly ------------------------------------------------------------

HOSTILE = st.sampled_from(
    [
        "$",
        "$$",
        "${X}",
        "$X",
        "${X:-d}",
        '"',
        "'",
        "\n",
        "\r\n",
        ": ",
        " #",
        "#",
        "é",
        "🎉",
        "\u2028",
        "\x85",
        " ",
        "\t",
        "yes",
        "no",
        "on",
        "null",
        "~",
        "1e3",
        "0x1F",
        "-",
        "? ",
        "&a",
        "*a",
        "!tag",
        "%i",
        "`",
        "[",
        "}",
        "\\",
        "\x07",
        "\ufeff",
    ]
)
TEXT = st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=6)
VALUE = st.lists(st.one_of(HOSTILE, TEXT), max_size=5).map("".join)


# YAML 1.1 line breaks: docker-compose's ``config`` writes them raw into its output, where
# they read back as folded spaces (its serialiser's loss, not its reading: the loader gets
# them exactly, as asserted below).
LOSSY_IN_CONFIG_OUTPUT = ("\x85", "\u2028", "\u2029")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    argv=st.lists(VALUE, min_size=1, max_size=6),
    env_values=st.lists(VALUE.filter(lambda v: "{{" not in v), max_size=4),
)
def test_hostile_values_reach_docker_compose_exactly(
    tmp_path_factory: pytest.TempPathFactory, docker_compose: str, argv: list[str], env_values: list[str]
) -> None:
    root = tmp_path_factory.mktemp("hostile")
    env = ", ".join(f"V{i} = {{ value = {toml_string(v)}, secret = false }}" for i, v in enumerate(env_values))
    command = ", ".join(toml_string(a) for a in literal_command(argv))
    specs = write_specs(
        root,
        {
            "unitgen.toml": "[environments.laptop]\ncluster = false\n",
            "app.toml": f'[container]\nimage = "example/app:v1"\ncommand = [{command}]\nenv = {{ {env} }}\n',
        },
    )
    result = compile_specs(specs, environment="laptop", keep_specs=True)
    found = Diagnostics()
    text = compose_text(result, ComposeRequest("laptop", {}, None, None), "specs/", found)
    assert result.ok and not found.has_errors, [d.format() for d in (*result.diagnostics, *found)]
    file = root / "stack.yml"
    file.write_text(text)
    environment = {f"V{i}": v for i, v in enumerate(env_values)}
    loaded = compose_loaded(docker_compose, file)["app"]
    assert loaded["command"] == argv
    assert loaded.get("environment", {}) == environment
    shown = checked(docker_compose, file)["services"]["app"]
    assert len(shown["command"]) == len(argv)
    for got, sent in zip(shown["command"], argv, strict=True):
        assert got == sent or any(char in sent for char in LOSSY_IN_CONFIG_OUTPUT)
    for name, sent in environment.items():
        assert shown["environment"][name] == sent or any(char in sent for char in LOSSY_IN_CONFIG_OUTPUT)


def test_a_unit_cannot_name_a_service_of_compose_files_only(tmp_path: Path) -> None:
    files = {
        "unitgen.toml": "[environments.prod]\n[environments.dev]\ncluster = false\n",
        "db.toml": '[container]\nimage = "postgres:9.3"\n[compose]\nonly = true\n',
        "web.toml": '[container]\nimage = "example/app:v1"\n[environments.dev.unit]\nrequires = ["db"]\n',
    }
    write_specs(tmp_path, files)
    assert run_unitgen("compile", cwd=tmp_path).returncode == 0  # dev's relation is no unit's
    assert sorted(snapshot(tmp_path / "out")) == ["prod/web.service"]
    web = tmp_path / "specs" / "web.toml"
    web.write_text(web.read_text().replace("[environments.dev.unit]", "[unit]"))
    proc = run_unitgen("compile", cwd=tmp_path)
    assert proc.returncode == 1 and "S313" in proc.stderr and "unit.requires[0]" in proc.stderr


def test_a_deploy_health_check_becomes_the_services_healthcheck(tmp_path: Path, docker_compose: str) -> None:
    write_specs(
        tmp_path,
        {
            "unitgen.toml": '[runtime]\nversion = "/app-version"\n',
            "app.toml": """\
                [container]
                image = "example/app"
                tag = "{{ runtime.version }}"
                [deploy]
                health = ["curl", "-fs", "http://localhost:8000/$HOME"]
                [hooks]
                before_start = [["/usr/bin/mkdir", "-p", "/srv/app"]]
                """,
        },
    )
    proc = run_unitgen("compose", "--set", "version=v1", "-o", "stack.yml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    services = checked(docker_compose, tmp_path / "stack.yml")["services"]
    assert services["app"]["healthcheck"]["test"] == ["CMD", "curl", "-fs", "http://localhost:8000/$HOME"]
    header = (tmp_path / "stack.yml").read_text().split("services")[0]
    assert "deploy updater and keeper units" in header and "host commands ([hooks]" in header
    assert "mkdir" not in (tmp_path / "stack.yml").read_text()
