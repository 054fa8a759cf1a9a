"""The importer's pieces: docker run's options, sh -c around one simple command, spec text,
presence sidekicks, and factoring into defaults and extends (proved by systemd's dump)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from conftest import require_tool
from import_roundtrip import round_trip_together

from unitgen.compile.compiler import compile_specs
from unitgen.importing import spectext
from unitgen.importing.dockerrun import NotDockerRun, parse_run
from unitgen.importing.session import import_units
from unitgen.importing.shellcmd import NotSimple, etcd_marker, unwrap


def test_docker_run_options_old_and_new_spellings() -> None:
    run = parse_run(("-rm", "-name", "x", "-it", "-p80:80", "--env=A=1", "--net", "host", "img:1", "sh", "-c", "a b"))
    assert [(o.name, o.value) for o in run.options] == [
        ("rm", None),
        ("name", "x"),
        ("interactive", None),
        ("tty", None),
        ("publish", "80:80"),
        ("env", "A=1"),
        ("net", "host"),
    ]
    assert (run.image, run.command) == ("img:1", ("sh", "-c", "a b"))
    assert [w for o in run.options for w in o.words] == [
        "-rm",
        "-name",
        "x",
        "-it",
        "-p80:80",
        "--env=A=1",
        "--net",
        "host",
    ]


@pytest.mark.parametrize("args", [("--frobnicate", "img"), ("-e",), ("--rm",)])
def test_docker_run_that_cannot_be_read(args: tuple[str, ...]) -> None:
    with pytest.raises(NotDockerRun):
        parse_run(args)


def test_one_simple_command_is_unwrapped() -> None:
    unwrapped = unwrap('exec /usr/bin/docker run --name web -e HOST=$$HOST img:$(/usr/bin/etcdctl get /v) "a b"')
    assert unwrapped.words == (
        "/usr/bin/docker",
        "run",
        "--name",
        "web",
        "-e",
        "HOST=${HOST}",
        "img:" + etcd_marker(0),
        "a b",
    )
    assert unwrapped.etcd_keys == ("/v",)


@pytest.mark.parametrize(
    "script",
    [
        "docker rm x; docker run img",
        "IMAGE=`x` && docker run $IMAGE",
        "docker run $(hostname)",
        "A=1 docker run img",
        "docker run img > /log",
    ],
)
def test_more_than_one_simple_command_is_kept_and_reported(script: str) -> None:
    with pytest.raises(NotSimple):
        unwrap(script)


def test_spec_text_says_specifiers_and_variables_with_templates() -> None:
    assert spectext.exec_argument("%p-%i") == "{{ prefix }}-{{ instance }}"
    assert spectext.exec_argument("100%%") == "100%"
    assert spectext.exec_argument("$HOST") == "{{ env.HOST }}"
    assert spectext.exec_argument("a${B}c$$d") == "a{{ env.B }}c$d"
    assert spectext.exec_argument("{{x}}") == "{{ '{{' }}x}}"
    assert spectext.plain("on %H, $5") == "on {{ hostname }}, $5"
    with pytest.raises(spectext.NotSpecText):
        spectext.exec_argument("%z")


def _write(directory: Path, name: str, text: str) -> None:
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(text)


WEB = """[Unit]
Description=web
Requires=docker.service
After=docker.service

[Service]
ExecStart=/usr/bin/docker run --name web -p 80:80 nginx:1.7
ExecStop=/usr/bin/docker stop web
"""


def test_presence_sidekicks_become_the_services_presence(tmp_path: Path) -> None:
    _write(tmp_path, "web.service", WEB)
    bound = "[Unit]\nBindsTo=web.service\nAfter=web.service\n\n[Service]\n"
    _write(
        tmp_path,
        "web-announce.service",
        bound + 'ExecStart=/bin/sh -c "while true; do etcdctl set /services/web/%H %H:80 --ttl 60; sleep 45; done"\n',
    )
    _write(
        tmp_path,
        "web-elb.service",
        bound + "ExecStart=/usr/bin/docker run --name web-elb -e ELB_NAME=prod-lb djedstudios/elb-presence:2\n",
    )
    result = import_units([str(tmp_path)], allow_secret_placeholders=False, existing_project=None)
    assert sorted(result.files) == ["web.toml"]
    assert tomllib.loads(result.files["web.toml"])["presence"] == {
        "etcd": {"key": "/services/web/{{ hostname }}", "port": 80, "ttl": 60, "interval": 45},
        "elb": {"load_balancer": "prod-lb", "image": "djedstudios/elb-presence:2"},
    }
    assert not result.skipped


def _uwsgi(name: str) -> str:
    return f"""[Unit]
