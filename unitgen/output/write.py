"""Carrying out a plan: every file replaced atomically, generated files removed."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from unitgen.output.plan import Plan


def apply(plan: Plan, files: Mapping[str, str], out_dir: Path) -> None:
    """Write every new or changed file of ``plan``, then remove the ones no spec produces."""
    for relative in plan.write:
        target = out_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, files[relative].encode("utf-8", "surrogateescape"))
    for relative in plan.remove:
        (out_dir / relative).unlink(missing_ok=True)


def write_atomically(target: Path, data: bytes, mode: int = 0o644) -> None:
    """Replace ``target`` with ``data`` in one rename: a reader sees the old file or the new
    one, whole.  The file gets exactly ``mode``, whatever the umask."""
    # The temporary name starts with '.' and ends in no unit suffix, so no tool takes it
    # for a unit; mkstemp never opens an existing file.
    descriptor, temporary = tempfile.mkstemp(prefix=".unitgen-", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
