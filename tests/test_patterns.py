"""The production patterns: runtime values, secrets, sidekicks, instances, extends, environments."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import require
from helpers import SIMPLE_SPEC, run_unitgen, write_specs

from unitgen.compile.compiler import compile_specs
from unitgen.systemd.analyze import find_systemd_analyze, verify_units
from unitgen.systemd.unitfile import parse_systemd

PROJECT = """\
[runtime]
version = "/app-version"
"""


def compile_ok(tmp_path: Path, files: dict[str, str], **options: object) -> dict[str, str]:
    result = compile_specs(write_specs(tmp_path, files), **options)  # type: ignore[arg-type]
    assert result.ok, [d.format() for d in result.diagnostics]
    return result.files


def error_lines(tmp_path: Path, files: dict[str, str]) -> list[str]:
    result = compile_specs(write_specs(tmp_path, files))
    return [d.format() for d in result.diagnostics.sorted() if d.is_error]


def directives(unit: str, key: str) -> list[str]:
    """The values of every ``key=`` in the unit, as systemd reads them."""
    return [entry.value for entry in parse_systemd(unit.encode()).entries if entry.key == key]


def verify_clean(files: dict[str, str]) -> None:
    require(find_systemd_analyze(), "systemd-analyze is not installed")
    verdict = verify_units(files)
    assert verdict.returncode == 0 and verdict.problems == (), [f.format() for f in verdict.problems]


# --- runtime values from etcd ----------------------------------------------------------


def test_runtime_version_is_read_from_etcd_before_the_pull(tmp_path: Path) -> None:
    spec = '[container]\nimage = "example/app"\ntag = "{{ runtime.version }}"\n'
    unit = compile_ok(tmp_path, {"unitgen.toml": PROJECT, "web.toml": spec})["web.service"]
    pre = directives(unit, "ExecStartPre")
    assert pre[0].startswith("/bin/sh -c ") and pre[0].endswith(
        "unitgen-runtime /usr/bin/etcdctl /app-version UNITGEN_VERSION %t/unitgen/%n/runtime.env"
    )
    assert pre.index('/usr/bin/docker pull "example/app:${UNITGEN_VERSION}"') > 0
    assert directives(unit, "EnvironmentFile") == ["-%t/unitgen/%n/runtime.env"]
    assert directives(unit, "RuntimeDirectory") == ["unitgen/%n"]
    verify_clean({"web.service": unit})


def test_etcd_v3_is_a_project_setting(tmp_path: Path) -> None:
    spec = '[container]\nimage = "example/app"\ntag = "{{ runtime.version }}"\n'
    project = 'etcd_api = "3"\n' + PROJECT
    unit = compile_ok(tmp_path, {"unitgen.toml": project, "web.toml": spec})["web.service"]
    assert "ETCDCTL_API=3" in directives(unit, "ExecStartPre")[0] and "--print-value-only" in unit


def test_set_pins_a_runtime_value_at_compile_time(tmp_path: Path) -> None:
    spec = '[container]\nimage = "example/app"\ntag = "{{ runtime.version }}"\n'
    unit = compile_ok(tmp_path, {"unitgen.toml": PROJECT, "web.toml": spec}, overrides={"version": "v42"})[
        "web.service"
    ]
    assert "etcdctl" not in unit and "EnvironmentFile" not in unit
    assert "ExecStartPre=/usr/bin/docker pull example/app:v42" in unit


def test_the_environment_name_can_come_from_etcd_too(tmp_path: Path) -> None:
    project = PROJECT + 'environment = "/djed-environment"\n'
    spec = SIMPLE_SPEC + '[[container.secrets]]\nbucket = "cfg"\nkey = "{{ runtime.environment }}.env"\n'
    unit = compile_ok(tmp_path, {"unitgen.toml": project, "web.toml": spec})["web.service"]
    pre = directives(unit, "ExecStartPre")
    assert pre[0].endswith("/djed-environment UNITGEN_ENVIRONMENT %t/unitgen/%n/runtime.env")
    assert any(p.endswith('s3fetch.py cfg "${UNITGEN_ENVIRONMENT}.env" /secrets/secrets-0.env') for p in pre), pre


def test_undeclared_runtime_value_is_an_error_with_a_hint(tmp_path: Path) -> None:
    spec = '[container]\nimage = "example/app"\ntag = "{{ runtime.versoin }}"\n'
    found = error_lines(tmp_path, {"unitgen.toml": PROJECT, "web.toml": spec})
    assert len(found) == 1 and "container.tag" in found[0] and "did you mean 'version'" in found[0]


# --- secrets ---------------------------------------------------------------------------

SECRET_SPEC = (
    SIMPLE_SPEC
    + """
