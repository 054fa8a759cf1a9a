"""What bringing ``out/`` in sync would do, and whose files those are.

A file counts as unitgen's when it starts with the generated header and its recorded
checksum matches its body.  A file without the header is someone else's: unitgen never
overwrites or deletes it.  A header whose checksum no longer matches means somebody
edited a generated file by hand: unitgen refuses to lose that edit unless forced.
A generated file is removed only by a compile of the specs directory that generated it:
the header names it (``from specs/web.toml``), and the compiled files name this one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import attrs

from unitgen.compile.header import checksum, split_generated
from unitgen.diagnostics import Diagnostics, Location
from unitgen.output.ondisk import listing, may_exist, owners, read_text, source_directory


@attrs.frozen
class Plan:
    """What bringing ``out/`` in sync would do; paths are relative to the output directory."""

    write: tuple[str, ...]  # new or changed
    remove: tuple[str, ...]  # generated earlier by these specs, no longer produced
    unchanged: tuple[str, ...]
    leftovers: tuple[str, ...] = ()  # temporary files an interrupted older unitgen left

    @property
    def in_sync(self) -> bool:
        return not self.write and not self.remove and not self.leftovers


def plan(
    files: Mapping[str, str], out_dir: Path, diagnostics: Diagnostics, *, force: bool = False, scope: str | None = None
) -> Plan:
    """Compare wanted files with ``out_dir``; report files unitgen may not touch.

    ``scope`` (e.g. ``"prod/"``, for --env) limits what may be removed to one environment's
    directory: another environment's files are not this compile's business, whatever
    state they are in."""
    directory = os.fspath(out_dir)
    found = listing(directory)
    existing = found.units
    ours = owners(files.values())
    wanted = sorted(files)
    on_disk = {
        relative: _state_on_disk(os.path.join(directory, relative), files[relative], relative in existing)
        for relative in wanted
    }
    write, remove, unchanged = [], [], []
    for relative in wanted:
        state = on_disk[relative]
        target = os.path.join(directory, relative)
        if state == UNCHANGED:
            unchanged.append(relative)
            continue
        if state == UNREADABLE:  # an error: nothing is written, but the plan says what would be
            diagnostics.error("O101", "cannot read the existing file", location=_location(target))
        elif _owner_problem(target, state, diagnostics, force, "overwrite"):
            continue
        write.append(relative)
    for relative, path in sorted(existing.items()):
        if relative in files or (scope is not None and not relative.startswith(scope)):
            continue
        current = read_text(path) or ""
        state = _ownership(current)
        if state == FOREIGN or source_directory(current) not in ours:
            continue  # someone else's file, or another specs directory's: leave it alone
        if _owner_problem(path, state, diagnostics, force, "remove"):
            continue
        remove.append(relative)
    leftovers = sorted(relative for relative in found.leftovers if scope is None or relative.startswith(scope))
    return Plan(tuple(write), tuple(remove), tuple(unchanged), tuple(leftovers))


# What is at a wanted file's place, as far as ``plan`` is concerned.
ABSENT = "absent"
UNCHANGED = "unchanged"
UNREADABLE = "unreadable"  # there, but unreadable or a dangling link
FOREIGN = "foreign"  # no generated header: someone else's file
EDITED = "edited"  # generated, then edited by hand (its checksum no longer matches)
GENERATED = "generated"  # generated, as it was written


def _state_on_disk(target: str, text: str, listed: bool) -> str:
    current = read_text(target) if listed or os.path.exists(target) else None
    if current is None:
        return UNREADABLE if may_exist(target) else ABSENT
    if current == text:
        return UNCHANGED
    return _ownership(current)


def _ownership(current: str) -> str:
    recorded, body = split_generated(current)
    if recorded is None:
        return FOREIGN
    return GENERATED if recorded == checksum(body) else EDITED


def _location(path: str, line: int | None = None, column: int | None = None) -> Location:
    return Location(str(path), line, column)


def _owner_problem(path: str, state: str, diagnostics: Diagnostics, force: bool, action: str) -> bool:
    """Report a file that is not unitgen's to replace; ``state``: what ``_ownership`` says."""
    if state == FOREIGN:
        diagnostics.error(
            "O102",
            f"refusing to {action} a file unitgen did not generate",
            location=_location(path, 1, 1),
            hint="move it out of the output directory, or rename the spec that produces this unit",
        )
        return True
    if state == EDITED and not force:
        diagnostics.error(
            "O103",
            f"refusing to {action} a generated file that was edited by hand",
            location=_location(path, 1, 1),
            hint="move the change into its spec, then delete the file or run with --force",
        )
        return True
    return False
