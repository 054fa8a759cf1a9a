"""TOML text → located raw data: values from tomllib, positions from ``locate``."""

from __future__ import annotations

import functools
import os
import re
import tomllib
from pathlib import Path
from typing import NamedTuple

from unitgen.diagnostics import Diagnostics, Location

KeyPath = tuple[str | int, ...]


@functools.lru_cache(maxsize=8192)
def format_path(path: KeyPath) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z0-9_-]+", part):
            text += ("." if text else "") + part
        else:
            text += ("." if text else "") + '"' + part.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


class Origins:
    """Where each key of a document was written; positions are computed on first use.

    Locating keys costs more than parsing, and is only needed when something is
    reported, so documents locate themselves lazily.
    """

    fallback: Location

    def find(self, path: KeyPath) -> Location | None:
        raise NotImplementedError

    def location(self, path: KeyPath) -> Location:
        probe = tuple(path)
        while probe:
            found = self.find(probe)
            if found is not None:
                return found
            probe = probe[:-1]
        return self.fallback

    def where(self, path: KeyPath) -> dict[str, object]:
        """Keyword arguments for a Diagnostic about the value at ``path``."""
        return {"location": self.location(path), "key_path": format_path(path)}


class TextOrigins(Origins):
    """Positions in one TOML text, optionally re-rooted below ``prefix``."""

    def __init__(self, file: str, text: str, prefix: KeyPath = (), parent: TextOrigins | None = None) -> None:
        self.file = file
        self._text = text
        self._prefix = prefix
        self._parent = parent
        self._positions: dict | None = None  # type: ignore[type-arg]

    @property
    def text(self) -> str:
        return self._text

    @property
    def fallback(self) -> Location:  # type: ignore[override]
        """The table this view is rooted at, or the file's start."""
        if self._parent is None:
            return Location(self.file, 1, 1)
        return self._parent.location(self._prefix[len(self._parent._prefix) :])

    def below(self, prefix: KeyPath) -> TextOrigins:
        return TextOrigins(self.file, self._text, self._prefix + prefix, parent=self)

    def find(self, path: KeyPath) -> Location | None:
        position = self._located().get(self._prefix + tuple(path))
        return None if position is None else Location(self.file, position.line, position.column)


    def _located(self) -> dict:  # type: ignore[type-arg]
        if self._parent is not None:
            return self._parent._located()
        if self._positions is None:
            from unitgen.spec.locate import locate

            self._positions = locate(self._text)
        return self._positions


class NoOrigins(Origins):
    def __init__(self, fallback: Location) -> None:
        self.fallback = fallback

    def find(self, path: KeyPath) -> Location | None:
        return None


class Document(NamedTuple):  # not attrs: made while the compiler still loads (see ``reading``)
    path: str  # as displayed in diagnostics (relative to the working directory when possible)
    data: dict[str, object]
    origins: Origins


_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


@functools.lru_cache(maxsize=64)
def _shown_prefix(head: str, cwd: str) -> str | None:
    """How the names in one directory are displayed: ``head`` is a path's text up to and
    including its last separator; the result is that directory relative to ``cwd`` with a
    separator, or None when it does not lie below ``cwd``.

    Every spec file of a directory shares its head, so this runs once per directory, and
    ``display_path`` only slices and concatenates (``os.path.split`` and ``join`` cost
    more than reading the file).
    """
    parent = os.path.split(head)[0]  # what os.path.split(path) gives as the parent
    directory = os.path.realpath(parent or ".")
    prefix = directory if directory.endswith(os.sep) else directory + os.sep  # as os.path.join joins
    root = os.path.realpath(cwd) + os.sep
    # The file's name holds no separator, so the full path lies below cwd exactly when
    # this prefix does.
    return prefix[len(root) :] if prefix.startswith(root) else None


def display_path(path: str | Path, cwd: str | None = None) -> str:
    """The path relative to the working directory (``cwd``, if the caller asked for it
    once for many paths) when it lies below it."""
    text = os.fspath(path)
    cut = text.rfind(os.sep) + 1
    shown = _shown_prefix(text[:cut], os.getcwd() if cwd is None else cwd)
    return text if shown is None else shown + text[cut:]  # else as given


def load_document(path: str | Path, diagnostics: Diagnostics) -> Document | None:
    """Read and parse one TOML file; report and return None when it cannot be read."""
    shown = display_path(path)
    raw = read_input(path, shown, diagnostics)
    return None if raw is None else parse_document(raw, shown, diagnostics)


def read_input(path: str | Path, shown: str, diagnostics: Diagnostics) -> bytes | None:
    """A file's bytes; reports and returns None when it cannot be read."""
    try:
        return Path(path).read_bytes()
    except OSError as error:
        diagnostics.error("S001", f"cannot read file: {error.strerror or error}", location=Location(shown))
        return None


def parse_document(raw: bytes, shown: str, diagnostics: Diagnostics) -> Document | None:
    parsed = parse_toml(raw, shown, diagnostics)
    return None if parsed is None else Document(shown, parsed[1], TextOrigins(shown, parsed[0]))


def parse_toml(raw: bytes, shown: str, diagnostics: Diagnostics) -> tuple[str, dict[str, object]] | None:
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
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = _TOML_POSITION.search(message)
        line, column = (int(match.group(1)), int(match.group(2))) if match else (None, None)
        message = _TOML_POSITION.sub("", message).strip()
        diagnostics.error("S003", f"invalid TOML: {message}", location=Location(shown, line, column))
        return None
    except RecursionError:
        diagnostics.error("S003", "invalid TOML: nesting is too deep", location=Location(shown))
        return None
    except ValueError as error:  # e.g. an integer literal with more digits than Python converts
        diagnostics.error("S003", f"invalid TOML: {error}", location=Location(shown))
        return None
    return text, data
