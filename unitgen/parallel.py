"""Spread independent per-spec work over the machine's cores with fork().

Parsing and converting one spec does not depend on another, and both cost more than
everything else in a large compile.  Workers are forked (they inherit the loaded modules
and the data, nothing is re-imported), take batches of items from a shared pipe as they
finish the last one, and send their results back pickled through a pipe of their own.
Small inputs, or a platform without fork, run in the calling process: the result is the
same, only slower.  So is a failure: an OSError in a worker (a file that cannot be read or
written) is raised in the caller as itself; anything else says a worker failed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Generic, NoReturn, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# Below this many items a fork costs more than it saves.
MIN_ITEMS = 200


def worker_count(items: int) -> int:
    if items < MIN_ITEMS or not hasattr(os, "fork"):
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, items // (MIN_ITEMS // 2)))


def map_chunks(
    work: Callable[[Sequence[Item]], list[Result]],
    items: Sequence[Item],
    *,
    first: Callable[[], object] | None = None,
) -> list[Result]:
    """``work`` applied to batches of ``items``; results in item order.

    Batches are handed out as the processes ask for them, so a process that runs slower
    (other work on the machine, or copy-on-write faults on inherited memory) takes fewer.
    ``first``, if given, runs in the calling process once the workers are started, before
    it takes batches itself: work only it must do, which the workers make up for.
    """
    return start(work, items).finish(first)


def start(work: Callable[[Sequence[Item]], list[Result]], items: Sequence[Item]) -> Round[Item, Result]:
    """Fork the workers now, and let them take batches until ``finish`` joins in.

    What the caller does in between (importing the rest of the compiler, say) overlaps
    with their work; the workers know only what was loaded before the fork, and load
    anything else they need themselves."""
    return Round(work, items)


class Round(Generic[Item, Result]):
    """Batches of ``items`` under way in forked workers."""

    def __init__(self, work: Callable[[Sequence[Item]], list[Result]], items: Sequence[Item]) -> None:
        self._work = work
        self._items = items
        self._children: list[tuple[int, int]] = []
        workers = worker_count(len(items))
        if workers == 1:
            return
        self._batches = [items[start:end] for start, end in batch_bounds(len(items), workers)]
        self._queue, queue_in = os.pipe()
        # Every batch number is written before any worker starts, and the write end is
        # closed, so a worker reads one number per 4-byte read (a pipe read is atomic),
        # then end-of-file.
        numbers = memoryview(b"".join(i.to_bytes(4, "little") for i in range(len(self._batches))))
        while numbers:  # a few hundred bytes: far below what a pipe holds, so this never blocks
            numbers = numbers[os.write(queue_in, numbers) :]
        os.close(queue_in)
        for _ in range(workers - 1):
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(read_end)
                self._serve(write_end)
            os.close(write_end)
            self._children.append((pid, read_end))
        # Results come back pickled.  Loading pickle now, while the workers work, rather
        # than once the last batch is done, keeps it out of the wait for the slowest process.
        import pickle  # noqa: F401

    def _take(self) -> list[tuple[int, list[Result]]]:
        done = []
        while number := os.read(self._queue, 4):
            index = int.from_bytes(number, "little")
            done.append((index, self._work(self._batches[index])))
        return done

    def _serve(self, write_end: int) -> NoReturn:
        """The worker: compute, send, and leave without running any cleanup."""
        import pickle  # before the work, not after it: see __init__

        status = 0
        try:
            outcome: tuple[str, object] = ("ok", self._take())
        except OSError as error:  # the machine's answer (a file that cannot be written, say): the same in any process
            outcome = ("error", error if _survives_pickling(error) else _described(error))
            status = 1
        except BaseException as error:  # reported by the parent, which re-raises
            outcome = ("error", _described(error))
            status = 1
        try:  # streamed: the worker never holds its whole pickled result
            with os.fdopen(write_end, "wb") as pipe:
                pickle.dump(outcome, pipe, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:  # the parent reads half a result: "worker died"
            status = 1
        os._exit(status)

    def finish(self, first: Callable[[], object] | None = None) -> list[Result]:
        """Run ``first``, take batches until none are left, and gather every result."""
        if not self._children:
            if first is not None:
                first()
            return self._work(self._items)
        import pickle

        done: list[tuple[int, list[Result]]] = []
        try:
            if first is not None:
                first()
            done = self._take()
        finally:  # the workers are waited for even when this process failed: no zombies
            os.close(self._queue)
            failure = None
            children, self._children = self._children, []
            for pid, read_end in children:
                with os.fdopen(read_end, "rb") as pipe:
                    try:  # straight from the pipe: the pickled bytes are never all held at once
                        kind, value = pickle.load(pipe)
                    except Exception:  # nothing or half a result: the worker died before it finished
                        kind, value = "error", "worker died"
                os.waitpid(pid, 0)
                if kind == "ok":
                    done.extend(value)
                elif failure is None:
                    failure = value
        if isinstance(failure, OSError):
            raise failure
        if failure is not None:
            raise RuntimeError(f"parallel worker failed: {failure}")
        results: list[Result] = []
        for _, batch in sorted(done, key=lambda pair: pair[0]):
            results.extend(batch)
        return results

    def abandon(self) -> None:
        """Stop the workers of a round whose results are no longer wanted."""
        children, self._children = self._children, []
        if not children:  # a round already finished: the usual case
            return
        import signal

        for pid, read_end in children:
            os.kill(pid, signal.SIGKILL)
            os.close(read_end)
            os.waitpid(pid, 0)
        os.close(self._queue)


def _described(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _survives_pickling(error: BaseException) -> bool:
    import pickle

    try:
        pickle.loads(pickle.dumps(error, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:  # noqa: BLE001 - an exception class with its own constructor, say
        return False
    return True


def batch_bounds(items: int, workers: int) -> list[tuple[int, int]]:
    """Batches that shrink as the work runs out: each is a share of what is left, so the
    first ones are few and large and the last ones small, and the processes finish within
    one small batch of each other (guided scheduling)."""
    bounds = []
    start = 0
    while start < items:
        size = max(MIN_BATCH, -(-(items - start) // (workers * BATCH_SHARE)))
        bounds.append((start, min(items, start + size)))
        start += size
    return bounds


# A batch is 1/(workers × BATCH_SHARE) of the items left, and at least MIN_BATCH items
# (enough to make handing out a batch cheap).
BATCH_SHARE = 2
MIN_BATCH = 8
