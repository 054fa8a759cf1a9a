"""The units behave as docs/spec.md says, proven against a real systemd (and a secret scan).

The compiled units run under a throw-away ``systemd --user`` manager
(``support.user_manager``, systemd-syntax.md §11.B).  docker and etcdctl are stand-ins
(``support/standins/``, POSIX sh) installed in the manager's private ``/opt`` at the paths
the project file names (``[paths] docker``, ``etcdctl``); they append every call to a log
and keep their state (containers, etcd keys, failure switches) in a directory on the host.

What is proven:

* a start runs the lifecycle: the etcd read, stop/rm of a leftover container, the pull of
  the image with the tag read from etcd, the secret fetch into the unit's runtime directory,
  and the container, whose ``--env-file`` holds what was fetched and which is the service's
  main process; the presence sidekicks start, and the announcer sets its etcd key;
* when the container dies, systemd stops both sidekicks (``BindsTo=``): the ELB notifier
  container is stopped, the etcd key removed, the fetched secrets deleted with the runtime
  directories;
* a failing fetch keeps the container from starting; an optional one does not;
* an etcd value that is not a plain token fails the start before anything is pulled;
* no unit generated from the repository's specs holds a secret literal, and a planted
  one is refused by the compiler.

* when Restart= brings the service back, its sidekicks start again (the service
  Wants= them), and one failed etcd refresh does not end the announcer.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import require
from helpers import REPO, write_specs
from support.cluster import wait_for
from support.user_manager import UserManager, available

from unitgen.compile.compiler import compile_specs
from unitgen.secretscan import secret_problem
from unitgen.systemd.directives import EXEC_KEYS
from unitgen.systemd.execline import parse_exec
from unitgen.systemd.unitfile import parse_systemd
from unitgen.systemd.words import split_words

STANDINS = Path(__file__).resolve().parent / "support" / "standins"
DOCKER = "/opt/standin/docker"
ETCDCTL = "/opt/standin/etcdctl"
HOST = socket.gethostname()  # what systemd's %H gives the announcer

# What the stand-in fetcher "downloads" from S3: it must reach the container and no unit.
SECRET_LINE = "DATABASE_URL=postgres://app:fetched-from-s3-7f3a@db.internal/app"

PROJECT = f"""\
[paths]
docker = "{DOCKER}"
etcdctl = "{ETCDCTL}"
sh = "/bin/sh"
touch = "/usr/bin/touch"

[runtime]
version = "/app-version"
"""

# The service under test: tag from etcd, a required secret, both presence sidekicks.
APP = """\
[container]
image = "example/app"
tag = "{{ runtime.version }}"
command = ["serve", "--port", "8000"]

[[container.secrets]]
bucket = "cfg"
key = "prod/app.env"
name = "app.env"

[presence.elb]
load_balancer = "lb-test"

[presence.etcd]
port = 8000
"""

# The same with an optional secret (and a fixed tag).
OPT = """\
[container]
image = "example/opt"
tag = "v1"
command = ["serve"]

[[container.secrets]]
bucket = "cfg"
key = "prod/opt.env"
name = "opt.env"
optional = true
"""

# Restart=always, as the repository's own web and nginx specs have it.
ALWAYS = """\
[service]
restart = "always"
restart_sec = "200ms"

[container]
image = "example/always"
tag = "v1"
command = ["serve"]

[presence.elb]
load_balancer = "lb-test"

[presence.etcd]
port = 9000
"""

# An announcer that refreshes every second, to see what a short etcd outage does to it.
BEACON = """\
[container]
image = "example/beacon"
tag = "v1"
command = ["serve"]

