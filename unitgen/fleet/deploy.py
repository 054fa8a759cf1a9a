"""``unitgen deploy``: the version key set through etcdctl, and the deploy followed in etcd.

The updater units (``compile/deploy.py``, their scripts in ``compile/scripts/``) do the
deploy on the machines; this side only writes the version key (with the version it
replaces, for a rollback) and reads the keys they write.  Both follow docs/deploy.md:

    <prefix>/current                      the version every machine runs
    <prefix>/previous                     the version before it (written here, for rollback)
    <prefix>/leader                       the leader's machine ID (expires with it)
    <prefix>/machines/<machine-id>        the machines running the service (expire with them)
    <prefix>/keeper/<machine-id>          what maintenance mode last did there
    <prefix>/versions/<version>/state     pulling (absent), waiting for SPEC, maintenance, restarting, done, failed: why
    <prefix>/versions/<version>/maintenance          started-by-<machine-id>, then done
    <prefix>/versions/<version>/{pulled,go,restarted,healthy,failed}/<machine-id>
"""

from __future__ import annotations

import base64
import json
import os
import shlex
import subprocess
import time
from collections.abc import Callable, Sequence

import attrs

from unitgen.compile.deploy import DeployPlan

STEPS = ("pulled", "restarted", "healthy")


class DeployError(Exception):
    """etcd could not be asked, or the deploy cannot be done as asked."""


@attrs.frozen
class Etcdctl:
    """etcdctl with the project's API version, an endpoint, and optionally run over ssh."""

    executable: str
    api: str
    endpoint: str | None = None
    tunnel: str | None = None  # a host: etcdctl runs there, through ssh

    def argv(self, *args: str) -> list[str]:
        command = [self.executable]
        if self.endpoint:
            command.append(f"--endpoints={self.endpoint}")
        command += args
        if self.tunnel:
            # "--": a host is never read as one of ssh's options
            return ["ssh", "--", self.tunnel, shlex.join(["env", f"ETCDCTL_API={self.api}", *command])]
        return command

    def shell(self, *args: str) -> str:
        """The command as a person would type it."""
        argv = self.argv(*args)
        return shlex.join(argv) if self.tunnel else f"ETCDCTL_API={self.api} {shlex.join(argv)}"

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                self.argv(*args),
                capture_output=True,
                text=True,
                env={**os.environ, "ETCDCTL_API": self.api},
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise DeployError(f"cannot run {self.argv()[0]}: {error}") from None

    def checked(self, *args: str) -> str:
        done = self.run(*args)
        if done.returncode != 0:
            raise DeployError(f"{self.shell(*args)} failed: {done.stderr.strip() or done.stdout.strip()}")
        return done.stdout

    def get(self, key: str) -> str | None:
        if self.api == "3":
            value = self.checked("get", key, "--print-value-only").rstrip("\n")
            return value or None
        done = self.run("get", key)
        if done.returncode != 0:
            if "Key not found" in done.stderr:
                return None
            raise DeployError(f"{self.shell('get', key)} failed: {done.stderr.strip()}")
        return done.stdout.rstrip("\n")

    def put_argv(self, key: str, value: str) -> tuple[str, ...]:
        return ("put" if self.api == "3" else "set", key, value)

    def delete_tree_argv(self, prefix: str) -> tuple[str, ...]:
        return ("del", "--prefix", prefix + "/") if self.api == "3" else ("rm", "--recursive", prefix)

    def tree(self, prefix: str) -> dict[str, str]:
        """Every key below ``prefix`` (relative to it) with its value."""
        if self.api == "3":
            answer = json.loads(self.checked("get", prefix + "/", "--prefix", "-w", "json") or "{}")
            return {
                base64.b64decode(kv["key"]).decode()[len(prefix) + 1 :]: base64.b64decode(kv.get("value", "")).decode()
                for kv in answer.get("kvs", [])
            }
        listed = self.run("ls", "--recursive", "-p", prefix)
        if listed.returncode != 0:
            if "Key not found" in listed.stderr:
                return {}
            raise DeployError(f"{self.shell('ls', prefix)} failed: {listed.stderr.strip()}")
        found = {}
        for key in listed.stdout.split():
            if not key.endswith("/"):
                found[key[len(prefix) + 1 :]] = self.get(key) or ""
        return found


@attrs.frozen
class Machine:
    machine_id: str
    member: bool  # its updater runs (its key has not expired)
    steps: tuple[str, ...]  # of STEPS, for the version being deployed
    failed: str | None
    keeper: str | None


