"""What parsing each spec file gave, kept beside the memo of its compile (``cache``), so
that a compile after an edit parses only the files that changed.

Parsing and type-checking are half of a compile's work, and a file's result depends only
on its bytes, the path it is shown by and unitgen's own code.  The memo of parses holds,
per spec file, the sha256 of the bytes parsed, the path shown, the checked data and the
diagnostics (``reading.memo_entry``, made by the process that parsed the file); it is
valid only for the key's context (unitgen's code, the paths, the arguments), and a file
is taken from it only when its bytes have that very digest.

It is stored with marshal, which writes and reads these plain values several times
faster than JSON (a memo of parses is written by every first compile).  marshal's
format belongs to one Python version: the file's first line names the context (which
names the Python) and the payload's sha256, and is checked before the payload is read.  Like the compile's memo, it is written atomically into the
private cache directory, and never the reason a command fails: anything unreadable,
damaged or not of the expected shape is a miss.
"""

from __future__ import annotations

import hashlib
import marshal
import os
from collections.abc import Mapping, Sequence

from unitgen import parallel
from unitgen.output.cache import write_in_cache
from unitgen.spec.reading import PROJECT_FILE, ParsedFile, Reading, parse_spec, recalled_entry
from unitgen.spec.source import display_path

FORMAT = 2


def path_for(slot: str) -> str:
    """Beside the compile's memo in ``slot``, named after it."""
    return os.path.splitext(slot)[0] + ".parses"


def store(slot: str, context: str, entries: dict[str, bytes]) -> None:
    """Keep a reading's memo entries, by path (what ``Reading.keep`` is handed), for the
    key's ``context``."""
    # Version 2: no table of shared objects, which would mean a reference to (and so a
    # write on the page of) every entry.
    payload = marshal.dumps(entries, 2)
    write_in_cache(path_for(slot), _first_line(context, payload), payload)  # not joined: a copy of the whole


def recall(slot: str, context: str) -> dict[str, bytes]:
    """The memo entries in ``slot`` for this ``context``, by path; empty on any doubt (an
    entry itself is checked when it is used: ``reading.recalled_entry``)."""
    try:
        with open(path_for(slot), "rb") as memo:
            content = memo.read()
    except (OSError, ValueError):
        return {}
    first, _, payload = content.partition(b"\n")
    if first + b"\n" != _first_line(context, payload):
        return {}
    try:
        entries = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return {}
    if not isinstance(entries, dict):
        return {}
    return {path: entry for path, entry in entries.items() if isinstance(path, str) and isinstance(entry, bytes)}


def _first_line(context: str, payload: bytes) -> bytes:
    return f"unitgen-parses/{FORMAT} {context} {hashlib.sha256(payload).hexdigest()}\n".encode("utf-8", "surrogatepass")


def reading(directory: str, inputs: Mapping[str, bytes], digests: Mapping[str, bytes], known: Mapping[str, bytes]) -> Reading:
    """The reading of the spec files among ``inputs`` (the bytes the key was computed
    from, by name, and their sha256 ``digests``): what ``known`` holds for the same bytes
    and path shown is taken as it is, and the rest is parsed.  Like a first reading, it runs in workers when there are
    many files, while the compiler loads."""
    names = sorted(name for name in inputs if name.endswith(".toml") and name != PROJECT_FILE)

    def read(batch: Sequence[str]) -> list[ParsedFile]:
        cwd = os.getcwd()
        return [_recalled_or_parsed(os.path.join(directory, name), inputs[name], digests[name], known, cwd) for name in batch]

    return Reading(parallel.start(read, names), memoised=True)


def _recalled_or_parsed(path: str, raw: bytes, digest: bytes, known: Mapping[str, bytes], cwd: str) -> ParsedFile:
    shown = display_path(path, cwd)
    entry = known.get(path)
    found = None if entry is None else recalled_entry(entry)
    if found is not None and found[1] == shown and found[0] == digest:
        # The bytes parsed before as UTF-8 TOML: decoding them again cannot fail.
        return (path, shown, raw.decode("utf-8"), found[2], found[3], digest, entry)
    return parse_spec(path, shown, raw, digest)
