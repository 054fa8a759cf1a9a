"""Carrying out a plan as one transaction: ``out/`` ends as it was, or as the specs say.

The new files are staged in ``out/.unitgen/new/`` and what they replace or remove is kept
in ``out/.unitgen/old/``, all made durable, before the journal commits (see ``journal``).
Only then does ``out/`` change: one rename per file, so a reader sees each file old or
new, whole.  A failure or a signal before the commit discards the staging; after it, the
write is finished, or undone when a rename fails.  ``kill -9`` or a power cut leaves the
journal for the next compile or check to finish or undo.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from unitgen.files import write_new
from unitgen.output import journal
from unitgen.output.failure import OutputFailure, failing_as
from unitgen.output.interrupt import Signals
from unitgen.output.journal import MKDIR, REMOVE, WRITE, Operation
from unitgen.output.lock import state_dir
from unitgen.output.plan import Plan

UNIT_MODE = 0o644


def apply(plan: Plan, files: Mapping[str, str], out_dir: Path, signals: Signals | None = None) -> None:
    """Write every new or changed file of ``plan`` and remove what it removes, all or
    nothing.  The caller holds the lock (``guard``); ``signals`` says which signal came
    while the commit was finished (none are caught without it)."""
    directory = os.fspath(out_dir)
    signals = signals if signals is not None else Signals()
    operations = operations_of(plan, directory)
    if not operations:
        return
    committed = False
    try:
        _stage(directory, operations, files)
        signals.raise_pending()
        with signals.shielded():
            with failing_as("commit the journal", state_dir(directory)):
                journal.write_journal(directory, operations)
            committed = True
            journal.roll_forward(directory, operations)
            journal.discard(directory)
    except BaseException:
        with signals.shielded():
            _undo(directory, operations, committed)
        raise


def operations_of(plan: Plan, out_dir: str) -> list[Operation]:
    """The journal's operations: directories to make (parents first), files to write,
    files to remove; each file numbered for its staged and kept copies."""
    operations: list[Operation] = []
    made: set[str] = set()
    for relative in plan.write:
        parts = relative.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            parent = "/".join(parts[:depth])
            if parent not in made and not os.path.isdir(os.path.join(out_dir, *parts[:depth])):
                made.add(parent)
                operations.append(Operation(MKDIR, parent))
    number = 0
    for kind, paths in ((WRITE, plan.write), (REMOVE, plan.remove + plan.leftovers)):
        for relative in paths:
            number += 1
            there = os.path.lexists(os.path.join(out_dir, *relative.split("/")))
            operations.append(Operation(kind, relative, number, there))
    return operations


def _stage(out_dir: str, operations: list[Operation], files: Mapping[str, str]) -> None:
    """Write the new files and keep the old ones, inside the state directory, durably;
    ``out/`` itself is not changed."""
    for name in (journal.NEW, journal.OLD):
        with failing_as("create the staging directory", state_dir(out_dir)):
            os.makedirs(os.path.join(state_dir(out_dir), name), exist_ok=True)
    for operation in operations:
        where = journal.target(out_dir, operation)
        if operation.kind == MKDIR:
            if os.path.lexists(where):  # not a directory: operations_of saw none there
                raise OutputFailure("create the directory", where, OSError(errno.EEXIST, os.strerror(errno.EEXIST)))
            continue
        if operation.kept:
            with failing_as("keep the file it replaces", where):
                _keep(where, journal.kept(out_dir, operation))
        if operation.kind == WRITE:
            with failing_as("write the file", where):
                data = files[operation.path].encode("utf-8", "surrogateescape")
                write_new(journal.staged(out_dir, operation), data, UNIT_MODE)
    with failing_as("sync the staged files", state_dir(out_dir)):
        _make_durable(journal.staged(out_dir, operation) for operation in operations if operation.kind == WRITE)
    for name in (journal.NEW, journal.OLD):
        with failing_as("sync the staging directory", state_dir(out_dir)):
            journal.sync_directory(os.path.join(state_dir(out_dir), name))


def _make_durable(paths: Iterable[str]) -> None:
    """Every staged file on disk before the journal commits.  One sync of the file systems
    where the platform has it: for thousands of files it costs a fraction of a fsync each;
    elsewhere, a fsync per file."""
    if hasattr(os, "sync"):
        os.sync()
        return
    for path in paths:
        with open(path, "rb") as file:
            os.fsync(file.fileno())


def _keep(path: str, keep_as: str) -> None:
    """A second name for the file (a symlink is kept as itself); a copy where the file
    system has no hard links."""
    try:
        os.link(path, keep_as, follow_symlinks=False)
    except (OSError, NotImplementedError):
        import shutil  # only where the file system has no hard links

        shutil.copy2(path, keep_as, follow_symlinks=False)
        if not os.path.islink(keep_as):
            with open(keep_as, "rb") as file:
                os.fsync(file.fileno())


def _undo(out_dir: str, operations: list[Operation], committed: bool) -> None:
    """Back to the state before ``apply``; if that fails, the journal stays, marked, for the
    next compile or check to finish undoing."""
    try:
        if committed:
            journal.mark_aborted(out_dir)
            journal.roll_back(out_dir, operations)
    except OSError as error:
        raise OutputFailure("undo the write", out_dir, error, undone=False) from error
    journal.discard(out_dir)
