"""Replacing one file in one rename, so that a reader sees the old file or the new one,
whole: the cache's memo and the Compose files (``out/`` has its own transaction, ``write``)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path


def write_atomically(
    target: Path, data: bytes | Iterable[bytes], mode: int | None = None, *, durable: bool = False
) -> None:
    """Write ``data`` (bytes, or its pieces in turn) to a temporary file beside ``target``,
    then rename it over ``target``.

    Without ``mode`` the file is readable by the user only, as ``mkstemp`` makes it;
    ``durable``: the data reaches the disk before the rename (a power cut leaves the old
    file or the new one, not an empty one)."""
    import tempfile  # only a write needs it, not a cached answer

    descriptor, temporary = tempfile.mkstemp(prefix=".unitgen-", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as file:
            if isinstance(data, bytes):
                file.write(data)
            else:
                file.writelines(data)
            if durable:
                file.flush()
                os.fsync(file.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
