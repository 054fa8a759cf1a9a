"""The unit-file reader: the bytes of a unit file as systemd 252 reads them.

``parse_systemd`` reads the bytes as systemd 252's ``config_parse`` does (line ends, comments,
odd-backslash continuations, ``[Section]`` headers, ``Key=value``) and keeps, for every entry,
where each piece of its value sits in the file, so findings point at the exact column.
Values are split into words by ``words``; how fleet's own parser reads the same bytes is in
``gounitfile``.
"""

from __future__ import annotations

import bisect
import re

import attrs

SYSTEMD_LINE_MAX = 1024 * 1024  # LONG_LINE_MAX: a longer line fails the whole unit
_BOM = "\ufeff"
_SYSTEMD_BLANKS = " \t\n\r"  # WHITESPACE in systemd's strstrip
# systemd's read_line ends a line at LF, CR, CRLF and NUL (fileio.c categorize_eol).
_SYSTEMD_EOL = re.compile(rb"\r\n|[\n\r\0]")


@attrs.frozen
class Piece:
    """One line as systemd reads it: a physical line, or a part of one cut at CR or NUL."""

    line: int  # 1-based, counted in LF-terminated lines as an editor shows them
    column: int  # 1-based column of the piece's first character within that line
    text: str  # decoded with surrogateescape: invalid bytes survive as lone surrogates
    raw: bytes
    terminator: bytes  # b"\n", b"\r\n", b"\r", b"\0" or b"" at the end of the file


@attrs.frozen
class Header:
    name: str
    line: int
    column: int  # of the '['
    text: str  # the stripped header line
    valid: bool  # ends with ']' (otherwise systemd refuses the whole unit)
    read_by_systemd: bool  # a section systemd parses for this unit type


@attrs.frozen
class Entry:
    """One ``Key=value`` assignment as systemd sees it, continuation lines joined."""

    section: str | None  # None before the first header
    section_line: int | None
    read_by_systemd: bool  # False in [X-...] and unknown sections, which systemd skips
    key: str
    value: str  # stripped, each continuation backslash turned into a space
    line: int
    column: int  # of the key
    value_column: int
    # Where each piece of ``value`` starts: (offset in value, line, column); sorted.
    anchors: tuple[tuple[int, int, int], ...]
    physical_lines: tuple[int, ...]  # every line the assignment spans, comments excluded
    comment_lines: tuple[int, ...]  # comment lines systemd skipped inside the continuation
    ended_by_blank: bool  # a continuation that a blank line (or EOF) ended

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column) of the character at ``offset`` in ``value``."""
        if not self.anchors:
            return self.line, self.value_column
        index = bisect.bisect_right(self.anchors, (offset, 1 << 62, 0)) - 1
        start, line, column = self.anchors[max(index, 0)]
        return line, column + max(offset - start, 0)

    @property
    def continued(self) -> bool:
        return len(self.physical_lines) > 1


@attrs.frozen
class Problem:
    """A parse-level finding: (code, line, column, message); severity comes from codes.py."""

    code: str
    line: int
    column: int
    message: str


@attrs.frozen
class ParsedUnit:
    pieces: list[Piece]
    headers: list[Header]
    entries: list[Entry]
    comments: list[Piece]
    problems: list[Problem]


def _split_pieces(data: bytes) -> list[Piece]:
    """Cut ``data`` where systemd ends lines; keep the editor's line/column for each piece."""
    pieces: list[Piece] = []
    line = 1
    column = 1
    start = 0
    for match in _SYSTEMD_EOL.finditer(data):
        raw = data[start : match.start()]
        text = raw.decode("utf-8", "surrogateescape")
        pieces.append(Piece(line, column, text, raw, match.group()))
        if match.group() in (b"\n", b"\r\n"):
            line += 1
            column = 1
        else:
            column += len(text) + 1
        start = match.end()
    if start < len(data):
        raw = data[start:]
        pieces.append(Piece(line, column, raw.decode("utf-8", "surrogateescape"), raw, b""))
    return pieces


def _is_comment(text: str) -> bool:
    stripped = text.lstrip(_SYSTEMD_BLANKS)
    return stripped[:1] in ("#", ";")


def continues_line(text: str) -> bool:
    """An odd run of trailing backslashes continues the line (systemd's escape scan)."""
    return (len(text) - len(text.rstrip("\\"))) % 2 == 1


@attrs.frozen
class _Logical:
    """An assignment being assembled from continuation pieces."""

    parts: list[tuple[str, int, int]]  # (text, line, column) of each piece
    lines: list[int]
    comments: list[int] = attrs.Factory(list)

    @classmethod
    def starting(cls, first: Piece, text: str, column: int) -> _Logical:
        return cls([(text, first.line, column)], [first.line])

    def add(self, piece: Piece) -> None:
        self.parts.append((piece.text, piece.line, piece.column))
        self.lines.append(piece.line)


