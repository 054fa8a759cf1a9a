"""A memo of successful compiles, so that ``check`` and a re-run ``compile`` need no compiler.

The memo is content-addressed: its key is a digest of everything a compile result depends
on (the specs' bytes, the arguments, unitgen's own code, Python and jinja2), and it holds
what the commands print for an output directory that is in sync, with a digest of every
file the compile produces.  A command that finds a memo for its key, and an output
directory matching it, prints what the compile would have led it to print; anything else
takes the full path.  So the memo can make a command faster, never change its answer.

Only the standard library is imported here: a hit must not load the compiler, whose
imports alone cost more than a whole cached ``unitgen check``.  Any failure to compute a
key, or to read, parse or write a memo is a miss: the cache is never the reason a
command fails.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from unitgen import __version__
from unitgen.digests import feed_length_prefixed
from unitgen.files import read_bytes
from unitgen.memo_slot import disabled_by_environment, slot_for
from unitgen.output.plan import contents_digest, in_sync_by_digest, write_atomically

FORMAT = 5
PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
REPLAYED_SEVERITIES = ("warning", "note")  # a compile with errors is never memoised
Instances = list[tuple[str | None, list[str]]]  # per environment, in the order compile prints them


class Key(NamedTuple):
    digest: str  # of every input: the memo in ``slot`` must carry this digest
    slot: str  # the file holding the memo for these specs and arguments
    context: str = ""  # of every input but the *.toml files (unitgen's code, the paths, ...)
    inputs: dict[str, bytes] | None = None  # the *.toml files' bytes that ``digest`` covers, by name
    digests: dict[str, bytes] | None = None  # and their sha256


class Entry(NamedTuple):
    out_dir: str  # absolute, as the compile resolved it
    out_link: str | None  # the output path before symlinks were resolved, if it was resolved
    selected: str | None  # --env
    environments: list[str | None]
    files: list[str]  # every file the compile produces, relative to out_dir, sorted
    contents: str  # output.contents_digest of those files, in that order
    units: int
    instances: Instances
    diagnostics: list[tuple[str, str]]  # (severity, formatted text), sorted as printed

    @property
    def scope(self) -> str | None:
        """With --env, only that environment's directory is compared for extra files."""
        return f"{self.selected}/" if self.selected else None

    def matches_output(self) -> bool:
        """Whether out/ holds exactly what this compile produces, so that replaying the
        memo prints what the full path would."""
        return in_sync_by_digest(self.files, self.contents, self.out_dir, scope=self.scope)


# --- the key ---------------------------------------------------------------------------


def key_for(specs: str | os.PathLike[str], environment: str | None, sets: Sequence[str], *, package_dir: str = PACKAGE_DIR) -> Key | None:
    """The key of a compile of ``specs`` with these arguments; None when the cache is off
    or the inputs cannot all be read (the compile will say what is wrong)."""
    context = context_for(specs, environment, sets, package_dir=package_dir)
    if context is None:
        return None
    given = os.fspath(specs)
    try:
        inputs = {name: read_bytes(os.path.join(given, name)) for name in spec_file_names(given)}
    except OSError:
        return None
    # The bytes, not an mtime: an edit in the same second counts.
    digests = {name: hashlib.sha256(content).digest() for name, content in inputs.items()}
    return key_from_digests(context, digests)._replace(inputs=inputs, digests=digests)


class Context(NamedTuple):
    digest: str  # of every input but the *.toml files (``context_digest``)
    slot: str  # the file holding the memo for these specs and arguments


def context_for(specs: str | os.PathLike[str], environment: str | None, sets: Sequence[str], *, package_dir: str = PACKAGE_DIR) -> Context | None:
    """All of a key but the *.toml files; None when the cache is off or a path cannot be
    used.  A first compile finds it while its readers read, which digest the files."""
    if disabled_by_environment():
        return None
    given = os.fspath(specs)
    try:
        return Context(context_digest(given, environment, sets, package_dir=package_dir), slot_for(given, environment, sets))
    except (OSError, ValueError):  # ValueError: a name the file system cannot hold
        return None


def key_from_digests(context: Context, digests: Mapping[str, bytes]) -> Key:
    """The key of a compile in ``context`` whose *.toml files, by name, had these sha256
    digests.  ``key_for`` takes them from the files; a first compile, from its readers,
    which digest the very bytes they parse."""
    digest = hashlib.sha256()
    feed_length_prefixed(digest, context.digest.encode())
    for name in sorted(digests):
        feed_length_prefixed(digest, name.encode("utf-8", "surrogatepass"))
        digest.update(digests[name])  # 32 bytes each: no length needed
    return Key(digest.hexdigest(), context.slot, context.digest)


def context_digest(given: str, environment: str | None, sets: Sequence[str], *, package_dir: str = PACKAGE_DIR) -> str:
    """sha256 over everything the compile result depends on but the *.toml files.  Raises
    OSError (or ValueError, for an impossible file name) when an input cannot be read."""
    context = [
        FORMAT,
        __version__,
        sys.version,
        code_fingerprint(package_dir),
        jinja_fingerprint(),
        given,  # out/ is found relative to it
        os.path.abspath(given),
        os.path.realpath(given),
        os.path.realpath(os.getcwd()),  # diagnostics name a spec relative to it, when below it
        environment,
        list(sets),  # in order: a later --set of the same name wins
    ]
    return hashlib.sha256(json.dumps(context).encode()).hexdigest()


