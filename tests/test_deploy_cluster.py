"""Deploys across machines, with real components: the generated updater and keeper units
run under several throw-away ``systemd --user`` managers (each its own machine ID) against
a real etcd (Debian's, v2 and v3 APIs), driven by ``unitgen deploy``; docker is the
stand-in, which records pulls, runs and stops per machine (``support/cluster.py``).

The figures the issue asks for (the time a three-machine deploy takes, etcd requests per
machine per deploy) are printed by the three-machine test: run it with ``-n 0 -s``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import attrs
from conftest import require
from helpers import REPO, write_specs
from support.cluster import DOCKER, ETCDCTL, SYSTEMCTL, EtcdServer, Machine, wait_for
from support.user_manager import available

from unitgen.compile.compiler import compile_specs

PREFIX = "/unitgen/deploy/app"
TIMEOUT = 40.0

PROJECT = f"""\
etcd_api = "{{api}}"

[paths]
docker = "{DOCKER}"
etcdctl = "{ETCDCTL}"
systemctl = "{SYSTEMCTL}"

[runtime]
version = "/app-version"
"""

APP = """\
[container]
image = "example/app"
tag = "{{{{ runtime.version }}}}"
command = ["serve"]

[[container.secrets]]
bucket = "cfg"
key = "app.env"
name = "app.env"

[deploy]
strategy = "{strategy}"
batch_size = 1
health = ["check", "--ready"]
health_timeout = 5
ttl = 3
poll = 1
relaunch_backoff = 1
relaunch_limit = 2

[[deploy.maintenance]]
command = ["manage", "migrate"]

[[deploy.maintenance]]
command = ["manage", "collectstatic", "--noinput"]

