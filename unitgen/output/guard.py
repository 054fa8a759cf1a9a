"""Holding the output directory: its lock, the recovery of an interrupted compile, signals.

``compile`` holds ``out/`` from before it reads it until its write is done; ``check`` and
``diff`` only when an interrupted compile left something to finish or undo (they write
nothing else).  Recovery comes first, before anything reads ``out/``.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from unitgen.output import lock
from unitgen.output.failure import OutputFailure, failing_as
from unitgen.output.interrupt import Signals, catching_signals

# Where these stop us, nothing can be written either: ``compile`` goes on without the lock
# and finds out/ in sync, or fails where it first tries to write.
_CANNOT_WRITE = (errno.EACCES, errno.EPERM, errno.EROFS)


@contextmanager
def holding(
    out_dir: str | os.PathLike[str], *, create: bool, timeout: float, tell: Callable[[str], None]
) -> Iterator[Signals]:
    """Lock ``out_dir`` (made first when ``create``), finish or undo an interrupted write
    (``tell`` says which), and catch SIGINT and SIGTERM until the block ends.  Without
    ``create``, ``out_dir`` is locked only when an interrupted write may be in it.
    Raises ``lock.Busy`` or ``OutputFailure``."""
    directory = os.fspath(out_dir)
    with catching_signals() as signals:
        created: list[str] = []
        held: lock.Lock | None = None
        try:
            if create:
                _make_directories(directory, created)
            if create or os.path.isdir(lock.state_dir(directory)):
                held = _lock(directory, timeout)
            if held is not None:
                # Only here can there be a journal to read: an output directory without
                # unitgen's state directory is read without it.
                from unitgen.output import journal

                with signals.shielded():
                    recovery = journal.recover(directory)
                if recovery is not None:
                    tell(recovery.describe())
            signals.raise_pending()
            yield signals
        finally:
            with signals.shielded():
                if held is not None:
                    held.release()
                for path in reversed(created):  # made for a write that did not happen
                    with contextlib.suppress(OSError):
                        os.rmdir(path)


def _lock(directory: str, timeout: float) -> lock.Lock | None:
    try:
        return lock.acquire(directory, timeout)
    except OSError as error:
        if error.errno in _CANNOT_WRITE and not os.path.lexists(lock.state_dir(directory)):
            return None
        raise OutputFailure("lock the output directory", lock.state_dir(directory), error) from error


def _make_directories(directory: str, made: list[str]) -> None:
    """Make ``directory`` and the missing ones above it, adding each to ``made``."""
    missing = []
    path = directory
    while not os.path.isdir(path) and os.path.dirname(path) != path:
        missing.append(path)
        path = os.path.dirname(path)
    for path in reversed(missing):
        with failing_as("create the output directory", path):
            os.mkdir(path)
        made.append(path)
