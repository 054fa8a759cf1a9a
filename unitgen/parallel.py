"""Spread independent per-spec work over the machine's cores with fork().

Parsing and converting one spec does not depend on another, and both cost more than
everything else in a large compile.  Workers are forked (they inherit the loaded modules
and the data, nothing is re-imported) and send their results back pickled through a
pipe.  Small inputs, or a platform without fork, run in the calling process: the result
is the same, only slower.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TypeVar

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


def map_chunks(work: Callable[[Sequence[Item]], list[Result]], items: Sequence[Item]) -> list[Result]:
    """``work`` applied to consecutive chunks of ``items``; results in item order."""
    workers = worker_count(len(items))
    if workers == 1:
        return work(items)
    import pickle

    size = -(-len(items) // workers)
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    children = []
    for chunk in chunks[1:]:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker: compute, send, and leave without running any cleanup
            os.close(read_end)
            status = 0
            try:
                outcome = ("ok", work(chunk))
            except BaseException as error:  # reported by the parent, which re-raises
                outcome = ("error", f"{type(error).__name__}: {error}")
                status = 1
            try:  # streamed: the worker never holds its whole pickled result
                with os.fdopen(write_end, "wb") as pipe:
                    pickle.dump(outcome, pipe, protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException:  # the parent reads half a result: "worker died"
                status = 1
            os._exit(status)
        os.close(write_end)
        children.append((pid, read_end))
    results = work(chunks[0])
    for pid, read_end in children:
        with os.fdopen(read_end, "rb") as pipe:
            try:  # straight from the pipe: the pickled bytes are never all held at once
                kind, value = pickle.load(pipe)
            except Exception:  # nothing or half a result: the worker died before it finished
                kind, value = "error", "worker died"
        os.waitpid(pid, 0)
        if kind != "ok":
            raise RuntimeError(f"parallel worker failed: {value}")
        results.extend(value)
    return results