[presence.etcd]
port = 7000
ttl = 3
interval = 1
"""

APP_UNITS = ("app.service", "app-elb-presence.service", "app-announce.service")
SIDEKICKS = APP_UNITS[1:]
ALWAYS_UNITS = ("always.service", "always-elb-presence.service", "always-announce.service")
BEACON_UNITS = ("beacon.service", "beacon-announce.service")
ALL_UNITS = (*APP_UNITS, "opt.service", *ALWAYS_UNITS, *BEACON_UNITS)


class Runtime:
    """The user manager with the compiled units installed, and the stand-ins' state."""

    def __init__(self, um: UserManager, state: Path, units: dict[str, str]) -> None:
        self.um = um
        self.state = state
        self.units = units

    # -- state of the stand-ins

    def reset(self) -> None:
        """Stop every unit, forget failures, and give the stand-ins a fresh state."""
        self.um.systemctl("stop", *ALL_UNITS, check=False)
        self.um.systemctl("reset-failed", *ALL_UNITS, check=False)
        for path in sorted(self.state.rglob("*"), key=lambda p: len(p.parts), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        (self.state / "log").write_text("")
        (self.state / "secret.env").write_text(SECRET_LINE + "\n")
        self.set_etcd("/app-version", "v42")

    def set_etcd(self, key: str, value: str | None) -> None:
        path = self.state / ("etcd" + key)
        if value is None:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value + "\n")

    def etcd(self, key: str) -> str | None:
        path = self.state / ("etcd" + key)
        return path.read_text() if path.exists() else None

    def switch(self, name: str) -> None:
        """Turn on a failure switch of the stand-ins (``fail-fetch``, ``fail-pull``)."""
        (self.state / name).touch()

    def calls(self) -> list[tuple[str, ...]]:
        return [tuple(line.split("\t")) for line in (self.state / "log").read_text().splitlines()]

    def container(self, name: str, what: str) -> str | None:
        """What the stand-in recorded about container NAME: ``pid``, ``env`` or ``image``."""
        path = self.state / "containers" / f"{name}.{what}"
        return path.read_text() if path.exists() else None

    def container_pid(self, name: str) -> int:
        text = wait_for(lambda: self.container(name, "pid"), f"container {name} to run")
        return int(str(text))

    # -- the manager

    def runtime_dir(self, unit: str) -> Path:
        """The unit's ``%t/unitgen/%n`` as the unit sees it (%t: the manager's XDG_RUNTIME_DIR)."""
        return self.um.runtime_dir / "unitgen" / unit

    def seen(self, path: Path) -> Path:
        """PATH as the manager's mount namespace has it (``%t/unitgen`` is a tmpfs only there)."""
        return Path(f"/proc/{self.um.pid}/root") / str(path).lstrip("/")

    def state_of(self, unit: str) -> str:
        return self.um.show(unit, "ActiveState")

    def start_all(self, stem: str) -> None:
        """Start the service STEM and then its two sidekicks; all three must be active."""
        units = (f"{stem}.service", f"{stem}-elb-presence.service", f"{stem}-announce.service")
        self.um.start(units[0])
        self.container_pid(stem)
        self.um.systemctl("start", *units[1:])
        for unit in units:
            assert self.um.is_active(unit), f"{unit}: {self.state_of(unit)}\n{self.um.log_tail()}"
        self.container_pid(f"{stem}-elb-presence")


def standin(name: str, state: Path, target_dir: Path) -> Path:
    """The stand-in script NAME with its state directory baked in."""
    text = (STANDINS / name).read_text()
    assert "@STATE@" in text
    path = target_dir / name
    path.write_text(text.replace("@STATE@", str(state)))
    return path


