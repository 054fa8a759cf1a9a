"""One writer at a time in an output directory: the lock file ``out/.unitgen/lock``.

The file holds the pid of the process writing ``out/``.  Where ``fcntl`` exists the lock
is ``flock`` on that file: the kernel drops it when the process dies, however it dies, so
a lock file left by ``kill -9`` is free to take.  Elsewhere the lock is the file's
existence (created with ``O_EXCL``); a file naming a process that no longer runs is
taken over where that can be known (POSIX), else it is reported with its pid.

The holder deletes the file before closing it, so a process that was waiting on the
deleted file notices (it is no longer the file at that path) and starts again.
"""

from __future__ import annotations

import contextlib
import os
import time
from types import ModuleType

fcntl: ModuleType | None
try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

STATE_DIR = ".unitgen"  # inside the output directory: the lock, and a transaction's journal and files


def state_dir(out_dir: str) -> str:
    """unitgen's own directory inside ``out_dir``."""
    return os.path.join(out_dir, STATE_DIR)


LOCK_NAME = "lock"
DEFAULT_TIMEOUT = 10.0
_POLL = 0.05


class Busy(Exception):
    """Another process held the lock for the whole wait."""

    def __init__(self, holder: int | None, waited: float) -> None:
        who = f"process {holder}" if holder else "another process"
        super().__init__(f"is being written by {who}")
        self.holder = holder
        self.waited = waited


class Lock:
    def __init__(self, path: str, descriptor: int) -> None:
        self.path = path
        self._descriptor: int | None = descriptor

    def release(self) -> None:
        """Delete the lock file, then the state directory when nothing else is in it."""
        if self._descriptor is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        with contextlib.suppress(OSError):
            os.rmdir(os.path.dirname(self.path))
        os.close(self._descriptor)
        self._descriptor = None


def acquire(out_dir: str, timeout: float = DEFAULT_TIMEOUT) -> Lock:
    """Lock ``out_dir``, waiting at most ``timeout`` seconds; raises ``Busy`` or ``OSError``."""
    path = os.path.join(out_dir, STATE_DIR, LOCK_NAME)
    start = time.monotonic()
    while True:
        lock = _try_lock(path)
        if lock is not None:
            return lock
        waited = time.monotonic() - start
        if waited >= timeout:
            raise Busy(holder(out_dir), waited)
        time.sleep(_POLL)


def holder(out_dir: str) -> int | None:
    """The pid in the lock file, if there is one to read."""
    try:
        with open(os.path.join(out_dir, STATE_DIR, LOCK_NAME), "rb") as file:
            return int(file.read(32).strip() or b"0") or None
    except (OSError, ValueError):
        return None


def _try_lock(path: str) -> Lock | None:
    """The lock, or None when it is taken (or the file vanished under us: try again)."""
    with contextlib.suppress(FileExistsError):
        os.mkdir(os.path.dirname(path))
    flags = os.O_RDWR | os.O_CREAT | (0 if fcntl is not None else os.O_EXCL)
    try:
        descriptor = os.open(path, flags, 0o644)
    except FileNotFoundError:  # the holder removed the state directory just now
        return None
    except FileExistsError:
        _take_over_if_abandoned(path)
        return None
    if fcntl is not None and not _flocked(descriptor, path):
        os.close(descriptor)
        return None
    held = Lock(path, descriptor)
    try:
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode())
    except OSError:  # a full disk, say: leave no lock file behind
        held.release()
        raise
    return held


def _flocked(descriptor: int, path: str) -> bool:
    assert fcntl is not None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    try:
        return os.path.samestat(os.fstat(descriptor), os.stat(path))
    except FileNotFoundError:  # released and deleted while we waited
        return False


def _take_over_if_abandoned(path: str) -> None:
    pid = holder(os.path.dirname(os.path.dirname(path)))
    if pid is None or os.name != "posix":
        return  # cannot tell whether it runs: the caller waits, then names the pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        with contextlib.suppress(OSError):
            os.unlink(path)
    except OSError:  # it runs, as another user
        pass
