"""Exec-time argv oracle (reference ``systemd-syntax.md`` §11.B): a throw-away ``systemd --user``.

``UserManager(base_dir)`` runs a private systemd 252 user manager that executes unit files
for real, so a test can see the exact argv (and flags) systemd hands to ``execve()``::

    from tests.support.user_manager import UserManager, available

    ok, why = available()
    require(ok, why)
    with UserManager(tmp_path, tmpfs=("/opt",)) as um:
        assert um.run_argv('"two words" $$HOME') == [um.dumper_path.encode(), b"two words", b"$HOME"]

How it works (all from the calling process, which stays outside the namespace):

* ``argvdump.c`` is compiled with gcc into ``S/bin/argvdump`` (S = ``base_dir/um``); it writes
  its argv as hex lines to ``$OUT``.
* one long-lived ``unshare --mount --propagation private bash -c <setup>`` child mounts a
  tmpfs on ``/run/systemd`` (with ``/run/systemd/system`` so that ``sd_booted()`` holds) and
  on each ``tmpfs`` directory (default none; pass ``("/opt",)`` to install the dumper at
  paths like ``/opt/my dir/prog`` without touching the host), moves itself into a fresh
  cgroup ``G/unitgen-um-…`` (G = the cgroup2 mount), and ``exec``\\ s
  ``systemd --user --unit=default.target`` with ``HOME``/``XDG_*`` under S and
  ``SYSTEMD_UNIT_PATH=S/units:S/stubs`` (stubs: default/basic/sysinit/shutdown targets,
  app.slice).  Its log goes to ``S/manager.log``.
* ``systemctl --user`` calls are run in the same mount namespace with
  ``nsenter --target <pid> --mount`` and ``XDG_RUNTIME_DIR=S/xdg``: they talk to the
  manager's private socket, no D-Bus.
* ``close()`` sends ``SIGRTMIN+24`` (a user manager's "exit now"), kills whatever is left
  in the cgroup and removes it.  The manager gets ``PR_SET_PDEATHSIG`` = SIGKILL, so it
  does not outlive a killed test run.

The manager's environment (``PATH``, ``HOME``, ``XDG_*``, ``SYSTEMD_UNIT_PATH``) is passed to
the services, as a user manager does; tests of ``$`` expansion should use their own names.

Requirements: Linux, root, ``unshare``, ``nsenter``, ``systemctl``, ``/lib/systemd/systemd``,
a C compiler and a writable cgroup2 hierarchy; ``available()`` says whether they are met.
Made for machines whose PID 1 is not systemd (containers, CI); on a systemd-booted host it
would put a foreign cgroup next to PID 1's, so ``available()`` refuses there.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import weakref
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

__all__ = ["OracleError", "UserManager", "available", "decode_dump"]

DUMPER_SOURCE = Path(__file__).with_name("argvdump.c")
STUB_UNITS = ("default.target", "basic.target", "sysinit.target", "shutdown.target", "app.slice")
_SAFE_PATH_RE = re.compile(r"^/[A-Za-z0-9/_.+,=@-]*$")  # no quoting, %%, $$ needed in unit files
_SYSTEMD_CANDIDATES = ("/lib/systemd/systemd", "/usr/lib/systemd/systemd")

_SETUP_SCRIPT = r"""
set -eu
mkdir -p /run/systemd
mount -t tmpfs -o mode=0755 tmpfs /run/systemd
mkdir /run/systemd/system
for dir in "$@"; do
    mkdir -p "$dir"
    mount -t tmpfs -o mode=0755 tmpfs "$dir"
done
if [ -n "${UNITGEN_UM_MACHINE_ID-}" ]; then
    mount --bind "$UNITGEN_UM_MACHINE_ID" /etc/machine-id
