"""`unitgen submit` and `unitgen status` against the real fleetctl v1.0.0 and a real etcd
(the etcd driver: no fleetd, so no machine ever runs a unit).

fleet without fleetd still keeps each unit's desired state: `fleetctl start --no-block`
sets it to 'launched', which is all fleetctl's `submit --replace` looks at before it
refuses to replace a unit.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import require
from helpers import REPO, run_unitgen
from support.etcd import etcd_server
from test_issue14_validation import FLEETCTL

from unitgen.fleet.fleetctl import fleet_hash
from unitgen.systemd.gounitfile import fleet_text

APP = """\
[unit]
description = "App {n}"
[container]
image = "example/app"
tag = "v1"
command = ["serve", "--workers", "{n}"]
[instances]
names = ["1", "2"]
"""
DB = '[container]\nimage = "example/db"\ntag = "v1"\n'


@pytest.fixture
def etcd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh etcd (v2 API on) on loopback for one test: its client URL."""
    require(FLEETCTL.is_file(), f"fleetctl v1.0.0 is not at {FLEETCTL}")
    server = shutil.which("etcd")
    require(server, "etcd is not installed (Debian's etcd-server)")
    assert server is not None
    with etcd_server(server, tmp_path_factory.mktemp("etcd")) as client_url:
        yield client_url


class Fleet:
    def __init__(self, endpoint: str, root: Path) -> None:
        self.endpoint = endpoint
        self.root = root
        self.flags = ["--fleetctl", str(FLEETCTL), "--driver", "etcd", "--endpoint", endpoint]

    def fleetctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        argv = [str(FLEETCTL), "--driver=etcd", f"--endpoint={self.endpoint}", *args]
        return subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=self.root)

    def unitgen(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_unitgen(*args, *self.flags, cwd=self.root)

    def cat(self, name: str) -> str:
        return self.fleetctl("cat", name).stdout

    def names(self) -> list[str]:
        listed = self.fleetctl("list-unit-files", "--no-legend", "--fields=unit")
        return sorted(listed.stdout.split())


def project(root: Path, files: dict[str, str], name: str | None = "shop") -> Path:
    specs = root / "specs"
    specs.mkdir(parents=True, exist_ok=True)
    for old in specs.glob("*.toml"):
        old.unlink()
    if name is not None:
        (specs / "unitgen.toml").write_text(f'project = "{name}"\n')
    for file_name, text in files.items():
        (specs / file_name).write_text(text)
    compiled = run_unitgen("compile", "-q", "specs", cwd=root)
    assert compiled.returncode == 0, compiled.stderr
    return specs


@pytest.fixture
def fleet(etcd: str, tmp_path: Path) -> Fleet:
    return Fleet(etcd, tmp_path)


def test_fleet_stores_each_generated_unit_as_unitgen_predicts_it(fleet: Fleet) -> None:
    """fleet's normal form, marker section included: `fleetctl cat` equals the prediction
    byte for byte and list-unit-files' hash is its SHA-1, for every example unit."""
    shutil.copytree(REPO / "specs", fleet.root / "specs")
    shutil.copytree(REPO / "out", fleet.root / "out")
    assert fleet.unitgen("submit", "--env", "prod").returncode == 0
    listed = fleet.fleetctl("list-unit-files", "--full", "--no-legend", "--fields=unit,hash").stdout.split()
    hashes = dict(zip(listed[::2], listed[1::2], strict=True))
    assert len(hashes) == len(list((REPO / "out" / "prod").glob("*.service"))) == 11
    for name, digest in hashes.items():
        generated = (fleet.root / "out" / "prod" / name).read_text()
        held = fleet.cat(name)
        assert held == fleet_text(generated.encode())
        assert not held.startswith("#") and "[X-Unitgen]\nProject=djed\nEnvironment=prod\n" in held
        assert digest == fleet_hash(generated) == hashlib.sha1(held.encode()).hexdigest()


def test_created_replaced_unchanged_are_reported_from_fleet(fleet: Fleet) -> None:
    project(fleet.root, {"app.toml": APP.format(n=1), "db.toml": DB})
    first = fleet.unitgen("submit")
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        "app@.service: created; a template: fleet runs only its instances",
        "app@1.service: created; not running (desired state inactive, state inactive, no machine)",
        "app@2.service: created; not running (desired state inactive, state inactive, no machine)",
        "db.service: created; not running (desired state inactive, state inactive, no machine)",
        "4 unit(s): 4 created",
    ]
    project(fleet.root, {"app.toml": APP.format(n=2), "db.toml": DB})
    second = fleet.unitgen("submit")
    assert second.returncode == 0, second.stderr
    assert [line.partition(";")[0] for line in second.stdout.splitlines()] == [
        "app@.service: replaced",
        "app@1.service: replaced",
        "app@2.service: replaced",
        "db.service: unchanged",
        "4 unit(s): 3 replaced, 1 unchanged",
    ]
    assert "serve --workers 2" in fleet.cat("app@2.service")


