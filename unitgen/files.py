"""Reading and writing a whole file, as the compile and the cache handle thousands of small
ones: in as few system calls as a file needs, not through a buffered file object."""

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


def write_new(path: str | os.PathLike[str], data: bytes, mode: int) -> None:
    """Create the file (it must not exist: ``FileExistsError``) holding ``data``, with
    exactly ``mode``, whatever the umask."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY, mode)
    try:
        view = memoryview(data)
        while view:  # a write may take less than it is given
            view = view[os.write(descriptor, view) :]
    finally:
        os.close(descriptor)
    os.chmod(path, mode)
