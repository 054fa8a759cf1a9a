"""`unitgen submit`: fleetctl calls in fleet's safe order (fleet.md §5), stopping at a failure.

A recording fleetctl logs every call it gets, so the tests assert the exact command
sequence; where the run needs fleet's answers, it hands the call on to the real fleetctl
v1.0.0 on an etcd of the test's own (what fleet then reports is tested in
test_submit_fleet.py).
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from helpers import REPO, run_unitgen, write_specs
from test_issue14_validation import FLEETCTL
from test_submit_fleet import etcd

from unitgen.compile.compiler import compile_specs
from unitgen.fleet.submit import expand, submission_order

STANDIN = """\
#!/bin/sh
# Stand-in for fleetctl: one line per call, the arguments separated by " | ".
line="fleetctl"
for arg in "$@"; do line="$line | $arg"; done
printf '%s\\n' "$line" >> '{log}'
printf 'endpoint=%s\\n' "${{FLEETCTL_ENDPOINT:-}}" >> '{env_log}'
if [ -f '{fail_on}' ] && printf '%s' "$line" | grep -qF -f '{fail_on}'; then
    echo "Error creating units: stand-in told to fail" >&2
    exit 1
fi
{then}
"""
ECHO = 'echo "Unit submitted (stand-in)"'

__all__ = ["etcd"]  # a fixture: pytest finds it in this module's namespace


class FakeFleet:
    """Records each call; then answers as a stand-in, or hands the call to the real fleetctl
    on the etcd at ``endpoint`` (flags given by unitgen come later and win)."""

    def __init__(self, root: Path, endpoint: str | None = None) -> None:
        self.bin = root / "bin" / "fleetctl"
        self.endpoint = endpoint
        self.log = root / "fleetctl.log"
        self.env_log = root / "fleetctl.env"
        self.fail_on = root / "fleetctl.fail"
        self.bin.parent.mkdir(parents=True, exist_ok=True)
        then = ECHO if endpoint is None else f'exec "{FLEETCTL}" --driver=etcd --endpoint={endpoint} "$@"'
        self.bin.write_text(STANDIN.format(log=self.log, env_log=self.env_log, fail_on=self.fail_on, then=then))
        self.bin.chmod(0o755)

    def calls(self) -> list[str]:
        """The calls that submit or start, without those that read fleet's units."""
        if not self.log.exists():
            return []
        lines = [line.split(" | ") for line in self.log.read_text().splitlines()]
        return [" ".join(words) for words in lines if not {"list-unit-files", "cat"} & set(words)]

    def fail_when(self, text: str) -> None:
        self.fail_on.write_text(text + "\n")


def _use_fleetctl(specs: Path, setting: str) -> None:
    """Name the stand-in in the project file's [paths] table."""
    project = specs / "unitgen.toml"
    text = project.read_text() if project.exists() else ""
    if "[paths]" in text:
        text = text.replace("[paths]\n", f"[paths]\nfleetctl = {setting!r}\n", 1)
    else:
        text += f"\n[paths]\nfleetctl = {setting!r}\n"
    project.write_text(text)


def _examples(root: Path, endpoint: str | None) -> tuple[Path, FakeFleet]:
    shutil.copytree(REPO / "specs", root / "specs")
    shutil.copytree(REPO / "out", root / "out")
    fleet = FakeFleet(root, endpoint)
    _use_fleetctl(root / "specs", "bin/fleetctl")
    return root, fleet


@pytest.fixture
def examples(tmp_path: Path) -> tuple[Path, FakeFleet]:
    """The example project with a stand-in fleetctl, for runs that never reach fleet."""
    return _examples(tmp_path, None)


@pytest.fixture
def examples_in_fleet(tmp_path: Path, etcd: str) -> tuple[Path, FakeFleet]:
    return _examples(tmp_path, etcd)


# A template with two sidekicks, the plain unit it requires, and a one-off that must
# run before the instances: compile order alone (app, db, migrate) would be wrong.
ORDER_SPECS = {
    "app.toml": """\
        [unit]
        requires = ["db"]
        after = ["db"]
        [container]
        image = "example/app"
        tag = "v1"
        [instances]
        names = ["1", "2"]
        [presence.elb]
        load_balancer = "lb"
        [presence.etcd]
        port = 8000
    """,
    "db.toml": """\
        [container]
        image = "example/db"
        tag = "v1"
    """,
    "migrate.toml": """\
        [unit]
        requires = ["db"]
        after = ["db"]
        before = ["app@1.service", "app@2.service"]
        [container]
        image = "example/app"
        tag = "v1"
        command = ["migrate"]
    """,
}