[[container.secrets]]
bucket = "config"
key = "prod/app.env"
name = "app.env"
"""
)


def test_secret_env_file_is_fetched_into_the_private_runtime_directory(tmp_path: Path) -> None:
    unit = compile_ok(tmp_path, {"web.toml": SECRET_SPEC})["web.service"]
    assert directives(unit, "RuntimeDirectory") == ["unitgen/%n"]
    assert directives(unit, "RuntimeDirectoryMode") == ["0700"]
    pre = directives(unit, "ExecStartPre")
    fetch = "/usr/bin/docker run --rm -v %t/unitgen/%n:/secrets jcderr/s3fetch python /opt/app/s3fetch.py config prod/app.env /secrets/app.env"
    assert fetch in pre  # no '-': a failed fetch fails the start
    assert pre.index(fetch) < len(pre) and "--env-file %t/unitgen/%n/app.env" in directives(unit, "ExecStart")[0]
    verify_clean({"web.service": unit})


def test_optional_secret_ignores_a_failed_fetch_and_leaves_an_empty_file(tmp_path: Path) -> None:
    spec = SECRET_SPEC + "optional = true\n"
    unit = compile_ok(tmp_path, {"web.toml": spec})["web.service"]
    pre = directives(unit, "ExecStartPre")
    assert any(p.startswith("-/usr/bin/docker run --rm") for p in pre)
    assert "/usr/bin/touch %t/unitgen/%n/app.env" in pre


def test_fetcher_image_and_command_are_project_settings(tmp_path: Path) -> None:
    project = '[fetcher]\nimage = "example/fetch:2"\ncommand = ["fetch", "s3://{bucket}/{key}", "{dest}"]\n'
    unit = compile_ok(tmp_path, {"unitgen.toml": project, "web.toml": SECRET_SPEC})["web.service"]
    assert "example/fetch:2 fetch s3://{bucket}/{key} /secrets/app.env" not in unit  # placeholders are whole words
    project = '[fetcher]\nimage = "example/fetch:2"\ncommand = ["fetch", "{bucket}", "{key}", "--to", "{dest}"]\n'
    unit = compile_ok(tmp_path / "b", {"unitgen.toml": project, "web.toml": SECRET_SPEC})["web.service"]
    assert "example/fetch:2 fetch config prod/app.env --to /secrets/app.env" in unit


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DB_PASSWORD", "hunter2"),
        ("API_TOKEN", "abc123"),
        ("SECRET", "x"),
        ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        ("DATABASE_URL", "postgres://app:s3cret@db/app"),
        ("SOMETHING", "AKIAIOSFODNN7EXAMPLE"),
    ],
)
def test_secret_looking_literals_are_errors_unless_marked(tmp_path: Path, name: str, value: str) -> None:
    spec = SIMPLE_SPEC + f'env = {{ {name} = "{value}" }}\n'
    found = error_lines(tmp_path, {"web.toml": spec})
    assert any("S601" in line and f"container.env.{name}" in line for line in found), found
    marked = SIMPLE_SPEC + f'env = {{ {name} = {{ value = "{value}", secret = false }} }}\n'
    compile_ok(tmp_path / "marked", {"web.toml": marked})


# --- presence sidekicks ----------------------------------------------------------------


def test_sidekicks_bind_to_and_follow_their_service_and_share_its_machine(tmp_path: Path) -> None:
    spec = (
        SECRET_SPEC
        + """
[presence.elb]
load_balancer = "lb-prod"

[presence.etcd]
port = 8000
"""
    )
    files = compile_ok(tmp_path, {"web.toml": spec})
    assert sorted(files) == ["web-announce.service", "web-elb-presence.service", "web.service"]
    for name in ("web-announce.service", "web-elb-presence.service"):
        unit = files[name]
        assert directives(unit, "BindsTo") == ["web.service"]
        assert directives(unit, "After") == ["web.service"]
        assert directives(unit, "MachineOf") == ["web.service"]
        assert "Global" not in unit
    assert directives(files["web.service"], "Wants") == ["web-elb-presence.service web-announce.service"]
    assert directives(files["web-announce.service"], "Restart") == ["on-failure"]
    elb = files["web-elb-presence.service"]
    assert "-e ELB_NAME=lb-prod djedstudios/elb-presence" in elb
    assert "--env-file %t/unitgen/%n/app.env" in elb  # fetches its env file like the service
    announce = files["web-announce.service"]
    start = directives(announce, "ExecStart")[0]
    assert start.endswith("/usr/bin/etcdctl /services/web/%H %H:8000 60 45")
    assert directives(announce, "ExecStop") == ["-/usr/bin/etcdctl rm /services/web/%H"]
    verify_clean(files)


def test_sidekicks_of_a_global_service_are_global_on_the_same_machines(tmp_path: Path) -> None:
    spec = (
        SIMPLE_SPEC
        + """
