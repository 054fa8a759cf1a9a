"""The journal of a write to ``out/``: what it does, whether it is committed, and how to
finish or undo it, during the write or after a crash.

A transaction keeps everything in ``out/.unitgen/`` (beside the lock)::

    journal     one JSON object a line: a heading, the operations, then {"commit": true}
    aborted     the journal, renamed so when a committed write is being undone (a rename
                needs no free space, unlike a line appended)
    new/N       the new content of operation N, staged before the commit
    old/N       what operation N replaces or removes, kept (a hard link, else a copy)

Nothing in ``out/`` changes before the journal is committed, so an uncommitted journal
(or staging without a journal) is undone by deleting it.  A committed one is finished:
each staged file renamed into place, each removal done, in order.  An aborted one is
undone: each backup renamed back, each new file deleted, in reverse order.  Both are
decided per operation from what is on disk, so either can be interrupted and run again.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable

import attrs

from unitgen.output.failure import failing_as
from unitgen.output.lock import state_dir

FORMAT = 1
JOURNAL = "journal"
ABORTED = "aborted"
NEW = "new"
OLD = "old"

MKDIR = "mkdir"
WRITE = "write"
REMOVE = "remove"


@attrs.frozen
class Operation:
    kind: str  # MKDIR, WRITE or REMOVE
    path: str  # relative to the output directory, "/"-separated
    number: int = 0  # names the staged and kept files of a WRITE or REMOVE
    kept: bool = False  # a file was there before, and is kept as old/N


@attrs.frozen
class Journal:
    pid: int
    operations: tuple[Operation, ...]
    committed: bool
    aborted: bool


@attrs.frozen
class Recovery:
    """What recovery did about an interrupted compile, for the user."""

    outcome: str  # FINISHED, UNDONE or CLEANED
    pid: int | None
    written: int = 0
    removed: int = 0

    def describe(self) -> str:
        who = f" (process {self.pid})" if self.pid else ""
        if self.outcome == FINISHED:
            return f"finished the write of an interrupted compile{who}: {self.written} written, {self.removed} removed"
        if self.outcome == UNDONE:
            return f"undid the write of an interrupted compile{who}: every file is as it was before it"
        return "removed what an interrupted compile left in .unitgen/: it had not half-written anything"


FINISHED = "finished"
UNDONE = "undone"
CLEANED = "cleaned"


def staged(out_dir: str, operation: Operation) -> str:
    return os.path.join(state_dir(out_dir), NEW, str(operation.number))


def kept(out_dir: str, operation: Operation) -> str:
    return os.path.join(state_dir(out_dir), OLD, str(operation.number))


def target(out_dir: str, operation: Operation) -> str:
    return os.path.join(out_dir, *operation.path.split("/"))


# --- durability -------------------------------------------------------------------------


def sync_directory(path: str) -> None:
    """Make the entries of a directory durable (POSIX: fsync on the directory itself)."""
    if os.name != "posix":
        return  # elsewhere a directory cannot be opened; its entries follow the files
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# --- the journal file -------------------------------------------------------------------


def write_journal(out_dir: str, operations: Iterable[Operation]) -> None:
    """Write and sync the whole journal, commit mark included: from here the write is done
    or finished by recovery."""
    path = os.path.join(state_dir(out_dir), JOURNAL)
    with open(path, "x", encoding="utf-8", errors="surrogatepass") as file:
        # Line by line: the journal of thousands of files is never held whole in memory.
        file.write(json.dumps({"unitgen-journal": FORMAT, "pid": os.getpid()}) + "\n")
        for operation in operations:
            file.write(json.dumps(attrs.asdict(operation)) + "\n")
        file.write(json.dumps({"commit": True}) + "\n")
        file.flush()
        os.fsync(file.fileno())
    sync_directory(state_dir(out_dir))


def mark_aborted(out_dir: str) -> None:
    os.replace(os.path.join(state_dir(out_dir), JOURNAL), os.path.join(state_dir(out_dir), ABORTED))
    sync_directory(state_dir(out_dir))


def read_journal(out_dir: str) -> Journal | None:
    """The journal, or None when there is none; a torn last line (a crash while it was
    written) counts as no commit."""
    aborted = os.path.lexists(os.path.join(state_dir(out_dir), ABORTED))
    try:
        with open(
            os.path.join(state_dir(out_dir), ABORTED if aborted else JOURNAL), encoding="utf-8", errors="surrogatepass"
        ) as file:
            text = file.read()
    except FileNotFoundError:
        return None
    pid, operations, committed = 0, [], False
    for line in text.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            break
        if not isinstance(item, dict):
            break
        if "unitgen-journal" in item:
            pid = int(item.get("pid") or 0)
        elif item.get("commit") is True:
            committed = True
        else:
            try:
                operations.append(Operation(**item))
            except TypeError:
                break
    return Journal(pid, tuple(operations), committed, aborted)


# --- finishing and undoing --------------------------------------------------------------


def roll_forward(out_dir: str, operations: Iterable[Operation]) -> None:
    """Carry out each operation not yet done; make the result durable."""
    touched = set()
    for operation in operations:
        where = target(out_dir, operation)
        if operation.kind == MKDIR:
            with failing_as("create the directory", where), contextlib.suppress(FileExistsError):
                os.mkdir(where)
        elif operation.kind == WRITE:
            new = staged(out_dir, operation)
            if os.path.lexists(new):
                with failing_as("replace the file" if operation.kept else "create the file", where):
                    os.replace(new, where)
        elif os.path.lexists(where):
            with failing_as("remove the file", where):
                os.unlink(where)
        touched.add(os.path.dirname(where))
    for directory in sorted(touched):
        with failing_as("sync the directory", directory):
            sync_directory(directory)


def roll_back(out_dir: str, operations: Iterable[Operation]) -> None:
    """Undo each operation done, last first: every kept file back in its place, every
    file that was new deleted, every directory made removed."""
    touched = set()
    for operation in reversed(tuple(operations)):
        where = target(out_dir, operation)
        if operation.kind == MKDIR:
            with contextlib.suppress(OSError):  # gone already, or holds someone else's file
                os.rmdir(where)
                touched.add(os.path.dirname(where))
        elif operation.kept:
            if os.path.lexists(kept(out_dir, operation)):
                os.replace(kept(out_dir, operation), where)
                touched.add(os.path.dirname(where))
        elif not os.path.lexists(staged(out_dir, operation)) and os.path.lexists(where):
            os.unlink(where)  # it was installed: the new file, which nothing was before
            touched.add(os.path.dirname(where))
    for directory in sorted(touched):
        sync_directory(directory)


def discard(out_dir: str) -> None:
    """Delete the journal, the staged and the kept files; the lock stays, with its holder."""
    directory = state_dir(out_dir)
    for name in (JOURNAL, ABORTED):  # first: from here on, nothing is left to finish or undo
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(directory, name))
    for name in _contents(directory):
        path = os.path.join(directory, name)
        if os.path.isdir(path) and not os.path.islink(path):
            import shutil  # here, not at the top: holding an unchanged out/ never needs it

            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(path)
    with contextlib.suppress(OSError):  # unless the lock is in it
        os.rmdir(directory)


def _contents(directory: str) -> list[str]:
    try:
        return [name for name in os.listdir(directory) if name != "lock"]
    except OSError:
        return []


def recover(out_dir: str) -> Recovery | None:
    """Finish or undo what an interrupted compile left in ``out_dir`` (the caller holds the
    lock); None when there was nothing to do."""
    directory = state_dir(out_dir)
    if not _contents(directory):
        return None
    journal = read_journal(out_dir)
    if journal is None or not journal.committed:
        result = Recovery(CLEANED, None)
    elif journal.aborted:
        with failing_as("undo an interrupted compile", out_dir):
            roll_back(out_dir, journal.operations)
        result = Recovery(UNDONE, journal.pid)
    else:
        roll_forward(out_dir, journal.operations)
        writes = sum(1 for operation in journal.operations if operation.kind == WRITE)
        removals = sum(1 for operation in journal.operations if operation.kind == REMOVE)
        result = Recovery(FINISHED, journal.pid, writes, removals)
    discard(out_dir)
    return result