@pytest.fixture(scope="module")
def runtime_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    ok, why = available()
    require(ok, why)
    base = tmp_path_factory.mktemp("runtime")
    specs = write_specs(
        base, {"unitgen.toml": PROJECT, "app.toml": APP, "opt.toml": OPT, "always.toml": ALWAYS, "beacon.toml": BEACON}
    )
    result = compile_specs(specs)
    assert result.ok, [d.format() for d in result.diagnostics]
    units = result.files
    assert set(units) == set(ALL_UNITS)
    state = base / "state"
    state.mkdir()
    scripts = base / "scripts"
    scripts.mkdir()
    with UserManager(base, tmpfs=("/opt",)) as um:
        # %t is a tmpfs on a real machine (/run, /run/user/UID); systemd refuses to remove a
        # RuntimeDirectory= from a disk file system (rm_rf without REMOVE_PHYSICAL), so give
        # %t/unitgen a tmpfs in the manager's namespace, or the secrets would outlive the units.
        (um.runtime_dir / "unitgen").mkdir()
        mounted = um.nsenter(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", str(um.runtime_dir / "unitgen")])
        assert mounted.returncode == 0, mounted.stderr
        um.install_file(DOCKER, standin("docker", state, scripts))
        um.install_file(ETCDCTL, standin("etcdctl", state, scripts))
        um.install_many(units)  # as compiled: systemd ignores the [X-Fleet] section
        yield Runtime(um, state, units)


@pytest.fixture
def rt(runtime_env: Runtime) -> Runtime:
    runtime_env.reset()
    return runtime_env


def index(calls: list[tuple[str, ...]], call: tuple[str, ...]) -> int:
    assert call in calls, f"{call} not called; calls:\n" + "\n".join(map(" ".join, calls))
    return calls.index(call)


# --------------------------------------------------------------------------- starting


def test_starting_the_service_starts_its_sidekicks(rt: Runtime) -> None:
    rt.um.start("app.service")
    for unit in SIDEKICKS:
        wait_for(lambda unit=unit: rt.um.is_active(unit), f"{unit} to start with app.service (Wants=)")


def test_start_reads_the_tag_from_etcd_fetches_the_secret_and_runs_the_container(rt: Runtime) -> None:
    # The service Wants= its sidekicks; start it alone first to see its own calls.
    rt.um.systemctl("start", "--job-mode=ignore-requirements", "app.service")
    assert rt.um.is_active("app.service")
    pid = rt.container_pid("app")
    secrets_dir = rt.runtime_dir("app.service")
    fetch = (
        "docker",
        "run",
        "--rm",
        "-v",
        f"{secrets_dir}:/secrets",
        "jcderr/s3fetch",
        "python",
        "/opt/app/s3fetch.py",
        "cfg",
        "prod/app.env",
        "/secrets/app.env",
    )
    run = (
        "docker",
        "run",
        "--name",
        "app",
        "--env-file",
        f"{secrets_dir}/app.env",
        "example/app:v42",
        "serve",
        "--port",
        "8000",
    )
    calls = rt.calls()
    assert sorted(calls) == sorted(
        [
            ("etcdctl", "get", "/app-version"),
            ("docker", "stop", "app"),
            ("docker", "rm", "app"),
            ("docker", "pull", "example/app:v42"),
            ("docker", "pull", "jcderr/s3fetch"),
            fetch,
            run,
        ]
    )
    # The order that matters: leftovers go first, the tag is known before the pull,
    # the secret is fetched before the container runs.
    assert index(calls, ("docker", "stop", "app")) < index(calls, ("docker", "rm", "app")) < index(calls, run)
    assert index(calls, ("etcdctl", "get", "/app-version")) < index(calls, ("docker", "pull", "example/app:v42"))
    assert index(calls, ("docker", "pull", "example/app:v42")) < index(calls, fetch) < index(calls, run)
    assert index(calls, ("docker", "pull", "jcderr/s3fetch")) < index(calls, fetch)

    # The container is the service's main process, got the fetched secret and the etcd tag.
    assert int(rt.um.show("app.service", "MainPID")) == pid
    assert rt.container("app", "env") == SECRET_LINE + "\n"
    assert rt.container("app", "image") == "example/app:v42\n"
    # The secret lives in the unit's private runtime directory while it runs.
    seen = rt.seen(secrets_dir)
    assert stat.S_IMODE(seen.stat().st_mode) == 0o700
    assert (seen / "app.env").read_text() == SECRET_LINE + "\n"
    assert (seen / "runtime.env").read_text() == "UNITGEN_VERSION=v42\n"

    # Then the sidekicks next to it; the announcer sets its key with the TTL.
    rt.um.systemctl("start", *SIDEKICKS)
    for unit in SIDEKICKS:
        wait_for(lambda unit=unit: rt.um.is_active(unit), f"{unit} to start")
    rt.container_pid("app-elb-presence")
    key = f"/services/app/{HOST}"
    wait_for(lambda: rt.etcd(key), f"the announcer to set {key}")
    assert rt.etcd(key) == f"{HOST}:8000\n"
    calls = rt.calls()
    assert ("etcdctl", "set", key, f"{HOST}:8000", "--ttl", "60") in calls
    elb_dir = rt.runtime_dir("app-elb-presence.service")
    assert (
        "docker",
        "run",
        "--name",
        "app-elb-presence",
        "--env-file",
        f"{elb_dir}/app.env",
        "-e",
        "ELB_NAME=lb-test",
        "djedstudios/elb-presence",
    ) in calls
    assert rt.container("app-elb-presence", "env") == SECRET_LINE + "\n"  # the notifier fetches too

    # The fetched secret is nowhere in the installed units.
    for name in rt.units:
        assert "fetched-from-s3" not in (rt.um.units_dir / name).read_text()


# --------------------------------------------------------------------------- the service dies


def test_sidekicks_stop_when_the_main_process_dies(rt: Runtime) -> None:
    rt.start_all("app")
    key = f"/services/app/{HOST}"
    wait_for(lambda: rt.etcd(key), f"the announcer to set {key}")
    main_pid = int(rt.um.show("app.service", "MainPID"))
    assert main_pid == rt.container_pid("app")
    elb_pid = rt.container_pid("app-elb-presence")
    log_length = len(rt.calls())

    started = time.monotonic()
    os.kill(main_pid, signal.SIGKILL)  # the container crashes
    for unit in APP_UNITS:
        wait_for(lambda unit=unit: not rt.um.is_active(unit), f"{unit} to stop")
    stopped_in = time.monotonic() - started

    assert rt.state_of("app.service") == "failed"
    assert rt.um.show("app.service", "Result") == "signal"
    for unit in SIDEKICKS:  # stopped by systemd, cleanly: not failed themselves
        assert rt.state_of(unit) == "inactive", unit
    after = rt.calls()[log_length:]
    # The sidekicks' stop actions ran: the ELB notifier container is stopped (its own
    # shutdown deregisters the machine) and the etcd key is deleted.
    assert ("docker", "stop", "app-elb-presence") in after
    assert ("etcdctl", "rm", key) in after
    assert rt.etcd(key) is None
    wait_for(lambda: not Path(f"/proc/{elb_pid}").exists(), "the ELB notifier container to exit")
    # The fetched secrets went with the runtime directories.
    assert not rt.seen(rt.runtime_dir("app.service")).exists()
    assert not rt.seen(rt.runtime_dir("app-elb-presence.service")).exists()
    assert stopped_in < 5, f"sidekicks took {stopped_in:.1f} s to stop"


def test_sidekicks_stop_when_a_restarting_service_dies(rt: Runtime) -> None:
    """With Restart=always (the repository's web and nginx), a crash still takes the
    machine out of the load balancer and etcd, and the service itself comes back (its
    sidekicks start again with it: see the next test)."""
    rt.start_all("always")
    key = f"/services/always/{HOST}"
    wait_for(lambda: rt.etcd(key), f"the announcer to set {key}")
    main_pid = int(rt.um.show("always.service", "MainPID"))
    log_length = len(rt.calls())

    os.kill(main_pid, signal.SIGKILL)
    for unit in ALWAYS_UNITS[1:]:
        wait_for(lambda unit=unit: not rt.um.is_active(unit), f"{unit} to stop")
    # "Not active" includes "deactivating", while the stop actions may still run.
    for call in (("docker", "stop", "always-elb-presence"), ("etcdctl", "rm", key)):
        wait_for(lambda call=call: call in rt.calls()[log_length:], f"the stop action {call}")
    assert rt.etcd(key) is None
    wait_for(
        lambda: rt.um.is_active("always.service") and int(rt.um.show("always.service", "MainPID")) not in (0, main_pid),
        "always.service to be restarted",
    )


def test_sidekicks_come_back_with_a_restarted_service(rt: Runtime) -> None:
    """docs/spec.md: the machine is in the load balancer / etcd "while the service runs"."""
    rt.start_all("always")
    main_pid = int(rt.um.show("always.service", "MainPID"))
    os.kill(main_pid, signal.SIGKILL)
    wait_for(lambda: not rt.um.is_active("always-announce.service"), "the announcer to stop")
    wait_for(
        lambda: rt.um.is_active("always.service") and int(rt.um.show("always.service", "MainPID")) not in (0, main_pid),
        "always.service to be restarted",
    )
    wait_for(
        lambda: all(rt.um.is_active(unit) for unit in ALWAYS_UNITS[1:]),
        "the sidekicks to run again with the restarted service",
        timeout=2,
    )


def test_announcer_survives_a_short_etcd_outage(rt: Runtime) -> None:
    """docs/spec.md: the key is announced "while the service runs"; etcd being unavailable
    for a moment (one refresh) must not end that."""
    rt.um.start("beacon.service")
    rt.container_pid("beacon")
    rt.um.start("beacon-announce.service")
    key = f"/services/beacon/{HOST}"
    wait_for(lambda: rt.etcd(key), f"the announcer to set {key}")
    sets = lambda: sum(c[:2] == ("etcdctl", "set") for c in rt.calls())  # noqa: E731
    before = sets()
    rt.switch("fail-etcd")
    wait_for(lambda: sets() > before, "a refresh while etcd is down", timeout=3)
    (rt.state / "fail-etcd").unlink()
    rt.set_etcd(key, None)  # as if the TTL ran out meanwhile
    wait_for(lambda: rt.etcd(key), f"the announcer to set {key} again after the outage", timeout=2.5)
    assert rt.um.is_active("beacon.service")
    assert rt.um.is_active("beacon-announce.service")


# --------------------------------------------------------------------------- secrets at start


def test_failing_fetch_keeps_the_container_from_starting(rt: Runtime) -> None:
    rt.switch("fail-fetch")
    result = rt.um.start("app.service", check=False)
    assert result.returncode != 0
    assert not rt.um.is_active("app.service")
    assert rt.state_of("app.service") == "failed"
    calls = rt.calls()
    assert any(c[:3] == ("docker", "run", "--rm") for c in calls), calls  # the fetch was tried
    assert not any(c[:3] == ("docker", "run", "--name") for c in calls), calls
    assert rt.container("app", "pid") is None
    assert not rt.seen(rt.runtime_dir("app.service")).exists()
    # The ELB notifier fetches the same secret: it does not start either (nor does the
    # announcer, which needs the service).
    assert rt.um.systemctl("start", "app-elb-presence.service", check=False).returncode != 0
    assert rt.um.systemctl("start", "app-announce.service", check=False).returncode != 0
    assert not any(c[:3] == ("docker", "run", "--name") for c in rt.calls())
    assert rt.etcd(f"/services/app/{HOST}") is None


def test_optional_secret_failing_fetch_starts_with_an_empty_env_file(rt: Runtime) -> None:
    rt.switch("fail-fetch")
    rt.um.start("opt.service")
    assert rt.um.is_active("opt.service")
    rt.container_pid("opt")
    secrets_dir = rt.runtime_dir("opt.service")
    calls = rt.calls()
    fetch = index(
        calls,
        (
            "docker",
            "run",
            "--rm",
            "-v",
            f"{secrets_dir}:/secrets",
            "jcderr/s3fetch",
            "python",
            "/opt/app/s3fetch.py",
            "cfg",
            "prod/opt.env",
            "/secrets/opt.env",
        ),
    )
    run = index(
        calls, ("docker", "run", "--name", "opt", "--env-file", f"{secrets_dir}/opt.env", "example/opt:v1", "serve")
    )
    assert fetch < run
    assert rt.container("opt", "env") == ""
    assert (rt.seen(secrets_dir) / "opt.env").read_text() == ""


def test_optional_secret_is_passed_when_the_fetch_works(rt: Runtime) -> None:
    rt.um.start("opt.service")
    rt.container_pid("opt")
    assert rt.container("opt", "env") == SECRET_LINE + "\n"


# --------------------------------------------------------------------------- the etcd value


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("v1; touch {state}/pwned", id="shell"),
        pytest.param("$(touch {state}/pwned)", id="substitution"),
        pytest.param("v1 v2", id="space"),
        pytest.param("v1\nv2", id="newline"),
        pytest.param("${HOME}", id="dollar"),
        pytest.param("", id="empty"),
        pytest.param(None, id="missing-key"),
    ],
)
def test_invalid_version_in_etcd_fails_the_start_before_the_pull(rt: Runtime, value: str | None) -> None:
    rt.set_etcd("/app-version", None if value is None else value.replace("{state}", str(rt.state)))
    result = rt.um.start("app.service", check=False)
    assert result.returncode != 0
    assert rt.state_of("app.service") == "failed"
    calls = rt.calls()
    assert ("etcdctl", "get", "/app-version") in calls
    assert not any(c[:2] == ("docker", "pull") for c in calls), calls
    assert not any(c[:2] == ("docker", "run") for c in calls), calls
    assert not (rt.state / "pwned").exists()
    assert not rt.seen(rt.runtime_dir("app.service")).exists()


