"""TOML text → located raw data: values from tomllib, positions from ``locate``."""

from __future__ import annotations

import abc
import functools
import os
import re
import tomllib

import attrs

from unitgen.diagnostics import Diagnostics, Location, Where
from unitgen.files import read_bytes
from unitgen.spec.locate import Position, locate

KeyPath = tuple[str | int, ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def format_path(path: KeyPath) -> str:
    """A key path as TOML spells it: ``container.env.HOME``, ``secrets[0]``, ``env."a b"``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + toml_key(part)
    return text


def toml_key(name: str) -> str:
    """One key as TOML spells it: bare when it can be, else quoted."""
    return name if _BARE_KEY.fullmatch(name) else toml_string(name)


_TOML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string, which TOML reads back exactly."""
    out = []
    for char in text:
        if char in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        elif 0xD800 <= ord(char) <= 0xDFFF:
            raise ValueError("a lone surrogate cannot be written in TOML")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def toml_list(items: list[str]) -> str:
    """Strings as a TOML array, for hints: ``["a", "b"]``."""
    return "[" + ", ".join(toml_string(item) for item in items) + "]"


class Origins(abc.ABC):
    """Where each value of some data was written."""

    @abc.abstractmethod
    def find(self, path: KeyPath) -> Location | None:
        """Where the value at exactly ``path`` was written, if known."""

    @abc.abstractmethod
    def fallback(self) -> Location:
        """Where the data as a whole was written: the location of what no key locates."""

    def location(self, path: KeyPath) -> Location:
        """Where the value at ``path`` was written, else its nearest located parent."""
        probe = tuple(path)
        while probe:
            found = self.find(probe)
            if found is not None:
                return found
            probe = probe[:-1]
        return self.fallback()

    def where(self, path: KeyPath) -> Where:
        """Keyword arguments for a Diagnostic about the value at ``path``."""
        return {"location": self.location(path), "key_path": format_path(path)}


class TextOrigins(Origins):
    """Positions in one TOML text; a view made by ``below`` sees the keys under ``prefix``.

    The text is located on the first lookup, which most documents never have: locating
    costs more than parsing.
    """

    def __init__(self, file: str, text: str, prefix: KeyPath = (), parent: TextOrigins | None = None) -> None:
        self.file = file
        self.text = text
        self.prefix = prefix
        self.parent = parent

    @functools.cached_property
    def positions(self) -> dict[KeyPath, Position]:
        return locate(self.text) if self.parent is None else self.parent.positions

    def below(self, prefix: KeyPath) -> TextOrigins:
        return TextOrigins(self.file, self.text, self.prefix + prefix, parent=self)

    def find(self, path: KeyPath) -> Location | None:
        position = self.positions.get(self.prefix + tuple(path))
        return None if position is None else Location(self.file, position.line, position.column)

    def fallback(self) -> Location:
        """The table this view is rooted at, or the file's start."""
        if self.parent is None:
            return Location(self.file, 1, 1)
        return self.parent.location(self.prefix[len(self.parent.prefix) :])


@attrs.frozen
class NoOrigins(Origins):
    """Data with no positions: every value is located at ``at``."""

    at: Location

    def find(self, path: KeyPath) -> Location | None:
        return None

    def fallback(self) -> Location:
        return self.at


@attrs.frozen
class Document:
    path: str  # as displayed in diagnostics (relative to the working directory when possible)
    data: dict[str, object]
    origins: Origins


def display_path(path: str | os.PathLike[str]) -> str:
    """The path relative to the working directory when it lies below it, else as given."""
    text = os.fspath(path)
    directory, name = os.path.split(text)
    prefix = display_prefix(directory)
    return text if prefix is None else prefix + name


def display_prefix(directory: str) -> str | None:
    """What ``display_path`` puts before the name of a file of ``directory`` ("specs/", or
    "" for the working directory); None when the directory does not lie below it."""
    prefix = os.path.realpath(directory or ".")
    if not prefix.endswith(os.sep):  # as os.path.join joins
        prefix += os.sep
    root = os.path.realpath(os.getcwd()) + os.sep
    return prefix[len(root) :] if prefix.startswith(root) else None


def load_document(
    path: str | os.PathLike[str], diagnostics: Diagnostics, *, shown: str | None = None
) -> Document | None:
    """Read and parse one TOML file; report and return None when it cannot be read.
    ``shown``: its ``display_path``, when the caller knows it."""
    shown = display_path(path) if shown is None else shown
    raw = _read(path, shown, diagnostics)
    parsed = None if raw is None else _parse(raw, shown, diagnostics)
    if parsed is None:
        return None
    text, data = parsed
    return Document(shown, data, TextOrigins(shown, text))


def _read(path: str | os.PathLike[str], shown: str, diagnostics: Diagnostics) -> bytes | None:
    """A file's bytes; reports and returns None when it cannot be read."""
    try:
        return read_bytes(path)
    except OSError as error:
        diagnostics.error("S001", f"cannot read file: {error.strerror or error}", location=Location(shown))
        return None


_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def _parse(raw: bytes, shown: str, diagnostics: Diagnostics) -> tuple[str, dict[str, object]] | None:
    """The text and data of a TOML file's content; reports and returns None when it is not TOML."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        diagnostics.error(
            "S002",
            f"file is not valid UTF-8 (byte 0x{raw[error.start]:02x})",
            location=Location(shown, line, error.start - raw.rfind(b"\n", 0, error.start)),
            hint="TOML files must be UTF-8",
        )
        return None
    if text.startswith("\ufeff"):
        # tomllib reads the byte order mark as a stray character and says only "Invalid statement".
        diagnostics.error(
            "S003",
            "invalid TOML: the file starts with a UTF-8 byte order mark (BOM)",
            location=Location(shown, 1, 1),
            hint="save the file as UTF-8 without a BOM",
        )
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = _TOML_POSITION.search(message)
        location = Location(shown, int(match.group(1)), int(match.group(2))) if match else Location(shown)
        message = _TOML_POSITION.sub("", message).strip()
        diagnostics.error("S003", f"invalid TOML: {message}", location=location)
        return None
    except RecursionError:
        diagnostics.error("S003", "invalid TOML: nesting is too deep", location=Location(shown))
        return None
    except ValueError as error:  # e.g. an integer literal with more digits than Python converts
        diagnostics.error("S003", f"invalid TOML: {error}", location=Location(shown))
        return None
    return text, data
