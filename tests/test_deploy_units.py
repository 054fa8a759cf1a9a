"""The [deploy] section and the units it generates: checked values, exact argv (read back
from systemd's own parse), systemd-analyze and the real fleetctl v1.0.0, the key layout
the scripts and ``unitgen deploy`` share, and the command's usage errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import require
from helpers import REPO, run_unitgen, write_specs
from support.verify_dump import verify_with_dump
from test_issue14_validation import fleet_registry, fleetctl_submit

from unitgen.compile.compiler import compile_specs
from unitgen.compile.deploy import LOADER, script_chunks
from unitgen.fleet.deploy import Etcdctl
from unitgen.systemd.analyze import find_systemd_analyze

__all__ = ["fleet_registry"]  # a fixture: pytest finds it in this module's namespace

PROJECT = '[runtime]\nversion = "/app-version"\n'
HOSTILE = ["it's", "$HOME", "`id`; rm -rf /", "%n", "two\nlines", '"quoted"', "{{ '{{' }}"]
APP = """\
[container]
image = "example/app"
tag = "{{ runtime.version }}"
env = { MODE = "a b; c" }
volumes = ["/srv/data:/data"]

[deploy]
strategy = "rolling"
batch_size = 2
health = HEALTH

[[deploy.maintenance]]
command = MAINTENANCE

