"""Unit IR → deterministic unit-file text.

fleet's parser (go-systemd) refuses physical lines of 2048 bytes or more, so a long value
is broken between words with a backslash-newline, which systemd reads as one space.  A
break is never placed where it would change the meaning: after a word ending in a
backslash (the backslash run would become even), or before a word that starts with ``#``
or ``;`` or is empty (systemd would read a comment or extra blanks).
"""

from __future__ import annotations

import itertools

import attrs

from unitgen.compile.header import HEADER_LINES, MARKER_SECTION, header
from unitgen.compile.ir import Directive, Section, Unit
from unitgen.diagnostics import Diagnostics

LINE_LIMIT = 2047  # bytes per physical line, newline excluded


def _size(text: str) -> int:
    """Bytes in the written file (a lone surrogate stands for one raw byte)."""
    return len(text.encode("utf-8", "surrogateescape"))


def _can_break_before(previous: str, word: str) -> bool:
    return bool(word) and not previous.endswith("\\") and word[0] not in "#;"


def directive_lines(directive: Directive, diagnostics: Diagnostics, unit_name: str) -> list[str] | None:
    head = f"{directive.key}="
    whole = head + directive.value
    if _size(whole) <= LINE_LIMIT:
        return [whole]
    lines: list[str] = []
    current = head + directive.words[0]
    current_size = _size(current)
    for previous, word in itertools.pairwise(directive.words):
        size = _size(word)
        if current_size + 1 + size + 2 <= LINE_LIMIT or not _can_break_before(previous, word):
            current += " " + word
            current_size += 1 + size
            continue
        lines.append(current + "\\")
        current, current_size = word, size
    lines.append(current)
    longest = max(_size(line) for line in lines)
    if longest > LINE_LIMIT:
        diagnostics.error(
            "S501",
            f"{unit_name}: {directive.key}= needs a line of {longest} bytes that cannot be broken between "
            f"words; fleet refuses lines of {LINE_LIMIT + 1} bytes or more",
            hint="move long values into an env file or a script in the image",
            **({} if directive.origin is None else directive.origin.where()),
        )
        return None
    return lines


def render_body(unit: Unit, diagnostics: Diagnostics) -> str:
    lines: list[str] = []  # of every section, joined once
    for section in unit.sections:
        if lines:
            lines.append("")  # a blank line between sections
        lines.append(f"[{section.name}]")
        for directive in section.directives:
            rendered = directive_lines(directive, diagnostics, unit.name)
            if rendered is not None:
                lines.extend(rendered)
    return "\n".join(lines) + "\n" if lines else ""


def line_origins(unit: Unit) -> dict[int, Directive]:
    """Which directive each line of the rendered file belongs to (1-based, header included)."""
    quiet = Diagnostics()
    found: dict[int, Directive] = {}
    line = HEADER_LINES
    for index, section in enumerate(unit.sections):
        line += 1 + (1 if index else 0)  # the blank line between sections, then [Section]
        for directive in section.directives:
            for _ in directive_lines(directive, quiet, unit.name) or ():
                line += 1
                found[line] = directive
    return found


def marked(unit: Unit, project: str, environment: str | None) -> Unit:
    """The unit with its last section, ``[X-Unitgen]``: whose it is, as fleet will still
    show it (see ``header``).  Both values are plain words, checked where they are read."""
    directives = [Directive("Project", (project,))]
    if environment is not None:
        directives.append(Directive("Environment", (environment,)))
    return attrs.evolve(unit, sections=(*unit.sections, Section(MARKER_SECTION, tuple(directives))))


def render_unit(unit: Unit, diagnostics: Diagnostics, source: str) -> str:
    """The file: header, then the unit's sections."""
    body = render_body(unit, diagnostics)
    return header(source, body) + body