def parse_systemd(data: bytes, sections: frozenset[str] | None = None) -> ParsedUnit:
    """Read unit bytes the way systemd 252's config_parse + parse_line do.

    ``sections`` are the sections systemd reads for this unit type (None: any); in other
    sections systemd skips every line unchecked, so only their entries are recorded.
    """
    pieces = _split_pieces(data)
    unit = ParsedUnit(pieces, [], [], [], [])
    section: str | None = None
    section_line: int | None = None
    ignored_section = False
    pending: _Logical | None = None
    first_content = True

    for piece in pieces:
        text = piece.text
        column = piece.column
        if first_content and text.startswith(_BOM):
            # systemd skips a BOM once, at the start of the first non-comment line.
            text = text[1:]
            column += 1
        if _is_comment(text):
            unit.comments.append(piece)
            if pending is not None:
                pending.comments.append(piece.line)
            continue
        first_content = False
        if pending is not None:
            pending.add(piece)
        else:
            pending = _Logical.starting(piece, text, column)
        if continues_line(text) and piece.terminator:
            continue
        logical, pending = pending, None
        ended_by_blank = len(logical.parts) > 1 and not text.strip(_SYSTEMD_BLANKS)
        section, section_line, ignored_section = _parse_line(
            unit, logical, section, section_line, ignored_section, ended_by_blank, sections
        )
    if pending is not None:  # a continuation running into the end of the file: harmless
        _parse_line(unit, pending, section, section_line, ignored_section, False, sections)
    return unit


def _join(logical: _Logical) -> tuple[str, list[tuple[int, int, int]]]:
    """The text systemd parses: each continued piece with its last backslash made a space."""
    chunks = []
    anchors = []
    offset = 0
    for text, line, column in logical.parts:
        # Only the last piece can end in an odd run without continuing: at the end of the
        # file, where systemd has already turned the backslash into a space as well.
        if continues_line(text):
            text = text[:-1] + " "
        anchors.append((offset, line, column))
        chunks.append(text)
        offset += len(text)
    return "".join(chunks), anchors


def _parse_line(
    unit: ParsedUnit,
    logical: _Logical,
    section: str | None,
    section_line: int | None,
    ignored_section: bool,
    ended_by_blank: bool,
    sections: frozenset[str] | None,
) -> tuple[str | None, int | None, bool]:
    joined, anchors = _join(logical)
    lead = len(joined) - len(joined.lstrip(_SYSTEMD_BLANKS))
    stripped = joined.strip(_SYSTEMD_BLANKS)
    if not stripped:
        return section, section_line, ignored_section
    line, column = _locate(anchors, lead)
    if stripped.startswith("["):
        valid = stripped.endswith("]")
        name = stripped[1:-1] if valid else stripped[1:]
        read = valid and not name.startswith("X-") and (sections is None or name in sections)
        unit.headers.append(Header(name, line, column, stripped, valid, read))
        if not valid:
            unit.problems.append(
                Problem(
                    "L101",
                    line,
                    column,
                    f"invalid section header {stripped!r}: systemd refuses to load the unit (Bad message)",
                )
            )
            return None, line, True
        return name, line, not read
    if section is None:
        if not ignored_section:
            unit.problems.append(
                Problem("L103", line, column, "assignment outside of any section: systemd ignores this line")
            )
        return section, section_line, ignored_section
    equals = stripped.find("=")
    if equals <= 0 and ignored_section:
        return section, section_line, ignored_section  # systemd never looks at it
    if equals < 0:
        unit.problems.append(
            Problem("L104", line, column, "missing '=': systemd ignores this line and fleet refuses the unit")
        )
        return section, section_line, ignored_section
    if equals == 0:
        unit.problems.append(Problem("L104", line, column, "missing key name before '=': systemd ignores this line"))
        return section, section_line, ignored_section
    key = stripped[:equals].rstrip(_SYSTEMD_BLANKS)
    rest = stripped[equals + 1 :]
    value = rest.strip(_SYSTEMD_BLANKS)
    value_start = lead + equals + 1 + (len(rest) - len(rest.lstrip(_SYSTEMD_BLANKS)))
    value_anchors = _shift(anchors, value_start)
    value_line, value_column = _locate(anchors, value_start)
    unit.entries.append(
        Entry(
            section=section,
            section_line=section_line,
            read_by_systemd=not ignored_section,
            key=key,
            value=value,
            line=line,
            column=column,
            value_column=value_column if value_line == line else column + equals + 1,
            anchors=tuple(value_anchors),
            physical_lines=tuple(logical.lines),
            comment_lines=tuple(logical.comments),
            ended_by_blank=ended_by_blank,
        )
    )
    return section, section_line, ignored_section


def _locate(anchors: list[tuple[int, int, int]], offset: int) -> tuple[int, int]:
    index = bisect.bisect_right(anchors, (offset, 1 << 62, 0)) - 1
    start, line, column = anchors[max(index, 0)]
    return line, column + offset - start


def _shift(anchors: list[tuple[int, int, int]], start: int) -> list[tuple[int, int, int]]:
    """Anchors re-based so that offset 0 is the value's first character."""
    shifted = []
    for offset, line, column in anchors:
        if offset <= start:
            shifted = [(0, line, column + start - offset)]
        else:
            shifted.append((offset - start, line, column))
    return shifted