[fleet]
machine_metadata = { role = "web" }
"""


def hostile_app() -> str:
    words = "[" + ", ".join(json.dumps(word) for word in HOSTILE) + "]"
    return APP.replace("HEALTH", words).replace("MAINTENANCE", words)


def compiled(tmp_path: Path, project: str = PROJECT, app: str | None = None) -> dict[str, str]:
    result = compile_specs(write_specs(tmp_path, {"unitgen.toml": project, "app.toml": app or hostile_app()}))
    assert result.ok, [d.format() for d in result.diagnostics]
    return result.files


def errors(tmp_path: Path, app: str, project: str = PROJECT) -> list[str]:
    result = compile_specs(write_specs(tmp_path, {"unitgen.toml": project, "app.toml": app}))
    return [d.format() for d in result.diagnostics if d.is_error]


def test_systemd_runs_exactly_the_script_and_the_spec_values_as_arguments(tmp_path: Path) -> None:
    require(find_systemd_analyze(), "systemd-analyze is not installed")
    units = compiled(tmp_path)
    assert set(units) == {"app.service", "app-updater.service", "app-keeper.service"}
    verdict = verify_with_dump({name: units[name] for name in ("app-updater.service", "app-keeper.service")})
    assert verdict.problems == ()
    # The dump is systemd's parse; "$$" becomes "$" when the command runs (no variable is used).
    argv = [
        [w.replace("$$", "$") for w in a] for key, a in verdict.commands["app-updater.service"] if key == "ExecStart"
    ][0]
    chunks = script_chunks("updater")
    assert list(argv[:5]) == ["/bin/sh", "-c", LOADER, "unitgen-updater", str(len(chunks))]
    assert list(argv[5 : 5 + len(chunks)]) == list(chunks)
    values = list(argv[5 + len(chunks) :])
    literal = ["{{" if word == "{{ '{{' }}" else word for word in HOSTILE]  # the template's value
    options = ["-e", "MODE=a b; c", "-v", "/srv/data:/data"]
    assert values == [
        "/usr/bin/etcdctl", "2", values[2], "/unitgen/deploy/app", "/app-version", "30", "5", "app.service",
        "/usr/bin/systemctl", "/usr/bin/docker", "example/app", "app", "rolling", "2", "60", "0",
        str(len(literal)), *literal,
        str(1 + len(options) + len(literal)), str(len(options)), *options, *literal,
    ]  # fmt: skip
    assert re.fullmatch(r"[0-9a-f]{32}", values[2])  # %m: the machine ID, filled in by systemd
    keeper = [a for key, a in verdict.commands["app-keeper.service"] if key == "ExecStart"][0]
    assert [w.replace("$$", "$") for w in keeper[5:-9]] == list(script_chunks("keeper"))
    assert list(keeper[-9:]) == [
        "/usr/bin/etcdctl", "2", values[2], "/unitgen/deploy/app", "app.service", "/usr/bin/systemctl", "5", "5", "10"
    ]  # fmt: skip


def test_every_line_fits_fleet_and_the_units_sit_beside_the_service(tmp_path: Path) -> None:
    units = compiled(tmp_path, PROJECT + 'etcd_api = "3"\n[environments.prod]\n')
    updater = units["prod/app-updater.service"]
    assert max(len(line.encode()) for line in updater.splitlines()) < 2048
    assert "MachineOf=app.service" in updater and "/unitgen/deploy/prod/app" in updater
    assert "After=app.service" in units["prod/app-keeper.service"]


def test_fleet_accepts_the_deploy_units(tmp_path: Path, fleet_registry: list[str]) -> None:
    for api in ("2", "3"):
        units = compiled(tmp_path / f"v{api}", PROJECT + f'etcd_api = "{api}"\n')
        for name in ("app-updater.service", "app-keeper.service"):
            unique = f"{tmp_path.name}-v{api}-{name}"
            submitted = fleetctl_submit(fleet_registry, tmp_path, unique, units[name])
            assert submitted.returncode == 0 and not submitted.stderr, submitted.stderr


def test_the_example_web_app_runs_its_maintenance_once_per_version() -> None:
    result = compile_specs(REPO / "specs", environment="prod")
    assert result.ok
    assert {(p.service, p.prefix, p.version_key) for p in result.deploys} == {
        (name, f"/unitgen/deploy/prod/{name}", "/djed-version") for name in ("web", "api", "celery")
    }
    files = result.files
    assert "manage.py migrate --noinput" in files["prod/web-updater.service"]
    assert "manage.py" not in files["prod/api-updater.service"] + files["prod/celery-updater.service"]


SIMPLE = '[container]\nimage = "example/app"\ntag = "{{ runtime.version }}"\n'


@pytest.mark.parametrize(
    ("app", "code", "says"),
    [
        ('[container]\nimage = "example/app"\ntag = "v1"\n[deploy]\n', "S290", "must be exactly"),
        (SIMPLE + '[deploy]\nversion = "release"\n', "S290", "no [runtime] name"),
        (SIMPLE + "[deploy]\nttl = 5\npoll = 5\n", "S291", "below deploy.ttl"),
        (SIMPLE + "[deploy]\nbatch_size = 0\n", "S291", "positive"),
        (SIMPLE + '[instances]\nnames = ["1"]\n[deploy]\n', "S292", "template"),
        (SIMPLE + "[deploy]\n[[deploy.maintenance]]\ncommand = []\n", "S293", "argv"),
        (SIMPLE + '[deploy]\nstrategy = "canary"\n', "S102", "canary"),
    ],
)
def test_a_deploy_that_cannot_work_is_an_error(tmp_path: Path, app: str, code: str, says: str) -> None:
    found = errors(tmp_path, app)
    assert any(f" {code} " in e and says in e for e in found), found


def test_deploy_after_names_deployed_specs_of_the_same_version_key(tmp_path: Path) -> None:
    project = PROJECT + 'release = "/app-release"\n'
    cases = [
        ('after = ["wbe"]', "S350", "'wbe', which is not a spec"),
        ('after = ["api"]', "S350", "'api', which is this spec"),
        ('after = ["plain"]', "S350", "'plain', which has no [deploy]"),
        ('after = ["other"]', "S350", "deployed from 'release', not from 'version'"),
        ('after = ["web"]', "S351", "deploy.after cycle: api -> web -> api"),
    ]
    for i, (after, code, says) in enumerate(cases):
        specs = {
            "unitgen.toml": project,
            "api.toml": SIMPLE + f"[deploy]\n{after}\n",
            "web.toml": SIMPLE + '[deploy]\nafter = ["api"]\n',
            "plain.toml": SIMPLE,
            "other.toml": SIMPLE.replace("version", "release") + '[deploy]\nversion = "release"\n',
        }
        result = compile_specs(write_specs(tmp_path / str(i), specs))
        found = [d.format() for d in result.diagnostics if d.is_error]
        assert any(f" {code} " in e and says in e and "api.toml" in e for e in found), (after, found)


def test_the_example_api_waits_for_the_web_apps_maintenance() -> None:
    files = compile_specs(REPO / "specs", environment="prod").files
    for name in ("api", "celery"):
        assert " 1 /unitgen/deploy/prod/web " in files[f"prod/{name}-updater.service"]
    assert "/unitgen/deploy/prod/api" not in files["prod/web-updater.service"]


def test_the_scripts_and_the_command_use_the_documented_keys() -> None:
    """Every key the scripts write or read is in docs/deploy.md, and unitgen deploy reads
    the same names (the scenario tests prove they meet in a real etcd)."""
    doc = (REPO / "docs" / "deploy.md").read_text()
    command = (REPO / "unitgen" / "fleet" / "deploy.py").read_text()
    used = set()
    for role in ("updater", "keeper"):
        script = (REPO / "unitgen" / "compile" / "scripts" / f"{role}.sh").read_text()
        used |= set(re.findall(r"\$(?:prefix|d)/([a-z]+)", script))
    assert used == {"current", "leader", "machines", "versions", "keeper", "state", "maintenance", "pulled",
                    "failed", "go", "restarted", "healthy"}  # fmt: skip
    for name in used:
        assert re.search(rf"[/{{,]{name}\b", doc), f"docs/deploy.md does not name {name}"
        assert re.search(rf"[/{{,\"]{name}\b", command), f"fleet/deploy.py does not name {name}"


def test_deploy_usage_errors_and_an_unreachable_etcd_are_one_clear_line(tmp_path: Path) -> None:
    write_specs(tmp_path, {"unitgen.toml": PROJECT, "app.toml": SIMPLE, "web.toml": SIMPLE + "[deploy]\n"})
    no_deploy = write_specs(tmp_path / "plain", {"unitgen.toml": PROJECT, "app.toml": SIMPLE})
    proc = run_unitgen("deploy", "v2", "--specs", str(no_deploy), cwd=tmp_path)
    assert proc.returncode == 2 and "no spec of this environment has a [deploy] section" in proc.stderr
    proc = run_unitgen("deploy", "v2;rm", cwd=tmp_path)
    assert proc.returncode == 2 and "is not a version" in proc.stderr
    proc = run_unitgen(
        "deploy", "v2", "--endpoint", "http://127.0.0.1:9", "--etcdctl", "/nonexistent/etcdctl", cwd=tmp_path
    )
    assert proc.returncode == 1 and "cannot run /nonexistent/etcdctl" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_the_tunnel_runs_etcdctl_on_the_host_through_ssh() -> None:
    etcd = Etcdctl("/usr/bin/etcdctl", "3", tunnel="bastion.example.com")
    assert etcd.argv("put", "/app-version", "v2") == [
        "ssh", "--", "bastion.example.com", "env ETCDCTL_API=3 /usr/bin/etcdctl put /app-version v2"
    ]  # fmt: skip
    local = Etcdctl("etcdctl", "2", endpoint="http://10.0.0.5:2379")
    assert local.shell("set", "/app-version", "v 2") == (
        "ETCDCTL_API=2 etcdctl --endpoints=http://10.0.0.5:2379 set /app-version 'v 2'"
    )


@pytest.mark.parametrize("host", ["-oProxyCommand=touch /tmp/pwned", ""])
def test_a_tunnel_host_that_ssh_would_read_as_an_option_is_refused(tmp_path: Path, host: str) -> None:
    proc = run_unitgen("deploy", "v2", "--tunnel", host, "--dry-run", cwd=tmp_path)
    assert proc.returncode == 2
    assert "--tunnel" in proc.stderr and "is not a host name" in proc.stderr


def test_a_spec_name_no_description_can_hold_is_reported_not_a_crash(tmp_path: Path) -> None:
    spec = '[unit]\nname = "\\n[Service]\\nExecStart=/bin/evil"\n[container]\nimage = "example/app"\n'
    spec += 'tag = "{{ runtime.version }}"\n[deploy]\n'
    result = compile_specs(write_specs(tmp_path, {"web.toml": spec, "unitgen.toml": PROJECT}))
    assert [d.code for d in result.diagnostics if d.is_error] == ["S210"]
    assert not any(line.startswith("ExecStart=/bin/evil") for unit in result.units for line in unit.text.splitlines())
