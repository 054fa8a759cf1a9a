"""Writing the compiled units: all or nothing, atomically, never touching others' files.

A file counts as unitgen's when it starts with the generated header and its recorded
checksum matches its body.  A file without the header is someone else's: unitgen never
overwrites or deletes it.  A header whose checksum no longer matches means somebody
edited a generated file by hand: unitgen refuses to lose that edit unless forced.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import attrs

from unitgen.compile.header import checksum, split_generated
from unitgen.diagnostics import Diagnostics, Location
from unitgen.systemd.unitnames import FLEET_SUFFIXES

UNIT_SUFFIXES = tuple(f".{suffix}" for suffix in sorted(FLEET_SUFFIXES))


@attrs.frozen
class Plan:
    """What bringing ``out/`` in sync would do; paths are relative to the output directory."""

    write: tuple[str, ...]  # new or changed
    remove: tuple[str, ...]  # generated earlier, no longer produced
    unchanged: tuple[str, ...]

    @property
    def in_sync(self) -> bool:
        return not self.write and not self.remove


def unit_files(out_dir: Path) -> dict[str, Path]:
    """Unit files below ``out_dir`` by relative posix path: a symlink to a file counts, a
    symlinked directory is not entered, an unreadable directory is skipped."""
    return {relative: Path(path) for relative, path in _unit_file_paths(os.fspath(out_dir)).items()}


def _unit_file_paths(out_dir: str) -> dict[str, str]:
    found: dict[str, str] = {}
    pending = [("", out_dir)]
    while pending:
        prefix, directory = pending.pop()
        try:
            with os.scandir(directory) as listing:
                entries = list(listing)
        except OSError:
            continue
        for entry in entries:
            if _is_real_directory(entry):
                pending.append((f"{prefix}{entry.name}/", entry.path))
            elif entry.name.endswith(UNIT_SUFFIXES) and _is_file(entry):
                found[prefix + entry.name] = entry.path
    return found


def _is_real_directory(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()  # follows a symlink, as Path.is_file does
    except OSError:  # a symlink loop, say: Path.is_file says False too
        return False


def _read(path: str | os.PathLike[str]) -> str | None:
    try:
        return Path(path).read_bytes().decode("utf-8", "surrogateescape")
    except OSError:  # missing, unreadable, or a directory
        return None


def plan(
    files: Mapping[str, str], out_dir: Path, diagnostics: Diagnostics, *, force: bool = False, scope: str | None = None
) -> Plan:
    """Compare wanted files with ``out_dir``; report files unitgen may not touch.

    ``scope`` (e.g. ``"prod/"``, for --env) limits what may be removed to one environment's
    directory: another environment's files are not this compile's business, whatever
    state they are in."""
    directory = os.fspath(out_dir)
    existing = _unit_file_paths(directory)
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
        state = _ownership(_read(path) or "")
        if state == FOREIGN:
            continue  # someone else's file: leave it alone
        if _owner_problem(path, state, diagnostics, force, "remove"):
            continue
        remove.append(relative)
    return Plan(tuple(write), tuple(remove), tuple(unchanged))


# What is at a wanted file's place, as far as ``plan`` is concerned.
ABSENT = "absent"
UNCHANGED = "unchanged"
UNREADABLE = "unreadable"  # there, but unreadable or a dangling link
FOREIGN = "foreign"  # no generated header: someone else's file
EDITED = "edited"  # generated, then edited by hand (its checksum no longer matches)
GENERATED = "generated"  # generated, as it was written


def _state_on_disk(target: str, text: str, listed: bool) -> str:
    current = _read(target) if listed or os.path.exists(target) else None
    if current is None:
        return UNREADABLE if os.path.lexists(target) else ABSENT
    if current == text:
        return UNCHANGED
    return _ownership(current)


def _ownership(current: str) -> str:
    recorded, body = split_generated(current)
    if recorded is None:
        return FOREIGN
    return GENERATED if recorded == checksum(body) else EDITED


def contents_digest(files: Iterable[tuple[str, str]]) -> str:
    """One digest of (relative path, text) pairs, in the order given, such that equal
    digests mean equal files as ``plan`` compares them.  Each piece is length-prefixed,
    so no two sequences feed the same bytes; surrogatepass encodes every str, the
    surrogates of undecodable bytes included.  One digest rather than one per file: a
    memo of 13,000 units stays small, and so does the compile that writes it."""
    digest = hashlib.sha256()
    for relative, text in files:
        for piece in (relative.encode("utf-8", "surrogatepass"), text.encode("utf-8", "surrogatepass")):
            digest.update(len(piece).to_bytes(8, "big"))
            digest.update(piece)
    return digest.hexdigest()


def shown(out_dir: str | os.PathLike[str]) -> str:
    """The output directory as messages name it: relative to the working directory when
    it lies below it."""
    path = os.fspath(out_dir)
    cwd = os.getcwd()
    if path == cwd:
        return "."
    below = cwd.rstrip("/") + "/"
    return path[len(below) :] if path.startswith(below) else path


def in_sync_by_digest(
    paths: Sequence[str], digest: str, out_dir: str | os.PathLike[str], *, scope: str | None = None
) -> bool:
    """Whether ``compile`` would write nothing, remove nothing and refuse nothing, knowing
    only the wanted files' paths and their ``contents_digest`` (in that order): ``plan``
    (without --force, with the same ``scope``) is in sync and reports no problem.
    """
    directory = os.fspath(out_dir)
    missing: list[str] = []

    def on_disk() -> Iterator[tuple[str, str]]:  # one file in memory at a time
        for relative in paths:
            current = _read(os.path.join(directory, relative))
            if current is None:
                missing.append(relative)
                return
            yield relative, current

    if contents_digest(on_disk()) != digest or missing:
        return False
    wanted = set(paths)
    for relative, path in _unit_file_paths(directory).items():
        if relative in wanted or (scope is not None and not relative.startswith(scope)):
            continue
        if split_generated(_read(path) or "")[0] is not None:
            return False  # plan would remove it, or refuse to: a hand-edited one
    return True


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
