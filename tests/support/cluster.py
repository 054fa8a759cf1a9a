"""A small cluster for deploy tests: a real etcd on loopback and several machines.

``EtcdServer`` is Debian's etcd (3.4) in a temporary directory (``support.etcd``), v2 API on.
Each ``Machine`` is a throw-away ``systemd --user`` manager (``user_manager``) with a machine
ID of its own, so ``%m`` differs, and stand-ins in its private ``/opt/standin``:

* ``docker``: ``standins/docker``, with a state directory per machine (its log, timeline,
  containers, one-off runs, failure switches);
* ``etcdctl``: the real ``/usr/bin/etcdctl`` against the shared etcd, API 2 unless the caller
  asks for 3 (as etcdctl on a CoreOS host), counting its calls in ``STATE/etcdctl.log``;
* ``systemctl``: the real one, ``--user``, so that the units drive their own manager.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from support.etcd import etcd_server
from support.user_manager import UserManager

STANDINS = Path(__file__).resolve().parent / "standins"
DOCKER = "/opt/standin/docker"
ETCDCTL = "/opt/standin/etcdctl"
SYSTEMCTL = "/opt/standin/systemctl"

_ETCDCTL_WRAPPER = """#!/bin/sh
printf '%s\\n' "$*" >> '{state}/etcdctl.log'
ETCDCTL_API=${{ETCDCTL_API:-2}} ETCDCTL_ENDPOINTS='{endpoint}' exec '{etcdctl}' "$@"
"""
_SYSTEMCTL_WRAPPER = """#!/bin/sh
exec '{systemctl}' --user "$@"
"""


def wait_for(condition: Callable[[], object], what: str, timeout: float = 10.0) -> object:
    """Poll CONDITION until it returns something truthy; fail naming WHAT after TIMEOUT s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


class EtcdServer:
    """The shared etcd (``support.etcd``), with the reads and writes the tests make."""

    def __init__(self, directory: Path) -> None:
        etcd = shutil.which("etcd")
        assert etcd is not None
        self._running = contextlib.ExitStack()
        self.url = self._running.enter_context(etcd_server(etcd, directory))

    def etcdctl(self, api: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["etcdctl", f"--endpoints={self.url}", *args],
            capture_output=True,
            text=True,
            env={"ETCDCTL_API": api, "PATH": "/usr/bin:/bin"},
            timeout=30,
            check=False,
        )

    def get(self, api: str, key: str) -> str | None:
        args = ("get", key, "--print-value-only") if api == "3" else ("get", key)
        done = self.etcdctl(api, *args)
        value = done.stdout.rstrip("\n")
        return value if done.returncode == 0 and value else None

    def put(self, api: str, key: str, value: str) -> None:
        done = self.etcdctl(api, "put" if api == "3" else "set", key, value)
        assert done.returncode == 0, done.stderr

    def close(self) -> None:
        self._running.close()


class Machine:
    """One machine: a user manager with its own machine ID, and its stand-ins' state."""

    def __init__(self, base: Path, name: str, etcd: EtcdServer) -> None:
        self.name = name
        self.machine_id = secrets.token_hex(16)
        self.state = base / name / "state"
        self.state.mkdir(parents=True)
        self.um = UserManager(base / name, tmpfs=("/opt",), machine_id=self.machine_id)
        self.um.launch()
        scripts = base / name / "scripts"
        scripts.mkdir()
        docker = (STANDINS / "docker").read_text().replace("@STATE@", str(self.state))
        etcdctl = _ETCDCTL_WRAPPER.format(state=self.state, endpoint=etcd.url, etcdctl=shutil.which("etcdctl"))
        systemctl = _SYSTEMCTL_WRAPPER.format(systemctl=shutil.which("systemctl"))
        for path, text in ((DOCKER, docker), (ETCDCTL, etcdctl), (SYSTEMCTL, systemctl)):
            (scripts / Path(path).name).write_text(text)
            self.um.install_file(path, scripts / Path(path).name)
        (self.state / "secret.env").write_text("DATABASE_URL=postgres://app@db/app\n")
        (self.state / "log").write_text("")
        # %t/unitgen on a tmpfs, as /run is on a real machine (RuntimeDirectory= needs it).
        (self.um.runtime_dir / "unitgen").mkdir()
        mounted = self.um.nsenter(["mount", "-t", "tmpfs", "tmpfs", str(self.um.runtime_dir / "unitgen")])
        assert mounted.returncode == 0, mounted.stderr

    def install(self, units: Mapping[str, str]) -> None:
        self.um.install_many(units)

    def docker_calls(self) -> list[tuple[float, tuple[str, ...]]]:
        """Every docker call on this machine, with the time it was made."""
        path = self.state / "timeline"
        if not path.exists():
            return []
        calls = []
        for line in path.read_text().splitlines():
            when, *words = line.split("\t")
            calls.append((float(when), tuple(words)))
        return calls

    def oneoffs(self) -> list[tuple[str, ...]]:
        path = self.state / "oneoff"
        return [tuple(line.split("\t")) for line in path.read_text().splitlines()] if path.exists() else []

    def running_image(self, container: str) -> str | None:
        pid = self.state / "containers" / f"{container}.pid"
        image = self.state / "containers" / f"{container}.image"
        return image.read_text().strip() if pid.exists() and image.exists() else None

    def etcdctl_calls(self) -> int:
        path = self.state / "etcdctl.log"
        return len(path.read_text().splitlines()) if path.exists() else 0

    def switch(self, name: str) -> None:
        (self.state / name).touch()

    def close(self) -> None:
        self.um.close()
