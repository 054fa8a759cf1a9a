"""Reading a whole file: spec files, units in ``out/`` and the cache's inputs, thousands
per compile.  ``os.read`` on a descriptor costs a third of ``open(path, "rb").read()``,
which builds a file object for one read."""

from __future__ import annotations

import os

_READ_SIZE = 1 << 16  # one read for any real spec or unit (then one that finds the end)


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The whole file; raises OSError (``strerror`` as ``open`` gives it)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = []
        while chunk := os.read(fd, _READ_SIZE):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)
