"""Reading a directory of specs: every file listed, read, parsed and type-checked.

Files do not depend on each other, and parsing them is a third of a compile's work, so
they are read by forked workers (``parallel``).  ``start_reading`` forks them before the
rest of the compiler is imported: that import takes a tenth of a second, during which
the second core would otherwise idle.  For that, this module and the ones it imports
load without attrs (diagnostics, documents and schema keys are named tuples).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from unitgen import parallel, schema
from unitgen.diagnostics import Diagnostics
from unitgen.source import TextOrigins, display_path, load_toml
from unitgen.typecheck import check_document

if TYPE_CHECKING:  # pathlib is not loaded before the reading workers fork
    from pathlib import Path

PROJECT_FILE = "unitgen.toml"

# Path, displayed path, text (None when the file did not parse), type-checked data, and
# diagnostics: plain data, which crosses a pipe cheaply.  The raw data stays behind
# (after type-checking, the checked data is all anyone reads), and so do the Document
# and origins objects, which cost more to pickle than to build again.
ParsedFile = tuple[str, str, "str | None", dict[str, object], list]  # type: ignore[type-arg]


def start_reading(directory: Path) -> parallel.Round[str, ParsedFile]:
    """Begin reading the spec files of ``directory``; ``.finish()`` gives them in name order."""
    return parallel.start(parse_spec_files, spec_paths(directory))


def spec_paths(directory: Path) -> list[str]:
    """Every ``*.toml`` entry but the project file, in name order (what ``glob`` gives,
    without pathlib's cost per entry)."""
    names = sorted(name for name in os.listdir(directory) if name.endswith(".toml") and name != PROJECT_FILE)
    return [os.path.join(directory, name) for name in names]


def file_stem(path: str) -> str:
    """``pathlib.PurePath(path).stem``, without building a path object."""
    name = os.path.basename(path)
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def parse_spec_files(paths: list[str]) -> list[ParsedFile]:
    parsed: list[ParsedFile] = []
    for path in paths:
        diagnostics = Diagnostics()
        shown = display_path(path)
        loaded = load_toml(path, shown, diagnostics)
        if loaded is None:
            parsed.append((path, shown, None, {}, list(diagnostics)))
            continue
        text, raw_data = loaded
        data = check_document(raw_data, schema.SPEC, TextOrigins(shown, text), diagnostics)
        parsed.append((path, shown, text, data, list(diagnostics)))
    return parsed
