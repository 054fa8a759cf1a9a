"""The hermetic root that ``systemd-analyze verify`` runs in: the units, and stubs for all they need.

``stub_tree`` builds a fresh root ``R`` in a temporary directory:

* the given unit texts in ``R/etc/systemd/system/<name>``;
* stub units in ``R/usr/lib/systemd/system/`` for ``sysinit.target``, ``basic.target``,
  ``shutdown.target``, every name in ``required_units`` and every unit named in a
  ``Requires=``/``BindsTo=``/``Requisite=`` line of the given units that is not given itself.
  Targets and slices get ``[Unit]`` + ``DefaultDependencies=no``; other types also get the
  least their type needs to load (systemd 252 refuses a ``.service`` without ``ExecStart=``,
  a ``.socket`` without ``Listen…=``, a ``.mount``/``.swap``/``.automount`` whose path does not
  match its name);
* executable ``#!/bin/sh`` stubs at ``R/<path>`` for every path in ``executables`` and for the
  executable of every command in every ``Exec…=`` line (bare names go to ``R/usr/bin``).

A template ``foo@.service`` is verified as its instance ``foo@i.service`` (systemd loads the
missing instance file from the template beside it); ``rename`` maps that name back to the
template's, as given.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import attrs

from unitgen.systemd.directives import EXEC_KEYS
from unitgen.systemd.execline import parse_exec
from unitgen.systemd.unitfile import parse_systemd
from unitgen.systemd.unitnames import is_template, split_name, systemd_name_problem
from unitgen.systemd.values import specifier_positions

_BASE_STUBS = ("sysinit.target", "basic.target", "shutdown.target")
_REQUIRING_KEYS = ("Requires", "BindsTo", "Requisite")  # a missing unit named here fails the verify
_STUB_SERVICE = "unitgen-verify-stub.service"
_STUB_HEAD = "[Unit]\nDefaultDependencies=no\n"
# What each type needs besides _STUB_HEAD to load; {name}, {path} and {stub_service} are filled in.
_STUB_BODIES = {
    "target": "",
    "slice": "",
    "service": "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=-/bin/true\n",
    "socket": "[Socket]\nListenFIFO=/run/unitgen-verify/{name}\nService={stub_service}\n",
    "timer": "[Timer]\nOnActiveSec=1d\nUnit={stub_service}\n",
    "path": "[Path]\nPathExists=/run/unitgen-verify\nUnit={stub_service}\n",
    "mount": "[Mount]\nWhat=tmpfs\nWhere={path}\n",
    "automount": "[Automount]\nWhere={path}\n",
    "swap": "[Swap]\nWhat={path}\n",
}
_NAMED_BY_PATH = frozenset({"mount", "automount", "swap"})  # the name must match the path inside


@attrs.frozen
class StubTree:
    """A root built by ``stub_tree``; valid until the ``with`` block ends."""

    root: Path
    verified: tuple[str, ...]  # the unit files to verify, as paths
    file_units: dict[str, str]  # every unit file written (path) → the unit name to report
    rename: dict[str, str]  # a name systemd reports → the name given (a template's instance)


def check_name(name: str) -> None:
    """Refuse a name that is not a plain file name: it would be written outside the tree."""
    if not name or "/" in name or name in (".", "..") or "\x00" in name:
        raise ValueError(f"not a unit file name: {name!r}")


@contextlib.contextmanager
def stub_tree(
    units: Mapping[str, str | bytes], *, executables: Iterable[str] = (), required_units: Iterable[str] = ()
) -> Iterator[StubTree]:
    """Build the root for UNITS (file name → text) in a temporary directory, removed on exit.

    Texts may be ``str`` (written as UTF-8, lone surrogates as raw bytes) or ``bytes``.
    EXECUTABLES are extra absolute paths (or bare names, put in ``/usr/bin``) to stub;
    REQUIRED_UNITS are extra unit names to stub.  Raises ValueError for a name that is not a
    plain file name.
    """
    required = list(required_units)
    for name in [*units, *required]:
        check_name(name)
    with tempfile.TemporaryDirectory(prefix="unitgen-verify-") as tmp:
        root = Path(tmp).resolve()
        etc = root / "etc/systemd/system"
        lib = root / "usr/lib/systemd/system"
        etc.mkdir(parents=True)
        lib.mkdir(parents=True)
        (root / "usr/bin").mkdir(parents=True)

        rename: dict[str, str] = {}
        verified: list[str] = []
        file_units: dict[str, str] = {}
        stub_executables = list(executables)
        for name in sorted(units):
            text = units[name]
            data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape")
            (etc / name).write_bytes(data)
            file_units[str(etc / name)] = name
            instance = _instance_of_template(name)
            if instance is None:
                verified.append(name)
            elif instance not in units:
                rename[instance] = name
                verified.append(instance)
            runs, requires = _needs(data)
            stub_executables += runs
            required += requires

        for dep, text in _stub_units(units, required).items():
            (lib / dep).write_text(text, encoding="utf-8")
            file_units[str(lib / dep)] = dep
        for executable in stub_executables:
            _write_stub_executable(root, executable)
        yield StubTree(root, tuple(str(etc / n) for n in dict.fromkeys(verified)), file_units, rename)


def _needs(data: bytes) -> tuple[list[str], list[str]]:
    """What one unit file needs to load: the executables its commands run, the units it requires."""
    executables: list[str] = []
    required: list[str] = []
    for entry in parse_systemd(data).entries:
        if entry.key in EXEC_KEYS:
            for command in parse_exec(entry.value).commands:
                path = command.executable
                # A path with a specifier in it is left out: its value is not known here.
                if path and not specifier_positions(path, allowed=frozenset()):
                    executables.append(path.replace("%%", "%"))
        elif entry.section == "Unit" and entry.key in _REQUIRING_KEYS:
            required += entry.value.split()
    return executables, required


def _stub_units(units: Mapping[str, object], required: Iterable[str]) -> dict[str, str]:
    """Stub unit texts for the base targets and for every required unit nothing given provides."""
    templates = {name for name in units if _instance_of_template(name)}

    def provided(dep: str) -> bool:
        prefix, instance, suffix = split_name(dep)
        return dep in units or (instance is not None and f"{prefix}@.{suffix}" in templates)

    stubs: dict[str, str] = {}
    for dep in (*_BASE_STUBS, *required):
        if dep in stubs or provided(dep) or "%" in dep or systemd_name_problem(dep):
            continue
        text = _stub_unit_text(dep)
        if text is not None:
            stubs[dep] = text
    if any(_STUB_SERVICE in text for text in stubs.values()) and not provided(_STUB_SERVICE):
        stubs.setdefault(_STUB_SERVICE, _stub_unit_text(_STUB_SERVICE) or "")
    return stubs


def _instance_of_template(name: str) -> str | None:
    """``foo@.service`` → ``foo@i.service``; None when NAME is no template."""
    if not is_template(name):
        return None
    prefix, _, suffix = split_name(name)
    return f"{prefix}@i.{suffix}"


def _unit_name_to_path(prefix: str) -> str:
    """systemd's unit_name_to_path for the part before the suffix ("var-lib-x" → "/var/lib/x")."""
    if prefix == "-":
        return "/"

    def unescape(part: str) -> str:
        return re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), part)

    return "/" + "/".join(unescape(p) for p in prefix.split("-"))


def _stub_unit_text(name: str) -> str | None:
    """Least unit file that loads cleanly as NAME, or None when no file should be written."""
    prefix, _, suffix = name.rpartition(".")
    body = _STUB_BODIES.get(suffix)
    if body is None:
        return None  # device and scope units cannot come from a unit file
    path = ""
    if suffix in _NAMED_BY_PATH:
        if "@" in prefix or "%" in prefix:
            return None
        path = _unit_name_to_path(prefix)
    return _STUB_HEAD + body.format(name=name, path=path, stub_service=_STUB_SERVICE)


def _write_stub_executable(root: Path, path: str) -> None:
    if not path or path.endswith("/") or "\x00" in path:
        return
    if not path.startswith("/"):
        path = "/usr/bin/" + path
    target = os.path.normpath(str(root) + path)
    if not target.startswith(str(root) + os.sep) or os.path.lexists(target):
        return
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8") as f:
            f.write("#!/bin/sh\n")
        os.chmod(target, 0o755)
    except OSError:
        pass  # e.g. a path component is a file: systemd will say what is wrong
