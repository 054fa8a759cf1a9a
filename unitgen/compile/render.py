"""Unit IR → deterministic unit-file text.

fleet's parser (go-systemd) refuses physical lines of 2048 bytes or more, so a long value
is broken between words with a backslash-newline, which systemd reads as one space.  A
break is never placed where it would change the meaning: after a word ending in a
backslash (the backslash run would become even), or before a word that starts with ``#``
or ``;`` or is empty (systemd would read a comment or extra blanks).
"""

from __future__ import annotations

from unitgen.diagnostics import Diagnostics
from unitgen.compile.header import HEADER_LINES, header
from unitgen.compile.ir import Directive, Unit

LINE_LIMIT = 2047  # bytes per physical line, newline excluded


def _can_break_before(previous: str, word: str) -> bool:
    return bool(word) and not previous.endswith("\\") and word[0] not in "#;"


def directive_lines(directive: Directive, diagnostics: Diagnostics, unit_name: str) -> list[str] | None:
    head = f"{directive.key}="
    whole = head + directive.value
    # A character is at most 4 bytes in UTF-8: short lines need no encoding to measure.
    if len(whole) * 4 <= LINE_LIMIT or len(whole.encode()) <= LINE_LIMIT:
        return [whole]
    lines: list[str] = []
    current = head + directive.words[0]
    current_size = len(current.encode())
    for previous, word in zip(directive.words, directive.words[1:]):
        size = len(word.encode())
        if current_size + 1 + size + 2 <= LINE_LIMIT or not _can_break_before(previous, word):
            current += " " + word
            current_size += 1 + size
            continue
        lines.append(current + "\\")
        current, current_size = word, size
    lines.append(current)
    too_long = [line for line in lines if len(line.encode()) > LINE_LIMIT]
    if too_long:
        longest = max(len(line.encode()) for line in too_long)
        origin = directive.origin
        diagnostics.error(
            "S501",
            f"{unit_name}: {directive.key}= needs a line of {longest} bytes that cannot be broken between "
            f"words; fleet refuses lines of {LINE_LIMIT + 1} bytes or more",
            hint="move long values into an env file or a script in the image",
            **_where(origin),
        )
        return None
    return lines


def _where(origin) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {} if origin is None else origin.where()


def render_body(unit: Unit, diagnostics: Diagnostics) -> str:
    lines: list[str] = []  # of every section, joined once
    for section in unit.sections:
        if lines:
            lines.append("")  # a blank line between sections
        lines.append(f"[{section.name}]")
        for directive in section.directives:
            line = f"{directive.key}={' '.join(directive.words)}"
            if len(line) * 4 <= LINE_LIMIT:  # most lines: short whatever their characters
                lines.append(line)
                continue
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


def render_unit(unit: Unit, diagnostics: Diagnostics, source: str) -> str:
    body = render_body(unit, diagnostics)
    return header(source, body) + body