def test_a_changed_running_unit_is_refused_reported_and_replaced_by_start(fleet: Fleet) -> None:
    project(fleet.root, {"app.toml": APP.format(n=1), "db.toml": DB})
    assert fleet.unitgen("submit").returncode == 0
    launched = fleet.fleetctl("start", "--no-block", "app@1.service")
    assert launched.returncode == 0, launched.stderr
    project(fleet.root, {"app.toml": APP.format(n=3), "db.toml": DB})
    refused = fleet.unitgen("submit")
    assert refused.returncode == 1
    assert "Warning: can not replace Unit(app@1.service) in state 'launched'" in refused.stderr
    lines = refused.stdout.splitlines()
    assert lines[1] == (
        "app@1.service: refused (fleet holds it in state 'launched' and keeps its old text); "
        "not running (desired state launched, state inactive, no machine)"
    )
    assert lines[-1] == "4 unit(s): 2 replaced, 1 unchanged, 1 refused"
    assert "started" not in refused.stdout and "running on" not in refused.stdout
    assert (
        "unitgen: fleet kept the old text of 1 loaded or launched unit(s): app@1.service. "
        "Run unitgen submit specs --start to replace them" in refused.stderr
    )
    assert "--workers 1" in fleet.cat("app@1.service")  # fleet kept the old text
    # The way out, as the message says (--no-block: no fleetd will ever run it).
    started = fleet.unitgen("submit", "--start", "--no-block")
    assert started.returncode == 0, started.stderr
    assert "app@1.service: replaced; not running (desired state launched, state inactive, no machine)" in (
        started.stdout.splitlines()
    )
    assert "--workers 3" in fleet.cat("app@1.service")
    assert "running on" not in started.stdout


def test_start_never_waits_past_the_timeout_nor_claims_a_start(fleet: Fleet) -> None:
    project(fleet.root, {"db.toml": DB})
    began = time.monotonic()
    proc = fleet.unitgen("submit", "--start", "--timeout", "3")
    took = time.monotonic() - began
    assert proc.returncode == 1
    assert took < 20, took
    assert proc.stdout.splitlines() == [
        "db.service: created; not running (desired state launched, state inactive, no machine)",
        "1 unit(s): 1 created",
    ]
    assert "unitgen: stopped after --timeout 3 s" in proc.stderr
    assert not fleet.fleetctl("list-unit-files").stderr


def test_block_attempts_reach_fleetctl_and_its_failure_is_reported(fleet: Fleet) -> None:
    project(fleet.root, {"db.toml": DB, "app.toml": APP.format(n=1)})
    proc = fleet.unitgen("submit", "--start", "--block-attempts", "1")
    assert proc.returncode == 1
    assert "start --block-attempts=1 --replace out/app@1.service" in proc.stderr
    assert "timed out waiting for unit app@1.service to report state launched" in proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[1].startswith("app@1.service: created (Error waiting for unit states")
    assert lines[1].endswith("not running (desired state launched, state inactive, no machine)")
    assert lines[2:] == ["app@2.service: not run", "db.service: not run", "4 unit(s): 2 created, 2 not run"]
    assert "unitgen: fleetctl failed (exit status 1): " in proc.stderr