# --------------------------------------------------------------------------- secret scan

_AWS_KEY = re.compile(r"AKIA[0-9A-Z]{16}")
_URL_CREDENTIALS = re.compile(r"://[^/\s:@\"']+:[^/\s@\"']+@")


def secret_findings(unit_text: str) -> list[str]:
    """Everything in a unit file that looks like a secret literal."""
    found = []
    for entry in parse_systemd(unit_text.encode("utf-8", "surrogateescape")).entries:
        key, value = entry.key, entry.value
        line = f"{key}={value}"
        assignments: list[str] = []
        if key == "Environment":
            assignments = [word.text for word in split_words(value).words]
        elif key in EXEC_KEYS:
            words = [word.text for command in parse_exec(value).commands for word in command.words]
            assignments = [b for a, b in zip(words, words[1:], strict=False) if a in ("-e", "--env")]
            assignments += [w.split("=", 1)[1] for w in words if w.startswith("--env=")]
        for assignment in assignments:
            name, _, literal = assignment.partition("=")
            problem = secret_problem(name, literal)
            if problem:
                found.append(f"{line}: {problem}")
        problem = secret_problem(None, value)
        if problem:
            found.append(f"{line}: {problem}")
        for pattern in (_AWS_KEY, _URL_CREDENTIALS):
            if pattern.search(line):
                found.append(f"{line}: matches {pattern.pattern}")
    return found