fi
echo $$ > "$UNITGEN_UM_CGROUP/cgroup.procs"
unset UNITGEN_UM_CGROUP UNITGEN_UM_SYSTEMD UNITGEN_UM_MACHINE_ID
rm -f "$XDG_RUNTIME_DIR/systemd/private"
exec "$0" --user --unit=default.target --log-target=console --log-color=no
"""


class OracleError(RuntimeError):
    """The user manager could not be started, or a command or unit did not do its job."""


def _systemd_binary() -> str | None:
    for candidate in _SYSTEMD_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def _cgroup2_root() -> Path | None:
    for candidate in (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified")):
        if (candidate / "cgroup.controllers").exists():
            return candidate
    return None


def _compiler() -> str | None:
    return shutil.which("gcc") or shutil.which("cc")


@functools.cache
def available() -> tuple[bool, str]:
    """(True, "") when this machine can run a UserManager, else (False, the reason)."""
    if sys.platform != "linux":
        return False, "the systemd user-manager oracle needs Linux"
    if os.geteuid() != 0:
        return False, "the systemd user-manager oracle needs root (mount namespace, cgroups)"
    for tool in ("unshare", "nsenter", "systemctl", "install"):
        if not shutil.which(tool):
            return False, f"the systemd user-manager oracle needs {tool}"
    if _compiler() is None:
        return False, "the systemd user-manager oracle needs a C compiler (gcc or cc)"
    if _systemd_binary() is None:
        return False, "the systemd user-manager oracle needs /lib/systemd/systemd"
    if os.path.isdir("/run/systemd/system"):
        return False, "PID 1 is systemd here; the user-manager oracle is for non-systemd hosts (CI containers)"
    root = _cgroup2_root()
    if root is None:
        return False, "no cgroup2 hierarchy at /sys/fs/cgroup or /sys/fs/cgroup/unified"
    if not os.access(root, os.W_OK):
        return False, f"the cgroup2 hierarchy {root} is not writable"
    try:
        probe = subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "true"],
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, f"unshare --mount failed: {e}"
    if probe.returncode != 0:
        err = probe.stderr.decode(errors="replace").strip()
        return False, f"unshare --mount failed (no CAP_SYS_ADMIN?): {err}"
    return True, ""


def decode_dump(text: str | bytes) -> list[bytes]:
    """The argv in an argvdump output file (hex lines) as bytes."""
    if isinstance(text, bytes):
        text = text.decode("ascii")
    if not text.endswith("\n"):
        raise OracleError(f"truncated argvdump output: {text[-80:]!r}")
    return [bytes.fromhex(line) for line in text[:-1].split("\n")]


def _set_pdeathsig() -> None:  # runs in the child between fork and exec
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:  # best effort only
        pass


def _shutdown(proc: subprocess.Popen[bytes] | None, cgroup: Path | None) -> None:
    """Stop the manager and remove its cgroup; safe to call twice (also used as finalizer)."""
    if proc is not None and proc.poll() is None:
        try:
            proc.send_signal(signal.SIGRTMIN + 24)
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        except ProcessLookupError:
            pass
    if cgroup is None or not cgroup.exists():
        return
    deadline = time.monotonic() + 10
    while cgroup.exists():
        dirs = sorted((p for p in cgroup.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True)
        dirs.append(cgroup)
        for d in dirs:
            try:
                for pid in (d / "cgroup.procs").read_text().split():
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass
        for d in dirs:
            with contextlib.suppress(OSError):
                d.rmdir()
        if not cgroup.exists():
            return
        if time.monotonic() > deadline:
            raise OracleError(f"could not remove the cgroup {cgroup}")
        time.sleep(0.05)


def _remove_stale_cgroups(root: Path) -> None:
    """Remove cgroups left by managers whose test process was killed (PR_SET_PDEATHSIG)."""
    for d in root.glob("unitgen-um-*"):
        owner = d.name.split("-")[2]
        if owner.isdigit() and not os.path.exists(f"/proc/{owner}"):
            with contextlib.suppress(OracleError):
                _shutdown(None, d)


class UserManager:
    """A throw-away ``systemd --user`` in a private mount namespace (§11.B).

    Use as a context manager (``launch()`` on enter, ``close()`` on exit).  State lives in
    ``S = base_dir/"um"``: ``units/`` (installed units), ``stubs/``, ``out/`` (dumper
    output, ``out/<unit>.txt``), ``bin/argvdump``, ``manager.log``.
    """

    def __init__(
        self,
        base_dir: str | os.PathLike[str],
        *,
        tmpfs: Iterable[str] = (),
        start_timeout: float = 20.0,
        command_timeout: float = 30.0,
        machine_id: str | None = None,
    ) -> None:
        self.state_dir = Path(base_dir).resolve() / "um"
        if not _SAFE_PATH_RE.match(str(self.state_dir)):
            raise ValueError(
                f"{self.state_dir} has characters that would need quoting in a unit file; use a simpler base directory"
            )
        self.tmpfs = tuple(tmpfs)
        for d in self.tmpfs:
            if not d.startswith("/") or d.rstrip("/") in ("", "/run", "/sys", "/proc", "/dev"):
                raise ValueError(f"refusing to mount a tmpfs on {d!r}")
        # A machine ID of its own (systemd's %m), bound over /etc/machine-id in its namespace:
        # several managers then act as several machines.
        self.machine_id = machine_id
        self.start_timeout = start_timeout
        self.command_timeout = command_timeout
        self.units_dir = self.state_dir / "units"
        self.stubs_dir = self.state_dir / "stubs"
        self.out_dir = self.state_dir / "out"
        self.log_path = self.state_dir / "manager.log"
        self.runtime_dir = self.state_dir / "xdg"
        self._proc: subprocess.Popen[bytes] | None = None
        self._cgroup: Path | None = None
        self._log_file: object | None = None
        self._finalizer: weakref.finalize | None = None
        self._counter = 0
        self.timings: dict[str, float] = {}

    # ------------------------------------------------------------------ lifecycle

    @property
    def dumper_path(self) -> str:
        """Absolute path of the compiled argv dumper (bare-safe in unit files)."""
        return str(self.state_dir / "bin" / "argvdump")

    @property
    def pid(self) -> int:
        if self._proc is None:
            raise OracleError("the user manager is not running")
        return self._proc.pid

    def __enter__(self) -> UserManager:
        self.launch()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def launch(self) -> None:
        """Compile the dumper, start the manager and wait until it answers."""
        if self._proc is not None:
            raise OracleError("already launched")
        ok, why = available()
        if not ok:
            raise OracleError(why)
        t0 = time.monotonic()
        home = self.state_dir / "home"
        for d in (self.units_dir, self.stubs_dir, self.out_dir, self.state_dir / "bin", home):
            d.mkdir(parents=True, exist_ok=True)
        self.runtime_dir.mkdir(mode=0o700, exist_ok=True)
        os.chmod(self.runtime_dir, 0o700)
        for name in STUB_UNITS:
            (self.stubs_dir / name).write_text("[Unit]\nDefaultDependencies=no\n")
        self._compile_dumper()
        t1 = time.monotonic()

        root = _cgroup2_root()
        assert root is not None
        _remove_stale_cgroups(root)
        self._cgroup = root / f"unitgen-um-{os.getpid()}-{secrets.token_hex(4)}"
        self._cgroup.mkdir()
        systemd = _systemd_binary()
        assert systemd is not None
        env = self._env()
        env.update(
            HOME=str(home),
            XDG_CONFIG_HOME=str(home / ".config"),
            XDG_DATA_HOME=str(home / ".local/share"),
            XDG_STATE_HOME=str(home / ".local/state"),
            XDG_CACHE_HOME=str(home / ".cache"),
            SYSTEMD_UNIT_PATH=f"{self.units_dir}:{self.stubs_dir}",
            UNITGEN_UM_CGROUP=str(self._cgroup),
        )
        if self.machine_id is not None:
            machine_id_file = self.state_dir / "machine-id"
            machine_id_file.write_text(self.machine_id + "\n")
            env["UNITGEN_UM_MACHINE_ID"] = str(machine_id_file)
        self._log_file = open(self.log_path, "ab")  # noqa: SIM115 - lives as long as the manager
        try:
            self._proc = subprocess.Popen(
                ["unshare", "--mount", "--propagation", "private", "bash", "-c", _SETUP_SCRIPT, systemd, *self.tmpfs],
                stdin=subprocess.DEVNULL,
                stdout=self._log_file,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.state_dir,
                start_new_session=True,
                preexec_fn=_set_pdeathsig,
            )
        except OSError as e:
            _shutdown(None, self._cgroup)
            raise OracleError(f"cannot start unshare: {e}") from e
        self._finalizer = weakref.finalize(self, _shutdown, self._proc, self._cgroup)
        try:
            self._wait_ready()
        except BaseException:
            self.close()
            raise
        self.timings = {"compile": t1 - t0, "manager_start": time.monotonic() - t1}

    def _compile_dumper(self) -> None:
        cc = _compiler()
        if cc is None:
            raise OracleError("no C compiler")
        result = subprocess.run(
            [cc, "-O2", "-Wall", "-o", self.dumper_path, str(DUMPER_SOURCE)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            raise OracleError(f"compiling {DUMPER_SOURCE} failed:\n{result.stderr}")

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        last = ""
        while True:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise OracleError(f"systemd --user exited with status {self._proc.returncode}:\n{self.log_tail()}")
            if (self.runtime_dir / "systemd" / "private").exists():
                r = self._run_systemctl(["show", "-p", "Version"], timeout=5)
                if r.returncode == 0 and r.stdout.startswith(b"Version="):
                    return
                last = r.stderr.decode(errors="replace")
            if time.monotonic() > deadline:
                raise OracleError(f"systemd --user did not answer in {self.start_timeout} s: {last}\n{self.log_tail()}")
            time.sleep(0.02)

    def close(self) -> None:
        """Stop the manager (SIGRTMIN+24), kill what is left in its cgroup, remove the cgroup."""
        if self._finalizer is not None:
            self._finalizer()  # runs _shutdown once
            self._finalizer = None
        elif self._cgroup is not None:
            _shutdown(self._proc, self._cgroup)
        self._proc = None
        if self._log_file is not None:
            self._log_file.close()  # type: ignore[attr-defined]
            self._log_file = None

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    # ------------------------------------------------------------------ commands

    def _env(self) -> dict[str, str]:
        return {
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "XDG_RUNTIME_DIR": str(self.runtime_dir),
        }

    def _run_systemctl(self, args: Sequence[str], timeout: float | None = None) -> subprocess.CompletedProcess[bytes]:
        return self.nsenter(["systemctl", "--user", "--no-pager", "--no-ask-password", *args], timeout=timeout)

    def nsenter(self, argv: Sequence[str | bytes], timeout: float | None = None) -> subprocess.CompletedProcess[bytes]:
        """Run ARGV in the manager's mount namespace (with XDG_RUNTIME_DIR set); never raises on rc."""
        env = self._env()
        env["SYSTEMD_COLORS"] = "0"
        env["SYSTEMD_PAGER"] = ""
        try:
            return subprocess.run(
                ["nsenter", f"--target={self.pid}", "--mount", "--", *argv],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                env=env,
                timeout=timeout or self.command_timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as e:
            raise OracleError(f"{list(argv)} did not finish in {e.timeout} s\n{self.log_tail()}") from e

    def systemctl(
        self, *args: str, check: bool = True, timeout: float | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        """``systemctl --user ARGS`` against this manager; raises OracleError on rc != 0 if CHECK."""
        r = self._run_systemctl(args, timeout=timeout)
        if check and r.returncode != 0:
            raise OracleError(
                f"systemctl --user {' '.join(args)} failed ({r.returncode}): "
                f"{r.stderr.decode(errors='replace').strip()}\n{self.log_tail()}"
            )
        return r

    def daemon_reload(self) -> None:
        self.systemctl("daemon-reload")

    def install(self, name: str, text: str | bytes, *, reload: bool = True) -> Path:
        """Write unit NAME (str as UTF-8 with surrogateescape, or bytes) to S/units; daemon-reload."""
        if not name or "/" in name:
            raise ValueError(f"not a unit file name: {name!r}")
        path = self.units_dir / name
        data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape")
        path.write_bytes(data)
        if reload:
            self.daemon_reload()
        return path

    def install_many(self, units: Mapping[str, str | bytes]) -> None:
        """Write several units, then one daemon-reload."""
        for name, text in units.items():
            self.install(name, text, reload=False)
        self.daemon_reload()

    def install_file(self, path: str | bytes, source: str | os.PathLike[str] | None = None, mode: int = 0o755) -> None:
        """Copy SOURCE (default: the dumper) to PATH inside the namespace, creating directories.

        PATH should be under S or under a ``tmpfs`` directory given to the constructor, so
        the host is not touched.
        """
        src = os.fspath(source) if source is not None else self.dumper_path
        r = self.nsenter(["install", "-D", "-m", f"{mode:o}", src, path])
        if r.returncode != 0:
            raise OracleError(f"install {path!r} failed: {r.stderr.decode(errors='replace')}")

    def start(self, name: str, wait: bool = True, *, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        """``systemctl --user start NAME`` (``--no-block`` unless WAIT)."""
        args = ["start", name] if wait else ["start", "--no-block", name]
        return self.systemctl(*args, check=check)

    def start_many(self, names: Iterable[str], *, check: bool = False) -> subprocess.CompletedProcess[bytes]:
        """Start several units in one call and wait for all (one failing does not stop the others)."""
        return self.systemctl("start", *names, check=check)

    def stop(self, name: str, *, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        return self.systemctl("stop", name, check=check)

    def is_active(self, name: str) -> bool:
        return self.systemctl("is-active", "--quiet", name, check=False).returncode == 0

    def show(self, name: str, prop: str) -> str:
        """``systemctl --user show -p PROP --value NAME``, trailing newline removed.

        Beware: systemd 252 fails ``show`` ("Invalid argument") for Exec properties when an
        argv is not valid UTF-8, because the bus message cannot carry it.
        """
        r = self.systemctl("show", "-p", prop, "--value", name)
        return r.stdout.decode("utf-8", "surrogateescape").removesuffix("\n")

    # ------------------------------------------------------------------ argv oracle

    def new_unit_name(self, stem: str = "argv") -> str:
        self._counter += 1
        return f"{stem}-{self._counter}.service"

    def output_path(self, unit: str) -> Path:
        return self.out_dir / f"{unit}.txt"

    def oneshot_unit(self, exec_start: str, *, service_lines: Iterable[str] = ()) -> str:
        """Text of a ``Type=oneshot`` unit with ``OUT=S/out/%n.txt`` and the given ExecStart= value."""
        lines = [
            "[Unit]",
            "Description=unitgen argv oracle",
            "[Service]",
            "Type=oneshot",
            f"Environment=OUT={self.out_dir}/%n.txt",
            *service_lines,
            f"ExecStart={exec_start}",
            "",
        ]
        return "\n".join(lines)

    def run_execs(self, exec_starts: Sequence[str], *, service_lines: Iterable[str] = ()) -> list[list[bytes]]:
        """Run one oneshot unit per ExecStart= value (one reload, one start); their argvs.

        Each value is the whole text after ``ExecStart=`` (prefixes, executable, arguments),
        which must run the dumper (at ``dumper_path`` or a copy made with ``install_file``).
        Raises OracleError naming the units that did not produce an argv.
        """
        lines = tuple(service_lines)
        names = [self.new_unit_name() for _ in exec_starts]
        units = {n: self.oneshot_unit(v, service_lines=lines) for n, v in zip(names, exec_starts, strict=True)}
        for n in names:
            self.output_path(n).unlink(missing_ok=True)
        self.install_many(units)
        result = self.start_many(names)
        argvs: list[list[bytes]] = []
        failed: list[str] = []
        for n, v in zip(names, exec_starts, strict=True):
            out = self.output_path(n)
            if not out.exists():
                failed.append(f"{n} (ExecStart={v[:200]!r}): {self._unit_state(n)}")
                argvs.append([])
                continue
            argvs.append(decode_dump(out.read_bytes()))
        if failed:
            raise OracleError(
                "no argv from:\n  "
                + "\n  ".join(failed)
                + f"\nsystemctl: {result.stderr.decode(errors='replace').strip()}\n{self.log_tail()}"
            )
        return argvs

    def run_exec(self, exec_start: str, *, service_lines: Iterable[str] = ()) -> list[bytes]:
        """The argv one ``ExecStart=EXEC_START`` line gives the dumper."""
        return self.run_execs([exec_start], service_lines=service_lines)[0]

    def run_argv(
        self, exec_line_value: str, flags_prefix: str = "", *, service_lines: Iterable[str] = ()
    ) -> list[bytes]:
        """The argv the dumper receives from ``ExecStart=<FLAGS_PREFIX><dumper> <EXEC_LINE_VALUE>``.

        EXEC_LINE_VALUE is the encoded argument text (as a compiler would write it after the
        executable); argv[0] of the result is the dumper path.
        """
        value = f"{flags_prefix}{self.dumper_path}"
        if exec_line_value:
            value += " " + exec_line_value
        return self.run_exec(value, service_lines=service_lines)

    def _unit_state(self, name: str) -> str:
        r = self.systemctl("show", "-p", "LoadState", "-p", "ActiveState", "-p", "Result", name, check=False)
        return " ".join(r.stdout.decode(errors="replace").split()) or r.stderr.decode(errors="replace").strip()
