"""TOML text → located raw data: values from tomllib, positions from ``locate``."""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from pathlib import Path

import attrs

from unitgen.diagnostics import Diagnostics, Location

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

KeyPath = tuple[str | int, ...]


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


@attrs.frozen
class Origins:
    """Where each key of one (possibly merged) document was written."""

    by_path: Mapping[KeyPath, Location]
    fallback: Location

    def location(self, path: KeyPath) -> Location:
        probe = tuple(path)
        while probe:
            found = self.by_path.get(probe)
            if found is not None:
                return found
            probe = probe[:-1]
        return self.fallback

    def where(self, path: KeyPath) -> dict[str, object]:
        """Keyword arguments for a Diagnostic about the value at ``path``."""
        return {"location": self.location(path), "key_path": format_path(path)}


@attrs.frozen
class Document:
    path: str  # as displayed in diagnostics (relative to the working directory when possible)
    data: dict[str, object]
    origins: Origins


_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_document(path: Path, diagnostics: Diagnostics) -> Document | None:
    """Read and parse one TOML file; report and return None when it cannot be read."""
    shown = display_path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        diagnostics.error("S001", f"cannot read file: {error.strerror or error}", location=Location(shown))
        return None
    return parse_document(raw, shown, diagnostics)


def parse_document(raw: bytes, shown: str, diagnostics: Diagnostics) -> Document | None:
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
    from unitgen.locate import locate

    positions = locate(text)
    by_path = {path: Location(shown, pos.line, pos.column) for path, pos in positions.items()}
    return Document(shown, data, Origins(by_path, Location(shown, 1, 1)))