def test_prune_destroys_our_orphans_only(fleet: Fleet) -> None:
    project(fleet.root, {"app.toml": APP.format(n=1), "db.toml": DB, "cache.toml": DB})
    assert fleet.unitgen("submit").returncode == 0
    (fleet.root / "hand.service").write_text("[Service]\nExecStart=/bin/true\n")
    assert fleet.fleetctl("submit", "hand.service").returncode == 0
    other = fleet.root / "other"  # another project, its own specs, the same cluster
    project(other, {"redis.toml": DB.replace("db", "redis")}, name="blog")
    assert run_unitgen("submit", *fleet.flags, cwd=other).returncode == 0
    project(fleet.root, {"db.toml": DB})  # app and cache removed from the specs
    drift = fleet.unitgen("status")
    assert drift.returncode == 1
    assert drift.stdout.splitlines() == [
        "app@1.service: orphaned (marked Project=shop, no longer generated)",
        "app@2.service: orphaned (marked Project=shop, no longer generated)",
        "cache.service: orphaned (marked Project=shop, no longer generated)",
        "app@.service: orphaned (marked Project=shop, no longer generated)",  # a template after its instances
    ]
    assert "0 missing, 0 different, 4 orphaned" in drift.stderr
    assert fleet.names() == ["app@.service", "app@1.service", "app@2.service", "cache.service", "db.service",
                             "hand.service", "redis.service"]  # fmt: skip
    dry = fleet.unitgen("submit", "--prune", "--dry-run")
    assert dry.stdout.splitlines()[-4:] == [
        f"{FLEETCTL} --endpoint={fleet.endpoint} --driver=etcd destroy {name}"
        for name in ("app@1.service", "app@2.service", "cache.service", "app@.service")
    ]
    assert len(fleet.names()) == 7
    pruned = fleet.unitgen("submit", "--prune")
    assert pruned.returncode == 0, pruned.stderr
    assert pruned.stdout.splitlines()[-2:] == ["app@.service: destroyed (pruned)", "1 unit(s): 1 unchanged, 4 pruned"]
    assert fleet.names() == ["db.service", "hand.service", "redis.service"]  # neither foreign unit touched
    assert "Project=blog" in fleet.cat("redis.service")
    assert fleet.unitgen("status").returncode == 0


def test_prune_needs_the_project_named(fleet: Fleet) -> None:
    project(fleet.root, {"db.toml": DB}, name=None)
    proc = fleet.unitgen("submit", "--prune")
    assert proc.returncode == 2
    assert "--prune destroys the units marked as this project's: name it first" in proc.stderr
    assert fleet.names() == []


def test_status_reports_missing_and_different_and_is_clean_in_sync(fleet: Fleet) -> None:
    project(fleet.root, {"db.toml": DB, "app.toml": APP.format(n=1)})
    assert fleet.unitgen("submit").returncode == 0
    clean = fleet.unitgen("status")
    assert (clean.returncode, clean.stdout) == (0, "out: 4 unit(s) in sync with fleet\n")
    project(fleet.root, {"db.toml": DB, "app.toml": APP.format(n=5), "web.toml": DB})
    drift = fleet.unitgen("status")
    assert drift.returncode == 1
    lines = drift.stdout.splitlines()
    assert "web.service: missing (fleet does not have it)" in lines
    assert "app@.service: different (fleet holds other text)" in lines
    assert "-ExecStart=/usr/bin/docker run --name app-%i example/app:v1 serve --workers 1" in lines
    assert "+ExecStart=/usr/bin/docker run --name app-%i example/app:v1 serve --workers 5" in lines
    assert "unitgen: fleet differs from out/: 1 missing, 3 different, 0 orphaned" in drift.stderr


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_prints_the_summary_of_what_was_done(fleet: Fleet, signum: signal.Signals, status: int) -> None:
    project(fleet.root, {"db.toml": DB, "app.toml": APP.format(n=1)})
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    process = subprocess.Popen(
        [sys.executable, "-m", "unitgen", "submit", "--start", *fleet.flags],
        cwd=fleet.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    # app@1.service is the first unit that runs; its start then waits for a machine forever.
    while "launched" not in fleet.fleetctl("list-unit-files", "--no-legend", "--fields=unit,dstate").stdout:
        assert time.monotonic() < deadline and process.poll() is None, "the start of app@1.service never came"
        time.sleep(0.2)
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == status, stderr
    assert stdout.splitlines() == [
        "app@.service: created",
        "app@1.service: interrupted",
        "app@2.service: not run",
        "db.service: not run",
        "4 unit(s): 1 created, 1 interrupted, 2 not run",
    ]
    assert f"unitgen: interrupted by {signum.name}: the units above are what was done" in stderr


def test_a_project_name_that_is_not_one_plain_word_is_refused(tmp_path: Path) -> None:
    """The name goes into every unit: it can add no line, no section, nothing but one word."""
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "unitgen.toml").write_text('project = "shop\\n[Service]"\n')
    (specs / "db.toml").write_text(DB)
    proc = run_unitgen("compile", "specs", cwd=tmp_path)
    assert proc.returncode == 1
    assert "specs/unitgen.toml:1:1: S206 error project: project name 'shop\\n[Service]' cannot mark a unit" in (
        proc.stderr
    )
    assert not (tmp_path / "out").exists()