@attrs.frozen
class Status:
    plan: DeployPlan
    target: str | None  # the version key's value
    current: str | None
    previous: str | None
    leader: str | None
    state: str | None  # of the target version, when it is not current
    maintenance: str | None
    machines: tuple[Machine, ...]

    @property
    def deployed(self) -> bool:
        return self.target is not None and self.target == self.current

    @property
    def failed(self) -> bool:
        return not self.deployed and (self.state or "").startswith("failed")

    def count(self, step: str) -> int:
        return sum(1 for machine in self.machines if machine.member and step in machine.steps)

    def progress(self) -> str:
        if self.deployed:
            return f"{self.plan.service}: {self.current} everywhere"
        if self.failed:
            return f"{self.plan.service}: {self.state}"
        members = sum(1 for machine in self.machines if machine.member)
        counts = ", ".join(f"{step} {self.count(step)}/{members}" for step in STEPS)
        return f"{self.plan.service}: {self.target} {self.state or 'pulling'} ({counts})"


def read_status(etcd: Etcdctl, plan: DeployPlan) -> Status:
    keys = etcd.tree(plan.prefix)
    target = etcd.get(plan.version_key)
    current = keys.get("current")
    version_dir = f"versions/{target}/"
    mine = {k[len(version_dir) :]: v for k, v in keys.items() if target and k.startswith(version_dir)}
    ids = sorted(
        {k.split("/")[1] for k in keys if k.startswith(("machines/", "keeper/"))}
        | {k.split("/")[1] for k in mine if "/" in k}
    )
    machines = tuple(
        Machine(
            machine_id,
            f"machines/{machine_id}" in keys,
            tuple(step for step in STEPS if f"{step}/{machine_id}" in mine) if target != current else (),
            mine.get(f"failed/{machine_id}") if target != current else None,
            keys.get(f"keeper/{machine_id}"),
        )
        for machine_id in ids
    )
    return Status(
        plan,
        target,
        current,
        keys.get("previous"),
        keys.get("leader"),
        mine.get("state") if target != current else None,
        mine.get("maintenance"),
        machines,
    )


@attrs.frozen
class Write:
    argv: tuple[str, ...]  # etcdctl's arguments
    why: str


def deploy_writes(etcd: Etcdctl, plans: Sequence[DeployPlan], version: str) -> list[Write]:
    """What deploying ``version`` writes: per service, the version it replaces (for a
    rollback) and a clean slate for this version's progress; then each version key."""
    writes = []
    for plan in plans:
        current = etcd.get(f"{plan.prefix}/current") or etcd.get(plan.version_key)
        if current is not None and current != version:
            writes.append(
                Write(etcd.put_argv(f"{plan.prefix}/previous", current), f"{plan.service}: remember {current}")
            )
        if etcd.tree(f"{plan.prefix}/versions/{version}"):
            writes.append(
                Write(etcd.delete_tree_argv(f"{plan.prefix}/versions/{version}"), f"{plan.service}: forget a past try")
            )
    for key in dict.fromkeys(plan.version_key for plan in plans):
        writes.append(Write(etcd.put_argv(key, version), "the deploy"))
    return writes


def rollback_version(statuses: Sequence[Status]) -> str:
    previous = {status.previous for status in statuses}
    if None in previous:
        missing = ", ".join(status.plan.service for status in statuses if status.previous is None)
        raise DeployError(f"no previous version is recorded for {missing}: nothing to roll back to")
    if len(previous) > 1:
        found = ", ".join(f"{status.plan.service}: {status.previous}" for status in statuses)
        raise DeployError(f"the services were deployed from different versions ({found}); deploy one by name")
    return previous.pop() or ""


def follow(
    etcd: Etcdctl,
    plans: Sequence[DeployPlan],
    timeout: float,
    show: Callable[[str], None],
    interval: float = 1.0,
) -> list[Status]:
    """Poll until every service is deployed or one failed; raises on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        statuses = [read_status(etcd, plan) for plan in plans]
        show(" · ".join(status.progress() for status in statuses))
        if all(status.deployed for status in statuses) or any(status.failed for status in statuses):
            return statuses
        if time.monotonic() > deadline:
            raise DeployError(f"the deploy did not finish in {timeout:g} s; see: unitgen deploy status")
        time.sleep(interval)


def describe(status: Status) -> list[str]:
    """``unitgen deploy status``: one service, a line per fact and per machine."""
    lines = [
        f"{status.plan.service} ({status.plan.unit}), version key {status.plan.version_key}: {status.target or 'unset'}",
        f"  current: {status.current or '-'}   previous: {status.previous or '-'}   leader: {status.leader or '-'}",
    ]
    if not status.deployed and status.target:
        lines.append(
            f"  deploy of {status.target}: {status.state or 'pulling'}; maintenance: {status.maintenance or '-'}"
        )
    for machine in status.machines:
        done = [*machine.steps, *([f"failed: {machine.failed}"] if machine.failed else [])]
        facts = ", ".join(done) or ("-" if status.deployed else "waiting")
        if not machine.member:
            facts += " (gone)"
        if machine.keeper:
            facts += f"; maintenance mode: {machine.keeper}"
        lines.append(f"  {machine.machine_id}: {facts}")
    return lines
