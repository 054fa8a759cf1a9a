"""Reading a directory of specs: every file listed, read, parsed and type-checked.

Files do not depend on each other, and parsing them is a third of a compile's work, so
they are read by forked workers (``parallel``).  ``start_reading`` forks them before the
rest of the compiler is imported: that import takes a tenth of a second, during which
the second core would otherwise idle.  For that, this module and the ones it imports
load without attrs (diagnostics, documents and schema keys are named tuples).
"""

from __future__ import annotations

import marshal
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from unitgen import parallel
from unitgen.spec import schema
from unitgen.diagnostics import Diagnostic, Diagnostics, Location, Severity
from unitgen.spec.source import TextOrigins, display_path, parse_toml, read_input
from unitgen.spec.typecheck import check_document

if TYPE_CHECKING:  # pathlib is not loaded before the reading workers fork
    from pathlib import Path

PROJECT_FILE = "unitgen.toml"

# Path, displayed path, text (None when the file did not parse), type-checked data,
# diagnostics, and, when asked for, the sha256 of the bytes read (for the cache's
# key) and what the memo of parses keeps of the file (``memo_entry``, if it parsed):
# plain data, which crosses a pipe cheaply.  The raw data stays behind (after
# type-checking, the checked data is all anyone reads), and so do the Document and
# origins objects, which cost more to pickle than to build again.
ParsedFile = tuple[str, str, "str | None", dict[str, object], list, "bytes | None", "bytes | None"]  # type: ignore[type-arg]
# What a memo entry holds: the sha256 of the bytes parsed, the displayed path, the data
# and the diagnostics.
Recalled = tuple[bytes, str, dict[str, object], list[Diagnostic]]


class Reading:
    """Spec files being read: ``finish`` gives them in name order.  A memoised reading
    hands its files' memo entries (by path) to ``keep`` as soon as they are read, and
    keeps each file's digest (by name; None if a file has none) for the cache's key."""

    def __init__(self, started: parallel.Round[str, ParsedFile], *, memoised: bool) -> None:
        self._started: parallel.Round[str, ParsedFile] | None = started
        self._memoised = memoised
        self.keep: Callable[[dict[str, bytes]], object] | None = None
        self.digests: dict[str, bytes] | None = None

    def finish(self) -> list[ParsedFile]:
        assert self._started is not None, "a reading finishes once"
        # Once finished, what its workers were given (a memo, the bytes a key read) goes.
        files, self._started = self._started.finish(), None
        # Both gathered now, while these tuples are fresh (after a later fork, touching
        # them would copy every page they lie on), and the entries stored at once rather
        # than held until the compile ends, when it holds the most.
        if self._memoised:
            if self.keep is not None:
                self.keep({path: entry for path, _, _, _, _, _, entry in files if entry is not None})
            if all(file[5] is not None for file in files):
                self.digests = {os.path.basename(path): digest for path, _, _, _, _, digest, _ in files}  # type: ignore[misc]
        return files

    def abandon(self) -> None:
        if self._started is not None:
            self._started.abandon()


def start_reading(directory: str | os.PathLike[str], *, memoised: bool = False) -> Reading:
    """Begin reading the spec files of ``directory``; ``memoised``: with memo entries."""
    return Reading(parallel.start(lambda paths: parse_spec_files(paths, memoised=memoised), spec_paths(directory)), memoised=memoised)


def spec_paths(directory: str | os.PathLike[str] | Path) -> list[str]:
    """Every ``*.toml`` entry but the project file, in name order (what ``glob`` gives,
    without pathlib's cost per entry)."""
    names = sorted(name for name in os.listdir(directory) if name.endswith(".toml") and name != PROJECT_FILE)
    return [os.path.join(directory, name) for name in names]


def file_stem(path: str) -> str:
    """``pathlib.PurePath(path).stem``, without building a path object."""
    name = os.path.basename(path)
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def parse_spec_files(paths: Sequence[str], *, memoised: bool = False) -> list[ParsedFile]:
    if memoised:
        from hashlib import sha256  # loaded before the fork wherever a cache is used (memo_slot)
    parsed: list[ParsedFile] = []
    cwd = os.getcwd()
    for path in paths:
        shown = display_path(path, cwd)
        diagnostics = Diagnostics()
        raw = read_input(path, shown, diagnostics)
        if raw is None:
            parsed.append((path, shown, None, {}, list(diagnostics), None, None))
        else:
            parsed.append(parse_spec(path, shown, raw, sha256(raw).digest() if memoised else None))
    return parsed


def parse_spec(path: str, shown: str, raw: bytes, digest: bytes | None) -> ParsedFile:
    """One spec file's ParsedFile, from its bytes; ``digest``: their sha256, for a reading
    whose parses are memoised (None for one whose are not)."""
    diagnostics = Diagnostics()
    loaded = parse_toml(raw, shown, diagnostics)
    if loaded is None:
        return (path, shown, None, {}, list(diagnostics), digest, None)
    text, raw_data = loaded
    data = check_document(raw_data, schema.SPEC, TextOrigins(shown, text), diagnostics)
    problems = list(diagnostics)
    return (path, shown, text, data, problems, digest, None if digest is None else memo_entry(digest, shown, data, problems))


# --- what the memo of parses keeps of a file (``parse_memo``) ------------------------------
# Made here, by the process that parsed the file: encoding it is cheap while the data is
# fresh, and would cost a copy of every page it lies on in a process forked since.


def memo_entry(digest: bytes, shown: str, data: dict[str, object], diagnostics: list[Diagnostic]) -> bytes | None:
    """The marshal bytes of a ``Recalled``; None for data marshal cannot hold (a date)."""
    plain = [(d.code, d.severity.value, d.message, None if d.location is None else tuple(d.location), d.key_path, d.hint) for d in diagnostics]
    try:
        return marshal.dumps((digest, shown, data, plain))
    except ValueError:
        return None


def recalled_entry(entry: object) -> Recalled | None:
    """What ``memo_entry`` encoded; None for anything that is not such bytes."""
    try:
        recalled = marshal.loads(entry) if isinstance(entry, bytes) else None
    except (ValueError, EOFError, TypeError):
        return None
    if not (isinstance(recalled, tuple) and len(recalled) == 4):
        return None
    digest, shown, data, problems = recalled
    if not (isinstance(digest, bytes) and isinstance(shown, str) and isinstance(data, dict) and isinstance(problems, list)):
        return None
    diagnostics = []
    for problem in problems:
        diagnostic = _diagnostic(problem)
        if diagnostic is None:
            return None
        diagnostics.append(diagnostic)
    return digest, shown, data, diagnostics


def _diagnostic(problem: object) -> Diagnostic | None:
    if not (isinstance(problem, tuple) and len(problem) == 6):
        return None
    code, severity, message, where, key_path, hint = problem
    if not (isinstance(code, str) and isinstance(message, str) and _optional(key_path, str) and _optional(hint, str)):
        return None
    try:
        level = Severity(severity)
    except ValueError:
        return None
    if where is None:
        return Diagnostic(code, level, message, None, key_path, hint)
    if not (isinstance(where, tuple) and len(where) == 3 and isinstance(where[0], str) and _optional(where[1], int) and _optional(where[2], int)):
        return None
    return Diagnostic(code, level, message, Location(*where), key_path, hint)


def _optional(value: object, kind: type) -> bool:
    return value is None or type(value) is kind