@pytest.fixture
def ordered(tmp_path: Path, etcd: str) -> tuple[Path, FakeFleet]:
    specs = write_specs(tmp_path, ORDER_SPECS)
    fleet = FakeFleet(tmp_path, etcd)
    _use_fleetctl(specs, "bin/fleetctl")
    proc = run_unitgen("compile", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return tmp_path, fleet


# --- the order ----------------------------------------------------------------------------


PROD_ORDER = [
    "api.service",
    "api-updater.service",  # After= api
    "api-keeper.service",
    "celery.service",
    "celery-updater.service",
    "celery-keeper.service",
    "web.service",
    "nginx.service",  # Wants= and After= web and api
    "nginx-elb-presence.service",  # BindsTo= nginx
    "web-updater.service",
    "web-keeper.service",
]


def test_examples_are_submitted_dependencies_first(examples_in_fleet: tuple[Path, FakeFleet]) -> None:
    root, fleet = examples_in_fleet
    proc = run_unitgen("submit", "--env", "prod", cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert fleet.calls() == [f"fleetctl submit --replace out/prod/{unit}" for unit in PROD_ORDER]
    assert proc.stdout.splitlines()[-1] == "11 unit(s) (prod): 11 created"
    assert "+ bin/fleetctl submit --replace out/prod/api.service" in proc.stderr.splitlines()
    assert "Unit api.service" in proc.stderr.splitlines()  # fleetctl's own output passes through


def test_templates_first_then_instances_beside_them_in_dependency_order(ordered: tuple[Path, FakeFleet]) -> None:
    root, fleet = ordered
    proc = run_unitgen("submit", "--start", "--no-block", cwd=root)  # no fleetd: a blocking start never ends
    assert proc.returncode == 0, proc.stderr
    assert fleet.calls() == [
        "fleetctl submit --replace out/app@.service",
        "fleetctl submit --replace out/app-elb-presence@.service",
        "fleetctl submit --replace out/app-announce@.service",
        "fleetctl start --no-block --replace out/db.service",
        "fleetctl start --no-block --replace out/migrate.service",
        "fleetctl start --no-block --replace out/app@1.service",
        "fleetctl start --no-block --replace out/app-elb-presence@1.service",
        "fleetctl start --no-block --replace out/app-announce@1.service",
        "fleetctl start --no-block --replace out/app@2.service",
        "fleetctl start --no-block --replace out/app-elb-presence@2.service",
        "fleetctl start --no-block --replace out/app-announce@2.service",
    ]
    assert not (root / "out" / "app@1.service").exists()  # fleetctl builds instances from the template
    assert proc.stdout.splitlines()[-1] == "11 unit(s): 11 created"
    assert "app@1.service: created; not running (desired state launched" in proc.stdout
    # Nothing called started: a template never runs, and no machine runs the others.
    assert "app@.service: created; a template: fleet runs only its instances" in proc.stdout.splitlines()
    assert "start" not in proc.stdout and "running on" not in proc.stdout


def test_without_start_every_unit_is_only_submitted(ordered: tuple[Path, FakeFleet]) -> None:
    root, fleet = ordered
    assert run_unitgen("submit", cwd=root).returncode == 0
    calls = fleet.calls()
    assert len(calls) == 11
    assert all(call.startswith("fleetctl submit --replace out/") for call in calls)
    assert calls[5] == "fleetctl submit --replace out/app@1.service"


def test_no_block_and_block_attempts_go_to_start_only(examples: tuple[Path, FakeFleet]) -> None:
    root, fleet = examples
    dry = run_unitgen("submit", "--env", "prod", "--start", "--block-attempts", "5", "--dry-run", cwd=root)
    assert dry.stdout.splitlines()[0] == "bin/fleetctl start --block-attempts=5 --replace out/prod/api.service"
    for wrong in (["--block-attempts", "5"], ["--start", "--no-block", "--block-attempts", "5"]):
        refused = run_unitgen("submit", "--env", "prod", *wrong, cwd=root)
        assert refused.returncode == 2 and "--block-attempts applies to a blocking fleetctl start" in refused.stderr
    refused = run_unitgen("submit", "--env", "prod", "--no-block", cwd=root)
    assert refused.returncode == 2 and "--no-block applies to fleetctl start: use it with --start" in refused.stderr


def test_a_failing_call_stops_the_run_and_reports_what_fleet_has(ordered: tuple[Path, FakeFleet]) -> None:
    root, fleet = ordered
    fleet.fail_when("out/app@1.service")
    proc = run_unitgen("submit", "--start", "--no-block", cwd=root)
    assert proc.returncode == 1
    assert fleet.calls() == [
        "fleetctl submit --replace out/app@.service",
        "fleetctl submit --replace out/app-elb-presence@.service",
        "fleetctl submit --replace out/app-announce@.service",
        "fleetctl start --no-block --replace out/db.service",
        "fleetctl start --no-block --replace out/migrate.service",
        "fleetctl start --no-block --replace out/app@1.service",
    ]
    lines = proc.stderr.splitlines()
    assert "Error creating units: stand-in told to fail" in lines  # fleetctl's own message passes through
    assert (
        "unitgen: fleetctl failed (exit status 1): bin/fleetctl start --no-block --replace out/app@1.service" in lines
    )
    assert [line.partition(";")[0] for line in proc.stdout.splitlines()] == [
        "app@.service: created",
        "app-elb-presence@.service: created",
        "app-announce@.service: created",
        "db.service: created",
        "migrate.service: created",
        "app@1.service: not submitted (Error creating units: stand-in told to fail)",
        "app-elb-presence@1.service: not run",
        "app-announce@1.service: not run",
        "app@2.service: not run",
        "app-elb-presence@2.service: not run",
        "app-announce@2.service: not run",
        "11 unit(s): 5 created, 1 not submitted, 5 not run",
    ]


def test_failure_on_the_first_call_submits_nothing(examples_in_fleet: tuple[Path, FakeFleet]) -> None:
    root, fleet = examples_in_fleet
    fleet.fail_when("api.service")
    proc = run_unitgen("submit", "--env", "prod", cwd=root)
    assert proc.returncode == 1
    assert len(fleet.calls()) == 1
    assert proc.stdout.splitlines()[-1] == "11 unit(s) (prod): 1 not submitted, 10 not run"


# --- what reaches fleetctl ------------------------------------------------------------------


def test_dry_run_prints_the_exact_commands_and_runs_nothing(examples: tuple[Path, FakeFleet]) -> None:
    root, fleet = examples
    proc = run_unitgen("submit", "--env", "stage", "--start", "--dry-run", cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [f"bin/fleetctl start --replace out/stage/{unit}" for unit in PROD_ORDER]
    assert fleet.calls() == []


def test_global_flags_go_before_the_subcommand(examples: tuple[Path, FakeFleet]) -> None:
    root, fleet = examples
    proc = run_unitgen(
        "submit",
        "--env",
        "test",
        "--driver",
        "etcd",
        "--tunnel",
        "bastion:2222",
        "--endpoint",
        "http://10.0.0.1:2379",
        "--dry-run",
        cwd=root,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == (
        "bin/fleetctl --endpoint=http://10.0.0.1:2379 --tunnel=bastion:2222 --driver=etcd submit --replace "
        "out/test/api.service"
    )


def test_fleetctl_environment_variables_are_left_to_fleetctl(examples_in_fleet: tuple[Path, FakeFleet]) -> None:
    root, fleet = examples_in_fleet
    proc = run_unitgen("submit", "--env", "prod", cwd=root, env={"FLEETCTL_ENDPOINT": "http://etcd.example:2379"})
    assert proc.returncode == 0, proc.stderr
    assert fleet.calls()[0] == "fleetctl submit --replace out/prod/api.service"  # not repeated as a flag
    assert set(fleet.env_log.read_text().splitlines()) == {"endpoint=http://etcd.example:2379"}


def test_paths_with_spaces_are_quoted_in_the_dry_run(tmp_path: Path) -> None:
    root = tmp_path / "deploy dir"
    specs = write_specs(root, {"web.toml": ORDER_SPECS["db.toml"]})
    _use_fleetctl(specs, "/opt/fleet tools/fleetctl")
    assert run_unitgen("compile", "-q", cwd=root).returncode == 0
    proc = run_unitgen("submit", "--dry-run", cwd=root)
    assert proc.stdout == "'/opt/fleet tools/fleetctl' submit --replace out/web.service\n"


def test_fleetctl_option_overrides_the_setting(examples_in_fleet: tuple[Path, FakeFleet]) -> None:
    root, fleet = examples_in_fleet
    other = FakeFleet(root / "other", fleet.endpoint)
    proc = run_unitgen("submit", "--env", "prod", "--fleetctl", str(other.bin), cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert fleet.calls() == [] and len(other.calls()) == len(PROD_ORDER)


def test_default_fleetctl_is_looked_up_on_path(tmp_path: Path, etcd: str) -> None:
    specs = write_specs(tmp_path, {"web.toml": ORDER_SPECS["db.toml"]})
    fleet = FakeFleet(tmp_path, etcd)
    assert run_unitgen("compile", "-q", cwd=tmp_path).returncode == 0
    assert run_unitgen("submit", "--dry-run", cwd=tmp_path).stdout == "fleetctl submit --replace out/web.service\n"
    import os

    proc = run_unitgen("submit", cwd=tmp_path, env={"PATH": f"{fleet.bin.parent}{os.pathsep}{os.environ['PATH']}"})
    assert proc.returncode == 0, proc.stderr
    assert fleet.calls() == ["fleetctl submit --replace out/web.service"]
    assert specs.is_dir()


# --- refusals -------------------------------------------------------------------------------


def test_environment_is_required_when_the_project_has_environments(examples: tuple[Path, FakeFleet]) -> None:
    root, fleet = examples
    proc = run_unitgen("submit", "--dry-run", cwd=root)
    assert proc.returncode == 2
    assert "this project has environments (prod, stage, test): choose one with --env" in proc.stderr
    assert run_unitgen("submit", "--env", "qa", cwd=root).returncode == 2
    assert fleet.calls() == []


def test_out_of_date_units_are_never_submitted(examples: tuple[Path, FakeFleet]) -> None:
    root, fleet = examples
    web = root / "specs" / "web.toml"
    web.write_text(web.read_text().replace('"--processes", "4"', '"--processes", "8"'))
    proc = run_unitgen("submit", "--env", "prod", cwd=root)
    assert proc.returncode == 1
    assert "out/prod/web.service: stale" in proc.stderr
    assert "nothing submitted. Run unitgen compile specs --env prod first." in proc.stderr
    assert fleet.calls() == []
    assert run_unitgen("submit", "--env", "prod", "--dry-run", cwd=root).returncode == 1


def test_invalid_specs_are_never_submitted(examples: tuple[Path, FakeFleet]) -> None:
    root, fleet = examples
    (root / "specs" / "web.toml").write_text("[container]\nimage = 1\n")
    assert run_unitgen("submit", "--env", "prod", cwd=root).returncode == 1
    assert fleet.calls() == []


def test_an_instance_file_beside_its_template_is_refused(ordered: tuple[Path, FakeFleet]) -> None:
    root, fleet = ordered
    (root / "out" / "app@2.service").write_text("[Service]\nExecStart=/bin/true\n")
    proc = run_unitgen("submit", cwd=root)
    assert proc.returncode == 1
    assert "instance files beside their templates (out/app@2.service)" in proc.stderr
    assert fleet.calls() == []


def test_missing_fleetctl_is_reported_before_anything_runs(examples: tuple[Path, FakeFleet]) -> None:
    root, fleet = examples
    fleet.bin.unlink()
    proc = run_unitgen("submit", "--env", "prod", cwd=root)
    assert proc.returncode == 1
    assert "unitgen: fleetctl not found: 'bin/fleetctl'" in proc.stderr
    assert "Traceback" not in proc.stderr


# --- ordering rules, in process ------------------------------------------------------------


def _order(tmp_path: Path, files: dict[str, str]) -> list[str]:
    result = compile_specs(write_specs(tmp_path, files), keep_ir=True)
    assert result.ok, [d.format() for d in result.diagnostics]
    return [node.name for node in submission_order(result.units)]


def _spec(unit: str = "") -> str:
    return textwrap.dedent(unit) + '[container]\nimage = "example/x"\ntag = "v1"\n'


def test_before_puts_the_writer_first(tmp_path: Path) -> None:
    assert _order(tmp_path, {"a.toml": _spec(), "z.toml": _spec('[unit]\nbefore = ["a"]\n')}) == [
        "z.service",
        "a.service",
    ]


def test_explicit_ordering_wins_over_a_requirement(tmp_path: Path) -> None:
    files = {"a.toml": _spec('[unit]\nrequires = ["z"]\nbefore = ["z"]\n'), "z.toml": _spec()}
    assert _order(tmp_path, files) == ["a.service", "z.service"]


def test_requirement_without_ordering_still_goes_first(tmp_path: Path) -> None:
    files = {
        "a.toml": _spec('[unit]\nbinds_to = ["m"]\n'),
        "m.toml": _spec('[unit]\nwants = ["z"]\n'),
        "z.toml": _spec(),
    }
    assert _order(tmp_path, files) == ["z.service", "m.service", "a.service"]


def test_machine_of_peer_goes_first(tmp_path: Path) -> None:
    files = {"a.toml": _spec() + '[fleet]\nmachine_of = ["z"]\n', "z.toml": _spec()}
    assert _order(tmp_path, files) == ["z.service", "a.service"]


def test_external_units_are_not_submitted(tmp_path: Path) -> None:
    assert _order(tmp_path, {"a.toml": _spec('[unit]\nrequires = ["docker.service"]\n')}) == ["a.service"]


def test_expand_specifiers_in_relations() -> None:
    assert expand("app@%i.service", "app-announce@2.service") == "app@2.service"
    assert expand("app@%i.service", "app-announce@.service") == "app@.service"
    assert expand("%p-db.service %N %n %% %H", "web@blue.service") == "web-db.service web@blue web@blue.service % %H"
