"""An operating-system error in the output stage, told as what failed, where, and what to do.

Every ``OSError`` met while reading, locking or writing the output directory becomes an
``OutputFailure``: the commands report it as diagnostic O104 and exit 1, never as a bug.
"""

from __future__ import annotations

import errno
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from unitgen.diagnostics import Diagnostics

# errno -> what the user can do about it; the path is the one the failure names.
_REMEDIES = {
    errno.EACCES: "check that you may write to {folder} (its permissions, and those of the directories above it)",
    errno.EPERM: "check that you may write to {folder} (its permissions, and those of the directories above it)",
    errno.EROFS: "the file system holding {where} is read-only: remount it, or choose another output",
    errno.ENOSPC: "the file system holding {where} is full: free some space and compile again",
    errno.EDQUOT: "your disk quota is used up: free some space and compile again",
    errno.ENOTDIR: "a file is where a directory is needed on the way to {where}: move it away",
    errno.EEXIST: "a file is where a directory is needed ({where}): move it away",
    errno.EISDIR: "a directory is where a file is needed ({where}): move it away",
    errno.ENAMETOOLONG: "the file system refuses a name this long: use a shorter unit name or output path",
    errno.EXDEV: "{where} is on another file system than the output directory: unitgen writes within one",
}


class OutputFailure(Exception):
    """``action`` (e.g. "replace the file") failed on ``path`` with ``error``; ``undone``:
    whatever was changed before is undone (False: the next compile or check undoes it)."""

    def __init__(self, action: str, path: str, error: OSError, *, undone: bool = True) -> None:
        super().__init__(f"{path}: cannot {action}: {error.strerror or error}")
        self.action = action
        self.path = path
        self.error = error
        self.undone = undone

    def remedy(self) -> str:
        from unitgen.output.ondisk import shown

        template = _REMEDIES.get(self.error.errno or 0, "fix the cause above and compile again")
        return template.format(where=shown(self.path), folder=shown(os.path.dirname(self.path)))

    def report(self, diagnostics: Diagnostics) -> None:
        reason = self.error.strerror or str(self.error)
        name = errno.errorcode.get(self.error.errno or 0)
        detail = f"{reason} ({name})" if name else reason
        from unitgen.diagnostics import Location  # a failure is rare: the reporting is imported then
        from unitgen.output.ondisk import shown

        where = Location(shown(self.path))
        diagnostics.error("O104", f"cannot {self.action}: {detail}", location=where, hint=self.remedy())


def failing_as(action: str, path: str | os.PathLike[str]) -> _FailingAs:
    """Turn an ``OSError`` in the block into an ``OutputFailure`` naming ``path``."""
    return _FailingAs(action, path)


class _FailingAs:
    """``failing_as``'s block, as a class: a write uses one per file, and a generator
    based context manager costs several times more to enter and leave."""

    def __init__(self, action: str, path: str | os.PathLike[str]) -> None:
        self.action = action
        self.path = path

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, traceback: object) -> None:
        if isinstance(error, OSError):
            raise OutputFailure(self.action, os.fspath(self.path), error) from error
