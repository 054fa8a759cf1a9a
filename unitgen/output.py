"""Writing the compiled units: all or nothing, atomically, never touching others' files.

A file counts as unitgen's when it starts with the generated header and its recorded
checksum matches its body.  A file without the header is someone else's: unitgen never
overwrites or deletes it.  A header whose checksum no longer matches means somebody
edited a generated file by hand: unitgen refuses to lose that edit unless forced.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import attrs

from unitgen.diagnostics import Diagnostics, Location
from unitgen.header import checksum, split_generated

UNIT_SUFFIXES = (".service", ".socket", ".timer", ".path", ".target", ".mount", ".automount", ".device")


@attrs.frozen
class Plan:
    """What bringing ``out/`` in sync would do; paths are relative to the output directory."""

    write: tuple[str, ...]  # new or changed
    remove: tuple[str, ...]  # generated earlier, no longer produced
    unchanged: tuple[str, ...]

    @property
    def in_sync(self) -> bool:
        return not self.write and not self.remove


def _existing_units(out_dir: Path) -> dict[str, Path]:
    if not out_dir.is_dir():
        return {}
    found = {}
    for path in out_dir.rglob("*"):
        if path.is_file() and path.name.endswith(UNIT_SUFFIXES):
            found[path.relative_to(out_dir).as_posix()] = path
    return found


def _read(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8", "surrogateescape")
    except OSError:
        return None


def plan(files: Mapping[str, str], out_dir: Path, diagnostics: Diagnostics, *, force: bool = False) -> Plan:
    """Compare wanted files with ``out_dir``; report files unitgen may not touch."""
    existing = _existing_units(out_dir)
    write, remove, unchanged = [], [], []
    for relative, text in sorted(files.items()):
        target = out_dir / relative
        current = _read(target) if relative in existing or target.exists() else None
        if current is None:
            if target.exists() or target.is_symlink():
                diagnostics.error("O101", "cannot read the existing file", location=Location(str(target)))
            write.append(relative)
            continue
        if current == text:
            unchanged.append(relative)
            continue
        if _owner_problem(target, current, diagnostics, force, "overwrite"):
            continue
        write.append(relative)
    for relative, path in sorted(existing.items()):
        if relative in files:
            continue
        current = _read(path)
        recorded, _ = split_generated(current or "")
        if recorded is None:
            continue  # someone else's file: leave it alone
        if _owner_problem(path, current or "", diagnostics, force, "remove"):
            continue
        remove.append(relative)
    return Plan(tuple(write), tuple(remove), tuple(unchanged))


def _owner_problem(path: Path, current: str, diagnostics: Diagnostics, force: bool, action: str) -> bool:
    recorded, body = split_generated(current)
    if recorded is None:
        diagnostics.error(
            "O102",
            f"refusing to {action} a file unitgen did not generate",
            location=Location(str(path), 1, 1),
            hint="move it out of the output directory, or rename the spec that produces this unit",
        )
        return True
    if recorded != checksum(body) and not force:
        diagnostics.error(
            "O103",
            f"refusing to {action} a generated file that was edited by hand",
            location=Location(str(path), 1, 1),
            hint="move the change into its spec, then delete the file or run with --force",
        )
        return True
    return False


def apply(plan_: Plan, files: Mapping[str, str], out_dir: Path) -> None:
    """Carry out a plan: every file is written to a temporary name and renamed into place."""
    made: set[str] = set()
    for relative in plan_.write:
        target = os.path.join(out_dir, relative)
        directory = os.path.dirname(target)
        if directory not in made:
            os.makedirs(directory, exist_ok=True)
            made.add(directory)
        _write_atomically(target, files[relative])
    for relative in plan_.remove:
        (out_dir / relative).unlink(missing_ok=True)


def _write_atomically(target: str, text: str) -> None:
    directory, name = os.path.split(target)
    # The temporary name starts with '.' and ends in no unit suffix, so no tool takes it for
    # a unit; O_EXCL: should a file of that name exist, it is not ours to overwrite.
    temporary = os.path.join(directory, f".{name}.unitgen-tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    except FileExistsError:
        fd, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".unitgen-tmp", dir=directory)
    try:
        try:
            os.fchmod(fd, 0o644)
            data = text.encode("utf-8", "surrogateescape")
            while data:
                data = data[os.write(fd, data) :]
        finally:
            os.close(fd)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