def test_no_generated_unit_holds_a_secret_literal() -> None:
    result = compile_specs(REPO / "specs")
    assert result.ok, [d.format() for d in result.diagnostics]
    assert len(result.environments) > 1  # every environment is compiled
    texts = dict(result.files)
    texts.update({str(p.relative_to(REPO)): p.read_text() for p in sorted((REPO / "out").rglob("*.service"))})
    assert any("--env-file" in text for text in texts.values())  # secrets are there, by reference
    findings = {name: secret_findings(text) for name, text in texts.items()}
    assert {name: f for name, f in findings.items() if f} == {}


@pytest.mark.parametrize(
    "line",
    [
        'Environment="DB_PASSWORD=hunter2"',
        "Environment=A=1 API_TOKEN=abc123",
        "ExecStart=/usr/bin/docker run --name x -e DB_PASSWORD=hunter2 img",
        'ExecStart=/usr/bin/docker run -e "SECRET_KEY=s3 cr3t" img',
        "ExecStartPre=/usr/bin/curl -o /tmp/x https://deploy:s3cret@example.com/x",
        "Environment=AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
        "ExecStart=/usr/bin/docker run \\\n  -e API_TOKEN=abc123 img",
    ],
)
def test_the_scan_catches_a_planted_secret(line: str) -> None:
    assert secret_findings(f"[Unit]\nDescription=x\n\n[Service]\n{line}\n")