def spec_file_names(directory: str) -> list[str]:
    """What the compiler reads: every ``*.toml`` (the specs, and ``unitgen.toml``)."""
    with os.scandir(directory) as entries:
        return sorted(entry.name for entry in entries if entry.name.endswith(".toml"))


def code_fingerprint(package_dir: str = PACKAGE_DIR) -> list[tuple[str, int, int]]:
    """Name, size and modification time of every file of the unitgen package, so that an
    edited module (an editable install) means a new key.  Bytecode caches are left out:
    they follow their sources, and Python writing one is not a change."""
    found = []
    for directory, subdirectories, names in os.walk(package_dir, onerror=_raise):
        subdirectories[:] = [d for d in subdirectories if d != "__pycache__"]
        for name in names:
            path = os.path.join(directory, name)
            status = os.stat(path)
            found.append((os.path.relpath(path, package_dir), status.st_size, status.st_mtime_ns))
    return sorted(found)


def jinja_fingerprint() -> list[Any] | None:
    """Where jinja2 (which renders the templates in specs) is installed, and its stat;
    found without importing it."""
    import importlib.util

    try:
        found = importlib.util.find_spec("jinja2")
    except (ImportError, ValueError):
        return None
    if found is None or not found.origin:
        return None
    status = os.stat(found.origin)
    return [found.origin, status.st_size, status.st_mtime_ns]


def _raise(error: OSError) -> None:
    raise error


# --- the memo --------------------------------------------------------------------------


def entry_for(
    result: Any, specs: str | os.PathLike[str], instances: Instances, diagnostics: Iterable[Any], files: Mapping[str, str] | None = None
) -> Entry | None:
    """The memo of a compile ``result`` of ``specs`` (sorted ``diagnostics``; ``files``:
    ``result.files``, if the caller has it); None for one that must not be memoised: it
    reported errors."""
    replayed = [(d.severity.value, d.format()) for d in diagnostics]
    if any(severity not in REPLAYED_SEVERITIES for severity, _ in replayed):
        return None
    output = os.fspath(result.project.output)
    # The compiler resolves a relative output path, symlinks included: should a link
    # move, the memo's out_dir is no longer where a compile would write.
    from pathlib import PurePath  # only when storing: a hit never needs pathlib

    link = None if os.path.isabs(output) else os.fspath(PurePath(specs).parent / output)
    in_order = sorted((result.files if files is None else files).items())
    return Entry(
        out_dir=os.fspath(result.out_dir),
        out_link=link,
        selected=result.selected,
        environments=list(result.environments),
        files=[path for path, _ in in_order],
        contents=contents_digest(in_order),
        units=len(in_order),
        instances=[(env, list(names)) for env, names in instances],
        diagnostics=replayed,
    )


def lookup(key: Key) -> Entry | None:
    """The memo stored under ``key``, if it is there, whole, and describes this compile."""
    try:
        with open(key.slot, "rb") as memo:
            data = json.loads(memo.read())
    except (OSError, ValueError, RecursionError):  # unreadable, truncated, not JSON, absurdly nested
        return None
    entry = _parse(data, key.digest)
    if entry is None or (entry.out_link is not None and os.path.realpath(entry.out_link) != entry.out_dir):
        return None
    return entry


def store(key: Key, entry: Entry | None) -> None:
    """Write the memo atomically, so a concurrent reader sees the old one or the new one
    whole; a cache that cannot be written is no cache."""
    if entry is None:
        return
    write_in_cache(key.slot, json.dumps({"format": FORMAT, "digest": key.digest, **entry._asdict()}).encode())


def write_in_cache(path: str, *pieces: bytes) -> None:
    """Write a file of the cache, atomically (a concurrent reader sees the old file or the
    new one, whole), into the private cache directory, made if need be; a cache that
    cannot be written is no cache."""
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        write_atomically(path, pieces, mode=0o600)
    except (OSError, ValueError):
        pass


def _parse(data: object, digest: str) -> Entry | None:
    """The Entry a parsed memo file describes, checked field by field: a memo from another
    version, or damaged into other valid JSON, is a miss rather than a crash later."""
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("digest") != digest:
        return None
    try:
        entry = Entry(**{field: data[field] for field in Entry._fields})
    except KeyError:
        return None
    valid = (
        _is_path(entry.out_dir)
        and (entry.out_link is None or _is_path(entry.out_link))
        and _optional_str(entry.selected)
        and _list_of(entry.environments, _optional_str)
        and _list_of(entry.files, _is_path)
        and isinstance(entry.contents, str)
        and type(entry.units) is int
        and _list_of(entry.instances, _instances_of_one_environment)
        and _list_of(entry.diagnostics, _replayable_diagnostic)
    )
    if not valid:
        return None
    return entry._replace(
        instances=[(env, names) for env, names in entry.instances],
        diagnostics=[(severity, text) for severity, text in entry.diagnostics],
    )


def _is_path(value: object) -> bool:
    """A str the file system functions take: no NUL, no surrogate it cannot encode."""
    if not isinstance(value, str) or "\0" in value:
        return False
    try:
        os.fsencode(value)
    except UnicodeEncodeError:
        return False
    return True


def _optional_str(value: object) -> bool:
    return value is None or isinstance(value, str)


def _list_of(value: object, valid: Any) -> bool:
    return isinstance(value, list) and all(valid(item) for item in value)


def _instances_of_one_environment(value: object) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and _optional_str(value[0])
        and _list_of(value[1], lambda name: isinstance(name, str))
    )


def _replayable_diagnostic(value: object) -> bool:
    return isinstance(value, list) and len(value) == 2 and value[0] in REPLAYED_SEVERITIES and isinstance(value[1], str)