[fleet]
global = true
"""

UNITS = ("app.service", "app-updater.service", "app-keeper.service")

# Two services of one image and version key: web migrates, api waits for it (docs/deploy.md).
ORDERED = {
    "web": APP.format(strategy="all-at-once"),
    "api": APP.format(strategy="all-at-once").split("[[deploy.maintenance]]")[0]
    + 'after = ["web"]\n\n[fleet]\nglobal = true\n',
}


@attrs.define
class Cluster:
    api: str
    etcd: EtcdServer
    machines: list[Machine]
    specs: Path

    def get(self, key: str) -> str | None:
        return self.etcd.get(self.api, key)

    def unitgen(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONPATH": str(REPO), "PATH": f"/usr/bin:/bin:{os.environ['PATH']}"}
        return subprocess.run(
            [sys.executable, "-m", "unitgen", "deploy", *args, "--specs", str(self.specs), "--endpoint", self.etcd.url],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )

    def by_id(self, machine_id: str) -> Machine:
        return next(machine for machine in self.machines if machine.machine_id == machine_id)

    def images(self, container: str = "app") -> list[str | None]:
        return [machine.running_image(container) for machine in self.machines]


@contextmanager
def cluster(
    base: Path, api: str, strategy: str = "all-at-once", size: int = 3, apps: dict[str, str] | None = None
) -> Iterator[Cluster]:
    """SIZE machines running each of APPS (spec name to spec text; by default APP as "app")."""
    ok, why = available()
    require(ok, why)
    require(shutil.which("etcd"), "etcd is not installed (Debian's etcd-server)")
    require(shutil.which("etcdctl"), "etcdctl is not installed (Debian's etcd-client)")
    apps = apps or {"app": APP.format(strategy=strategy)}
    specs = write_specs(base, {"unitgen.toml": PROJECT.format(api=api), **{f"{n}.toml": t for n, t in apps.items()}})
    result = compile_specs(specs)
    assert result.ok, [d.format() for d in result.diagnostics]
    assert set(result.files) == {f"{name}{unit[3:]}" for name in apps for unit in UNITS}
    etcd = EtcdServer(base / "etcd")
    machines: list[Machine] = []
    try:
        etcd.put(api, "/app-version", "v1")
        for i in range(size):
            machines.append(Machine(base, f"m{i}", etcd))
        for machine in machines:
            machine.install(result.files)
            machine.um.systemctl("start", *(f"{name}.service" for name in apps))
        for machine in machines:
            machine.um.systemctl(
                "start", *(f"{name}-{role}.service" for name in apps for role in ("updater", "keeper"))
            )
        running = Cluster(api, etcd, machines, specs)
        for name in apps:
            prefix = f"/unitgen/deploy/{name}"
            wait_for(lambda p=prefix: running.get(f"{p}/current") == "v1", "the updaters to adopt v1", TIMEOUT)
            for machine in machines:
                wait_for(
                    lambda m=machine, p=prefix: running.get(f"{p}/machines/{m.machine_id}"), "the machines", TIMEOUT
                )
            assert running.images(name) == ["example/app:v1"] * size
        yield running
    finally:
        for machine in machines:
            machine.close()
        etcd.close()


def pulls_and_restarts(machines: list[Machine], since: float, image: str) -> tuple[list[float], list[float]]:
    """Per machine, when it first pulled IMAGE after SINCE; and when each restart stopped a container."""
    pulls, restarts = [], []
    for machine in machines:
        calls = [(when, call) for when, call in machine.docker_calls() if when >= since]
        pulls.append(min(when for when, call in calls if call == ("docker", "pull", image)))
        restarts += [when for when, call in calls if call == ("docker", "stop", "app")]
    return pulls, restarts


def maintenance_runs(machines: list[Machine]) -> list[tuple[str, ...]]:
    return [run for machine in machines for run in machine.oneoffs()]


def test_a_deploy_over_three_machines(tmp_path: Path) -> None:
    for api in ("2", "3"):
        with cluster(tmp_path / f"v{api}", api) as c:
            calls_before = [machine.etcdctl_calls() for machine in c.machines]
            started = time.time()
            deployed = c.unitgen("v2", "--timeout", "60")
            took = time.time() - started
            assert deployed.returncode == 0, deployed.stderr
            assert "deployed v2" in deployed.stderr
            assert c.images() == ["example/app:v2"] * 3
            pulls, restarts = pulls_and_restarts(c.machines, started, "example/app:v2")
            # A restart stops the container twice (ExecStop=, then the start's leftover check).
            assert len(restarts) == 6 and max(pulls) < min(restarts), (pulls, restarts)
            # The maintenance ran once, on one machine, in the new image with the service's env file.
            runs = maintenance_runs(c.machines)
            assert sorted(run[-2:] for run in runs) == [("collectstatic", "--noinput"), ("manage", "migrate")]
            assert all(run[0] == "example/app:v2" for run in runs)
            assert sum(1 for machine in c.machines if machine.oneoffs()) == 1
            assert c.get(f"{PREFIX}/versions/v2/maintenance") == "done"
            assert c.get(f"{PREFIX}/current") == "v2" and c.get(f"{PREFIX}/previous") == "v1"
            status = c.unitgen("status")
            assert status.returncode == 0, status.stderr
            for machine in c.machines:
                assert f"  {machine.machine_id}: -" in status.stdout, status.stdout
            assert "current: v2   previous: v1" in status.stdout
            requests = [
                machine.etcdctl_calls() - before for machine, before in zip(c.machines, calls_before, strict=True)
            ]
            print(f"\netcd API v{api}: three-machine deploy took {took:.1f} s; etcdctl calls per machine: {requests}")


def test_a_killed_leader_is_replaced_and_the_maintenance_is_not_repeated(tmp_path: Path) -> None:
    with cluster(tmp_path, "3", strategy="rolling") as c:
        assert c.unitgen("v2", "--no-wait").returncode == 0
        wait_for(lambda: c.get(f"{PREFIX}/versions/v2/maintenance") == "done", "the maintenance", TIMEOUT)
        leader = c.get(f"{PREFIX}/leader")
        assert leader is not None
        killed = c.by_id(leader)
        killed.um.systemctl("kill", "--signal=SIGKILL", "app-updater.service")
        killed.um.systemctl("stop", "app-updater.service")
        wait_for(lambda: c.get(f"{PREFIX}/current") == "v2", "another leader to finish the deploy", TIMEOUT)
        assert c.get(f"{PREFIX}/leader") not in (None, leader)
        assert len(maintenance_runs(c.machines)) == 2  # migrate and collectstatic, once
        survivors = [machine for machine in c.machines if machine is not killed]
        assert [machine.running_image("app") for machine in survivors] == ["example/app:v2"] * 2


def test_a_machine_that_cannot_pull_stops_the_deploy(tmp_path: Path) -> None:
    with cluster(tmp_path, "2") as c:
        broken = c.machines[1]
        broken.switch("fail-pull")
        deployed = c.unitgen("v2", "--timeout", "60")
        assert deployed.returncode == 1
        assert f"machine {broken.machine_id}: cannot pull example/app:v2" in deployed.stderr
        status = c.unitgen("status")
        assert status.returncode == 1
        assert f"{broken.machine_id}: failed: cannot pull example/app:v2" in status.stdout, status.stdout
        assert c.images() == ["example/app:v1"] * 3
        assert maintenance_runs(c.machines) == []
        assert c.get(f"{PREFIX}/current") == "v1"


def test_rollback_deploys_the_version_the_last_deploy_replaced(tmp_path: Path) -> None:
    with cluster(tmp_path, "3", strategy="rolling") as c:
        assert c.unitgen("v2", "--timeout", "60").returncode == 0
        assert c.images() == ["example/app:v2"] * 3
        dry = c.unitgen("rollback", "--dry-run")
        assert dry.returncode == 0 and "put /app-version v1" in dry.stdout, dry
        assert c.get("/app-version") == "v2"
        rolled = c.unitgen("rollback", "--timeout", "60")
        assert rolled.returncode == 0, rolled.stderr
        assert "rolling back to v1" in rolled.stderr
        assert c.images() == ["example/app:v1"] * 3
        assert c.get(f"{PREFIX}/current") == "v1" and c.get(f"{PREFIX}/previous") == "v2"


def test_maintenance_mode_relaunches_a_failed_service(tmp_path: Path) -> None:
    with cluster(tmp_path, "2", size=1) as c:
        machine = c.machines[0]
        pid = int((machine.state / "containers" / "app.pid").read_text())
        os.kill(pid, 9)
        record = wait_for(lambda: c.get(f"{PREFIX}/keeper/{machine.machine_id}"), "the keeper's record", TIMEOUT)
        assert record == "relaunched app.service (1 of 2): running"
        assert machine.um.is_active("app.service")
        runs = [call for _, call in machine.docker_calls() if call[:3] == ("docker", "run", "--name")]
        assert len(runs) == 2


def test_a_service_restarts_only_after_the_maintenance_it_waits_for(tmp_path: Path) -> None:
    with cluster(tmp_path, "2", size=2, apps=ORDERED) as c:
        for machine in c.machines:
            (machine.state / "slow-oneoff").write_text("4\n")  # longer than api takes to restart unless it waits
        started = time.time()
        deployed = c.unitgen("v2", "--timeout", "60")
        assert deployed.returncode == 0, deployed.stderr
        assert c.images("web") == c.images("api") == ["example/app:v2"] * 2
        calls = [(when, call) for machine in c.machines for when, call in machine.docker_calls() if when >= started]
        migrated = [when for when, call in calls if call == ("finished", "web-maintenance")]
        api_stops = [when for when, call in calls if call == ("docker", "stop", "api")]
        v2_pulls = [when for when, call in calls if call == ("docker", "pull", "example/app:v2")]
        assert len(migrated) == 2 and len(api_stops) == 4, calls  # migrate and collectstatic; 2 stops a restart
        # api had pulled long before (without deploy.after it restarts during the migrations),
        # and restarted only once the web app's second maintenance command had finished.
        assert min(v2_pulls) + 8 < max(migrated) < min(api_stops), (v2_pulls, migrated, api_stops)
        assert c.get("/unitgen/deploy/api/versions/v2/maintenance") == "done"
        assert c.get("/unitgen/deploy/api/current") == "v2"


def test_a_failed_maintenance_fails_the_services_that_wait_for_it(tmp_path: Path) -> None:
    with cluster(tmp_path, "3", size=2, apps=ORDERED) as c:
        for machine in c.machines:
            machine.switch("fail-oneoff")
        deployed = c.unitgen("v2", "--timeout", "60")
        assert deployed.returncode == 1

        # The command ends at the first failure (web's); api's leader notices it at its next look.
        def api_failed() -> str | None:
            state = c.get("/unitgen/deploy/api/versions/v2/state")
            return state if state and state.startswith("failed") else None

        api_state = wait_for(api_failed, "api's deploy to fail", TIMEOUT)
        web_state = c.get("/unitgen/deploy/web/versions/v2/state")
        assert web_state is not None and web_state.startswith("failed: a maintenance command failed on ")
        assert api_state == f"failed: web did not complete its maintenance of v2 ({web_state})"
        status = c.unitgen("status")
        assert status.returncode == 1
        assert f"deploy of v2: {api_state}" in status.stdout, status.stdout
        assert c.images("web") == c.images("api") == ["example/app:v1"] * 2
        assert c.get("/unitgen/deploy/api/current") == "v1"