def test_the_scan_passes_references_to_secrets() -> None:
    unit = (
        "[Service]\nEnvironment=DB_PASSWORD_FILE=/run/secrets/db TOKEN_TTL=60\n"
        "ExecStart=/usr/bin/docker run --env-file %t/unitgen/%n/app.env -e DB_PASSWORD=${DB_PASSWORD} img\n"
    )
    assert secret_findings(unit) == []


@pytest.mark.parametrize(
    "env",
    [
        '{ DB_PASSWORD = "hunter2" }',
        '{ API_TOKEN = "abc123" }',
        '{ DATABASE_URL = "postgres://app:hunter2@db/app" }',
        '{ SOME_ID = "AKIAIOSFODNN7EXAMPLE" }',
    ],
)
def test_compile_refuses_a_planted_secret(tmp_path: Path, env: str) -> None:
    spec = f'[container]\nimage = "example/app"\ntag = "v1"\nenv = {env}\n'
    result = compile_specs(write_specs(tmp_path, {"app.toml": spec}))
    assert not result.ok
    assert [d.code for d in result.diagnostics if d.is_error] == ["S601"]


def test_compile_accepts_a_value_declared_not_secret(tmp_path: Path) -> None:
    spec = '[container]\nimage = "example/app"\ntag = "v1"\nenv = { DB_PASSWORD = { value = "x", secret = false } }\n'
    result = compile_specs(write_specs(tmp_path, {"app.toml": spec}))
    assert result.ok, [d.format() for d in result.diagnostics]
    assert "-e DB_PASSWORD=x" in result.files["app.service"]
