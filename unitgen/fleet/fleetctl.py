"""Running fleetctl v1.0.0 and reading what it says: the registry's units, their text, the
messages of ``submit`` and ``start``.

fleet stores a unit as go-systemd writes it back (``systemd.gounitfile.fleet_text``):
comments and blank lines gone, names and values trimmed.  Its hash (``list-unit-files``'
HASH) is the SHA-1 of that text, which is what ``fleetctl cat`` prints, so a generated unit
and fleet's copy are compared on fleet's terms: the same text once fleet has read it.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import time
from collections.abc import Sequence

import attrs

from unitgen.compile.header import MARKER_SECTION
from unitgen.systemd.gounitfile import fleet_text, parse_go_systemd

UNIT_FIELDS = "unit,hash,dstate,state,target,global"

# What fleetctl v1.0.0 prints for one unit of a submit or start (fleetctl/fleetctl.go).
_UNCHANGED = re.compile(r"^Found same Unit\((?P<name>.+)\) in Registry, nothing to do$")
_REFUSED = re.compile(r"^Warning: can not replace Unit\((?P<name>.+)\) in state '(?P<state>[^']*)'")


class TimedOut(Exception):
    """The overall deadline passed while fleetctl ran (fleetctl has been ended)."""


@attrs.frozen
class Ran:
    argv: tuple[str, ...]
    status: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return [line.strip() for line in (self.stdout + "\n" + self.stderr).splitlines() if line.strip()]


@attrs.frozen
class FleetUnit:
    """A unit as ``fleetctl list-unit-files`` shows it."""

    name: str
    hash: str
    desired: str  # DSTATE: inactive, loaded, launched (what fleet is asked to do)
    current: str  # STATE: what the machine running it reports; "-" when none does (or a global unit)
    target: str  # TARGET: the machine chosen, "-" for none, "global" for a global unit
    is_global: bool

    @property
    def running(self) -> bool:
        return self.current == "launched"


def fleet_hash(text: str) -> str | None:
    """fleet's hash of a unit file: the SHA-1 of the text fleet stores for it."""
    stored = fleet_text(text.encode("utf-8", "surrogateescape"))
    return None if stored is None else hashlib.sha1(stored.encode("utf-8", "surrogateescape")).hexdigest()


def parse_unit_files(output: str) -> dict[str, FleetUnit]:
    """``list-unit-files --full --no-legend --fields=UNIT_FIELDS``: tab-padded columns, none empty."""
    units: dict[str, FleetUnit] = {}
    for line in output.splitlines():
        cells = line.split()
        if len(cells) != 6:
            continue
        name, digest, desired, current, target, is_global = cells
        units[name] = FleetUnit(name, digest, desired, current, target, is_global == "true")
    return units


def marker(text: str) -> dict[str, str]:
    """The ``[X-Unitgen]`` values of a unit as fleet holds it; empty for a unit unitgen did not write."""
    parsed = parse_go_systemd(text.encode("utf-8", "surrogateescape"))
    return {option.name: option.value for option in parsed.options if option.section == MARKER_SECTION}


def unchanged_in(lines: Sequence[str]) -> set[str]:
    return {m.group("name") for m in map(_UNCHANGED.match, lines) if m}


def refused_in(lines: Sequence[str]) -> dict[str, str]:
    """Units fleet would not replace, with the state it gave as the reason."""
    return {m.group("name"): m.group("state") for m in map(_REFUSED.match, lines) if m}


@attrs.define
class Fleetctl:
    """fleetctl with its global flags; every call ends by ``deadline`` (time.monotonic()) if one is set.

    fleetctl gets our environment as it is, so it reads FLEETCTL_* itself."""

    command: tuple[str, ...]  # the executable and its global flags
    deadline: float | None = None

    def run(self, *args: str) -> Ran:
        return self.run_argv((*self.command, *args))

    def run_argv(self, argv: Sequence[str]) -> Ran:
        """Run ``argv`` (a fleetctl command line) to its end, the deadline or a signal (which ends fleetctl too)."""
        process = subprocess.Popen(
            list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace"
        )
        try:
            timeout = None if self.deadline is None else max(self.deadline - time.monotonic(), 0.0)
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _end(process)
            raise TimedOut() from None
        except BaseException:
            _end(process)
            raise
        return Ran(tuple(argv), process.returncode, stdout, stderr)

    def unit_files(self) -> tuple[dict[str, FleetUnit], Ran]:
        ran = self.run("list-unit-files", "--full", "--no-legend", f"--fields={UNIT_FIELDS}")
        return (parse_unit_files(ran.stdout) if ran.status == 0 else {}), ran

    def cat(self, name: str) -> str | None:
        ran = self.run("cat", name)
        return ran.stdout if ran.status == 0 else None


def _end(process: subprocess.Popen[str]) -> None:
    """Stop fleetctl (it holds no lock, so SIGTERM then SIGKILL is safe) and reap it."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
