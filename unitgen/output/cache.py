"""The memo of the last successful compile, so that ``check`` and a re-run ``compile`` answer
without compiling.

The interface is four names: ``key_for`` (None when the cache is off or a spec file cannot
be read), ``lookup``, ``memo_of`` and ``store``.  A key is a digest of everything a compile
result depends on: the bytes of every ``*.toml`` of the specs directory, the arguments,
the working directory, unitgen's own files, Python and jinja2.  A memo holds what the
commands print for an output directory in sync, and one digest of every file the compile
produces; ``Memo.matches_output`` tells whether ``out/`` still holds exactly those files.
So the memo can make a command faster, never change its answer.  Any failure to read or
write the cache is a miss: the cache is never the reason a command fails.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from unitgen import __version__
from unitgen.files import read_bytes
from unitgen.output.atomic import write_atomically
from unitgen.output.ondisk import contents_digest, in_sync_by_digest

FORMAT = 7
PACKAGE_DIR = Path(__file__).resolve().parent.parent
REPLAYED_SEVERITIES = ("warning", "note")  # a compile with errors is never memoised


@attrs.frozen
class Key:
    digest: str  # of every input: the memo in ``slot`` must carry this digest
    slot: Path  # the file holding the memo for these specs and arguments, whatever their content


@attrs.frozen
class Memo:
    out_dir: str  # absolute, as the compile resolved it
    out_link: str | None  # the output path before symlinks were resolved, if it was relative
    selected: str | None  # --env
    files: tuple[str, ...]  # every file the compile produces, relative to out_dir, sorted
    contents: str  # ``contents_digest`` of those files, in that order
    instances: tuple[tuple[str | None, tuple[str, ...]], ...]  # per environment, as compile prints them
    diagnostics: tuple[tuple[str, str], ...]  # (severity, formatted text), sorted as printed
    compose_files: bool  # the project declares Compose files ([compose.ENV] file), which check compares

    @property
    def units(self) -> int:
        return len(self.files)

    def matches_output(self) -> bool:
        """Whether out/ holds exactly what this compile produces, so that replaying the memo
        prints what the full path would."""
        scope = f"{self.selected}/" if self.selected else None
        return in_sync_by_digest(self.files, self.contents, self.out_dir, scope=scope)


def disabled_by_environment() -> bool:
    return os.environ.get("UNITGEN_NO_CACHE", "") not in ("", "0")


def cache_dir() -> Path:
    explicit = os.environ.get("UNITGEN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):  # the XDG spec: a relative path is invalid and ignored
        return Path(xdg) / "unitgen"
    return Path.home() / ".cache" / "unitgen"


def key_for(
    specs: Path, environment: str | None, sets: Sequence[str], *, package_dir: Path = PACKAGE_DIR
) -> Key | None:
    """The key of a compile of ``specs`` with these arguments; None when the cache is off
    or an input cannot be read (the compile will say what is wrong)."""
    if disabled_by_environment():
        return None
    try:
        given = os.fspath(specs)
        inputs = _inputs_digest(given)
        # The compile warns about the spec-like files it does not read (S004: ".TOML", or in
        # a subdirectory), so their names count too.
        spec_like = _digest(_spec_like_names(given))
        context = [
            FORMAT,
            __version__,
            sys.version,
            code_fingerprint(package_dir),
            jinja_fingerprint(),
            given,  # out/ is found relative to it
            os.path.abspath(given),
            os.path.realpath(given),
            os.path.realpath(os.getcwd()),  # diagnostics name a spec relative to it
            environment,
            list(sets),  # in order: a later --set of the same name wins
            inputs,
            spec_like,
        ]
        slot = _digest([os.path.realpath(given), environment, list(sets)])[:32]
    except (OSError, ValueError):  # unreadable, or a name the file system cannot hold
        return None
    return Key(_digest(context), cache_dir() / f"{slot}.json")


def _digest(data: object) -> str:
    return hashlib.sha256(json.dumps(data, ensure_ascii=True).encode()).hexdigest()


def _inputs_digest(given: str) -> str:
    """One digest of the name and contents (not times) of every ``*.toml`` of the specs
    directory, each file read and hashed in turn: no list of them all is kept."""
    digest = hashlib.sha256()
    for name in sorted(os.listdir(given)):
        if name.endswith(".toml"):
            contents = read_bytes(os.path.join(given, name))
            # Each piece length-prefixed: no two sets of files feed the same bytes.
            for piece in (name.encode("utf-8", "surrogateescape"), contents):
                digest.update(len(piece).to_bytes(8, "big"))
                digest.update(piece)
    return digest.hexdigest()


def _spec_like_names(given: str) -> list[str]:
    """Every ``*.toml`` below the specs directory, whatever its case, relative to it."""
    found = []
    for root, _, names in os.walk(given):
        below = "" if root == given else os.path.relpath(root, given) + os.sep
        found += [below + name for name in names if name.lower().endswith(".toml")]
    return sorted(found)


def code_fingerprint(package_dir: Path = PACKAGE_DIR) -> list[tuple[str, int, int]]:
    """Name, size and modification time of every file of the unitgen package, so that an
    edited module (an editable install) means a new key.  Bytecode caches are left out:
    they follow their sources, and Python writing one is not a change."""
    found = []
    top = os.fspath(package_dir)
    for root, directories, names in os.walk(top):
        directories[:] = [name for name in directories if name != "__pycache__"]
        below = "" if root == top else os.path.relpath(root, top).replace(os.sep, "/") + "/"
        for name in names:
            try:
                status = os.stat(os.path.join(root, name))
            except OSError:  # a dangling link: not a file of the package
                continue
            if stat.S_ISREG(status.st_mode):
                found.append((below + name, status.st_size, status.st_mtime_ns))
    return sorted(found)


def jinja_fingerprint() -> list[Any] | None:
    """Where jinja2 (which evaluates the templates in specs) is installed, and its stat."""
    import importlib.util

    found = importlib.util.find_spec("jinja2")
    if found is None or not found.origin:
        return None
    status = os.stat(found.origin)
    return [found.origin, status.st_size, status.st_mtime_ns]


def memo_of(result: Any, specs: Path, diagnostics: Iterable[Any]) -> Memo | None:
    """The memo of a compile ``result`` of ``specs`` (a ``CompileResult``) that reported
    these sorted ``diagnostics``; None for a compile that must not be memoised: it
    reported errors."""
    replayed = tuple((d.severity.value, d.format()) for d in diagnostics)
    if any(severity not in REPLAYED_SEVERITIES for severity, _ in replayed):
        return None
    output = os.fspath(result.project.output)
    # The compiler resolves a relative output path, symlinks included: should a link move,
    # the memo's out_dir is no longer where a compile would write.
    link = None if os.path.isabs(output) else os.fspath(Path(os.path.abspath(specs)).parent / output)
    files = result.files
    paths = sorted(files)
    return Memo(
        out_dir=os.fspath(result.out_dir),
        out_link=link,
        selected=result.selected,
        files=tuple(paths),
        contents=contents_digest((path, files[path]) for path in paths),
        instances=tuple((env, tuple(names)) for env, names in result.instances_to_start()),
        diagnostics=replayed,
        compose_files=any(target.file is not None for target in result.project.compose),
    )


def lookup(key: Key) -> Memo | None:
    """The memo stored under ``key``, if it is there, whole, and describes this compile."""
    try:
        data = json.loads(key.slot.read_bytes())
    except (OSError, ValueError, RecursionError):  # unreadable, truncated, not JSON, absurdly nested
        return None
    memo = _parse(data, key.digest)
    if memo is None or (memo.out_link is not None and os.path.realpath(memo.out_link) != memo.out_dir):
        return None
    return memo


def store(key: Key, memo: Memo | None) -> None:
    """Write the memo atomically, into a directory only the user can read; a cache that
    cannot be written is no cache."""
    if memo is None:
        return
    data = {"format": FORMAT, "digest": key.digest, **attrs.asdict(memo)}
    try:
        key.slot.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # In pieces: the memo of thousands of files is never one string.
        write_atomically(key.slot, (piece.encode() for piece in json.JSONEncoder().iterencode(data)))
    except (OSError, ValueError):
        pass


def _parse(data: object, digest: str) -> Memo | None:
    """The memo a parsed file describes, checked field by field: a memo from another
    version, or damaged into other valid JSON, is a miss rather than a crash later."""
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("digest") != digest:
        return None
    fields: dict[str, Any] = {field.name: data.get(field.name) for field in attrs.fields(Memo)}
    valid = (
        _is_path(fields["out_dir"])
        and (fields["out_link"] is None or _is_path(fields["out_link"]))
        and _optional_str(fields["selected"])
        and _list_of(fields["files"], _is_path)
        and isinstance(fields["contents"], str)
        and _list_of(fields["instances"], _instances_of_one_environment)
        and _list_of(fields["diagnostics"], _replayable_diagnostic)
        and isinstance(fields["compose_files"], bool)
    )
    if not valid:
        return None
    return Memo(
        out_dir=fields["out_dir"],
        out_link=fields["out_link"],
        selected=fields["selected"],
        files=tuple(fields["files"]),
        contents=fields["contents"],
        instances=tuple((env, tuple(names)) for env, names in fields["instances"]),
        diagnostics=tuple((severity, text) for severity, text in fields["diagnostics"]),
        compose_files=fields["compose_files"],
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
