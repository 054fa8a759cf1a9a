"""Where the memo of a compile lives (see ``cache``), known before any spec is read.

``compile`` asks whether a memo for its specs and arguments exists before it forks the
workers that read the specs: a miss (every first compile) must not wait for the memo
code, json and the output stage to load.  So the slot is found with os and hashlib alone (and ``digests``, which needs no more).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence

from unitgen.digests import feed_length_prefixed

# Part of every slot's name: a change in how slots are named (or in what they mean) moves
# every memo to a new file, and the old ones are never read again.
SLOT_SCHEME = b"unitgen-memo-slot/1"


def disabled_by_environment() -> bool:
    return os.environ.get("UNITGEN_NO_CACHE", "") not in ("", "0")


def cache_dir() -> str:
    explicit = os.environ.get("UNITGEN_CACHE_DIR")
    if explicit:
        return explicit
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):  # the XDG spec: a relative path is invalid and ignored
        return os.path.join(xdg, "unitgen")
    return os.path.join(os.path.expanduser("~"), ".cache", "unitgen")


def slot_for(specs: str | os.PathLike[str], environment: str | None, sets: Sequence[str]) -> str:
    """The file that holds the memo of these specs and arguments, whatever their content.
    Raises ValueError for a path the file system cannot hold (a NUL in it)."""
    digest = hashlib.sha256(SLOT_SCHEME)
    # No environment is told from an empty one by a piece of its own.
    pieces = [os.path.realpath(specs), "-" if environment is None else "=" + environment, *sets]
    for piece in pieces:
        feed_length_prefixed(digest, piece.encode("utf-8", "surrogatepass"))
    return os.path.join(cache_dir(), f"{digest.hexdigest()[:32]}.json")


def may_answer(specs: str | os.PathLike[str], environment: str | None, sets: Sequence[str]) -> bool:
    """Whether a memo for these specs and arguments exists: cheap to tell, before the
    key's digest reads every spec file."""
    if disabled_by_environment():
        return False
    try:
        return os.path.exists(slot_for(specs, environment, sets))
    except ValueError:
        return False