[fleet]
global = true
machine_metadata = { role = "django" }

[presence.elb]
load_balancer = "lb"
"""
    )
    sidekick = compile_ok(tmp_path, {"web.toml": spec})["web-elb-presence.service"]
    assert directives(sidekick, "Global") == ["true"]
    assert directives(sidekick, "MachineMetadata") == ["role=django"]
    assert "MachineOf" not in sidekick


# --- instances -------------------------------------------------------------------------


def test_instances_compile_to_a_spread_template_and_are_reported(tmp_path: Path) -> None:
    spec = (
        SIMPLE_SPEC.replace('"8000"]', '"80{{ instance }}"]')
        + """
ports = ["80{{ instance }}:8000"]

[instances]
names = ["1", "2"]

[presence.etcd]
key = "/services/web/{{ instance }}"
port = 8000
"""
    )
    files = compile_ok(tmp_path, {"web.toml": spec})
    assert sorted(files) == ["web-announce@.service", "web@.service"]
    unit = files["web@.service"]
    assert directives(unit, "Conflicts") == ["web@*.service"]
    assert "ExecStart=/usr/bin/docker run --name web-%i -p 80%i:8000 example/app:v1 serve --port 80%i" in unit
    assert directives(unit, "Wants") == ["web-announce@%i.service"]
    announce = files["web-announce@.service"]
    assert directives(announce, "BindsTo") == ["web@%i.service"]
    assert directives(announce, "MachineOf") == ["web@%i.service"]
    proc = run_unitgen("compile", "specs", cwd=tmp_path)
    assert "instances to start: out/web@1.service out/web@2.service" in proc.stdout
    verify_clean(files)


def test_a_global_spec_cannot_have_instances(tmp_path: Path) -> None:
    spec = SIMPLE_SPEC + '[fleet]\nglobal = true\n[instances]\nnames = ["1"]\n'
    assert any("S273" in e for e in error_lines(tmp_path, {"web.toml": spec}))


# --- extends ---------------------------------------------------------------------------


def test_extends_merges_tables_unions_name_lists_and_replaces_the_rest(tmp_path: Path) -> None:
    web = """\
[unit]
after = ["etcd.service"]
[container]
image = "example/app:v1"
command = ["uwsgi", "--socket", "/run/app/web.sock"]
env = { DJANGO_SETTINGS_MODULE = "app.web", WORKERS = "4" }
volumes = ["/run/app:/run/app"]
"""
    api = """\
extends = "web"
[unit]
after = ["flannel.service"]
[container]
command = ["uwsgi", "--socket", "/run/app/api.sock"]
env = { DJANGO_SETTINGS_MODULE = "app.api" }
"""
    unit = compile_ok(tmp_path, {"web.toml": web, "api.toml": api})["api.service"]
    assert directives(unit, "After") == ["etcd.service flannel.service"]
    start = directives(unit, "ExecStart")[0]
    assert "--name api -e DJANGO_SETTINGS_MODULE=app.api -e WORKERS=4 -v /run/app:/run/app" in start
    assert start.endswith("example/app:v1 uwsgi --socket /run/app/api.sock")


def test_extends_cycles_and_unknown_bases_are_errors(tmp_path: Path) -> None:
    found = error_lines(
        tmp_path,
        {
            "a.toml": 'extends = "b"\n' + SIMPLE_SPEC,
            "b.toml": 'extends = "a"\n' + SIMPLE_SPEC,
            "c.toml": 'extends = "wbe"\n' + SIMPLE_SPEC,
        },
    )
    assert any("S203" in e and "a -> b -> a" in e for e in found), found
    assert any("S202" in e and "c.toml:1:" in e for e in found), found


def test_errors_in_a_base_point_at_the_base_file(tmp_path: Path) -> None:
    base = '[container]\nimage = "example/app:v1"\nports = ["not a port"]\n'
    found = error_lines(tmp_path, {"base.toml": base, "child.toml": 'extends = "base"\n'})
    assert any("base.toml:3:" in e and "S251" in e and "container.ports[0]" in e for e in found), found


# --- environments ----------------------------------------------------------------------

ENV_PROJECT = """\
[environments.prod.vars]
bucket = "cfg-prod"
[environments.prod.defaults.fleet.machine_metadata]
environment = "prod"
[environments.stage.vars]
bucket = "cfg-stage"
[environments.stage.defaults.fleet.machine_metadata]
environment = "stage"
"""

ENV_SPEC = (
    SIMPLE_SPEC
    + """
