"""Reading a whole file, as the compile and the cache read thousands of small ones."""

from __future__ import annotations

import os

# Where it exists (Windows), without it os.open would translate line ends.
_BINARY = getattr(os, "O_BINARY", 0)


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The file's bytes: one open, one stat and, for a regular file, one read (``open()``
    takes more calls for the same: a buffer, a seek, a second stat, a read of nothing)."""
    descriptor = os.open(path, os.O_RDONLY | _BINARY)
    try:
        size = os.fstat(descriptor).st_size
        data = os.read(descriptor, size + 1)
        if len(data) <= size:  # the end: a regular file gives all it holds at once
            return data
        chunks = [data]  # it grew, or is no regular file (st_size 0): read to its end
        while chunk := os.read(descriptor, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(descriptor)