Description=Djed {name} (uwsgi)
Requires=docker.service
After=docker.service

[Service]
User=core
TimeoutStartSec=0
ExecStartPre=-/usr/bin/docker stop {name}
ExecStartPre=-/usr/bin/docker rm {name}
ExecStartPre=/usr/bin/docker pull djedstudios/app:v41
ExecStart=/usr/bin/docker run --name {name} -e DJANGO_SETTINGS_MODULE=djed.settings.{name} -v /var/run/djed:/var/run/djed djedstudios/app:v41 uwsgi --socket /var/run/djed/{name}.sock
ExecStop=/usr/bin/docker stop {name}

[X-Fleet]
Global=true
MachineMetadata=role=django
"""


def test_what_repeats_is_factored_and_still_round_trips(tmp_path: Path) -> None:
    require_tool("systemd-analyze")
    legacy = tmp_path / "legacy"
    _write(legacy, "web.service", _uwsgi("web"))
    _write(legacy, "api.service", _uwsgi("api"))
    files, differences = round_trip_together(legacy, tmp_path)
    assert differences == {}
    project = tomllib.loads(files["unitgen.toml"])
    assert project["defaults"] == {
        "unit": {"requires": ["docker.service"], "after": ["docker.service"]},
        "service": {"user": "core", "timeout_start_sec": "0"},
    }
    web = tomllib.loads(files["web.toml"])
    assert web["extends"] == "api"
    assert web["container"] == {
        "env": {"DJANGO_SETTINGS_MODULE": "djed.settings.web"},
        "command": ["uwsgi", "--socket", "/var/run/djed/web.sock"],
    }


def test_a_systemd_environment_file_passes_through(tmp_path: Path) -> None:
    """``${VAR}`` in a unit comes from systemd's environment; an imported EnvironmentFile=
    keeps providing it (it is not docker's --env-file, which is container.env_files)."""
    _write(tmp_path / "legacy", "app.service", "[Service]\nEnvironmentFile=/etc/environment\n"
           "ExecStart=/usr/bin/docker run --name app -e HOST=${COREOS_PRIVATE_IPV4} img:1\n")  # fmt: skip
    result = import_units([str(tmp_path / "legacy")], allow_secret_placeholders=False, existing_project=None)
    spec = tomllib.loads(result.files["app.toml"])
    assert spec["service"]["extra"] == {"EnvironmentFile": "/etc/environment"}
    assert spec["container"]["env"] == {"HOST": "{{ env.COREOS_PRIVATE_IPV4 }}"}
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "app.toml").write_text(result.files["app.toml"])
    text = compile_specs(specs).units[0].text
    assert "\nEnvironmentFile=/etc/environment\n" in text
    assert ' -e "HOST=${COREOS_PRIVATE_IPV4}" ' in text


def test_environment_values_go_where_execstart_uses_them_as_systemd_expands_them(tmp_path: Path) -> None:
    _write(tmp_path / "legacy", "app.service", '[Service]\nEnvironment="A00=-e NAME=app" VERSION=1.2\n'
           "ExecStart=/usr/bin/docker run --name app $A00 img:${VERSION}\n"
           "[Unit]\nDescription=x\n")  # fmt: skip
    _write(tmp_path / "shell", "app.service", "[Service]\nEnvironment=VERSION=1.2\n"
           "ExecStart=/bin/sh -c 'docker run --name app \"img:$VERSION\"'\n")  # fmt: skip
    for directory in ("legacy", "shell"):
        result = import_units([str(tmp_path / directory)], allow_secret_placeholders=False, existing_project=None)
        container = tomllib.loads(result.files["app.toml"])["container"]
        assert container["tag"] == "1.2"
        assert not [f for f in result.findings if f.code == "I102"], [f.format() for f in result.findings]
    assert container.get("env") is None
    legacy = import_units([str(tmp_path / "legacy")], allow_secret_placeholders=False, existing_project=None)
    assert tomllib.loads(legacy.files["app.toml"])["container"]["env"] == {"NAME": "app"}