[[container.secrets]]
bucket = "{{ vars.bucket }}"
key = "{{ vars.environment }}.env"

[environments.stage.container]
command = ["serve", "--debug"]
"""
)


def test_each_environment_compiles_into_its_own_directory(tmp_path: Path) -> None:
    files = compile_ok(tmp_path, {"unitgen.toml": ENV_PROJECT, "web.toml": ENV_SPEC})
    assert sorted(files) == ["prod/web.service", "stage/web.service"]
    prod, stage = files["prod/web.service"], files["stage/web.service"]
    assert "MachineMetadata=environment=prod" in prod and "cfg-prod prod.env" in prod
    assert "MachineMetadata=environment=stage" in stage and "cfg-stage stage.env" in stage
    assert "serve --port 8000" in prod and "serve --debug" in stage


def test_env_option_compiles_one_environment_and_leaves_the_others(tmp_path: Path) -> None:
    write_specs(tmp_path, {"unitgen.toml": ENV_PROJECT, "web.toml": ENV_SPEC})
    assert run_unitgen("compile", "specs", cwd=tmp_path).returncode == 0
    stage_before = (tmp_path / "out" / "stage" / "web.service").read_text()
    (tmp_path / "specs" / "web.toml").write_text(ENV_SPEC.replace("8000", "9000"))
    proc = run_unitgen("compile", "specs", "--env", "prod", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "9000" in (tmp_path / "out" / "prod" / "web.service").read_text()
    assert (tmp_path / "out" / "stage" / "web.service").read_text() == stage_before


def test_env_option_is_not_stopped_by_another_environments_files(tmp_path: Path) -> None:
    """A hand edit or a stale unit in stage/ is stage's business: --env prod neither
    refuses over it nor touches it."""
    write_specs(tmp_path, {"unitgen.toml": ENV_PROJECT, "web.toml": ENV_SPEC})
    assert run_unitgen("compile", "specs", cwd=tmp_path).returncode == 0
    stage = tmp_path / "out" / "stage"
    edited = (stage / "web.service").read_text().replace("--debug", "--verbose")
    (stage / "web.service").write_text(edited)
    stale = (tmp_path / "out" / "prod" / "web.service").read_text()
    (stage / "old.service").write_text(stale)
    (tmp_path / "specs" / "web.toml").write_text(ENV_SPEC.replace("8000", "9000"))
    proc = run_unitgen("compile", "specs", "--env", "prod", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "9000" in (tmp_path / "out" / "prod" / "web.service").read_text()
    assert (stage / "web.service").read_text() == edited
    assert (stage / "old.service").read_text() == stale
    whole = run_unitgen("compile", "specs", cwd=tmp_path)  # without --env, stage/ is its business
    assert whole.returncode == 1 and "O103" in whole.stderr


def test_overrides_for_an_undeclared_environment_are_an_error(tmp_path: Path) -> None:
    spec = SIMPLE_SPEC + "[environments.prdo.container]\ncommand = []\n"
    found = error_lines(tmp_path, {"unitgen.toml": ENV_PROJECT, "web.toml": spec})
    assert any("S201" in e and "did you mean 'prod'" in e for e in found), found


# --- shared volumes and sockets ---------------------------------------------------------


def test_the_example_stack_shares_its_sockets_between_uwsgi_and_nginx() -> None:
    from helpers import REPO

    result = compile_specs(REPO / "specs", environment="prod")
    files = result.files
    assert "-v /var/run/djed:/var/run/djed" in files["prod/web.service"]
    assert "--socket /var/run/djed/web.sock" in files["prod/web.service"]
    assert "--socket /var/run/djed/api.sock" in files["prod/api.service"]
    assert "-v /var/run/djed:/var/run/djed:ro" in files["prod/nginx.service"]
    assert "-e DJANGO_SETTINGS_MODULE=djed.settings.api" in files["prod/api.service"]
    assert "MachineMetadata=role=celery" in files["prod/celery.service"]
    assert "BindsTo=nginx.service" in files["prod/nginx-elb-presence.service"]
