"""SIGINT and SIGTERM while unitgen holds the output directory: stop cleanly, or finish first.

While ``catching_signals`` is active, the first SIGINT or SIGTERM raises ``Interrupted``
where the program is, so that a transaction not yet committed is undone and the lock
released; inside ``shielded`` the signal only is remembered (a committed transaction is
finished, a rollback or a recovery completed): ``raise_pending`` raises it afterwards, or
the caller reads ``pending``.  A signal is raised once: a second one never interrupts the
cleanup of the first.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

HANDLED = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """A signal stopped the command; BaseException, as KeyboardInterrupt: no ``except
    Exception`` swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        return 128 + self.signum  # as a shell reports a process killed by the signal


class Signals:
    def __init__(self) -> None:
        self.pending: int | None = None
        self._raised = False
        self._shield_depth = 0

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.pending is None:
            self.pending = signum
        if not self._shield_depth:
            self.raise_pending()

    def raise_pending(self) -> None:
        """Raise the signal that arrived, unless it was raised already."""
        if self.pending is not None and not self._raised:
            self._raised = True
            raise Interrupted(self.pending)

    @contextmanager
    def shielded(self) -> Iterator[None]:
        """Signals arriving in the block are remembered, not raised."""
        self._shield_depth += 1
        try:
            yield
        finally:
            self._shield_depth -= 1


@contextmanager
def catching_signals() -> Iterator[Signals]:
    signals = Signals()
    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield signals
        return
    previous = {signum: signal.signal(signum, signals._handle) for signum in HANDLED}
    try:
        yield signals
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
