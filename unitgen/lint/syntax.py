"""L1xx: the line grammar, as systemd 252 reads it and as fleet's go-systemd parser reads it."""

from __future__ import annotations

import re

from unitgen.diagnostics import did_you_mean
from unitgen.lint.context import Context
from unitgen.systemd import directives
from unitgen.systemd.gounitfile import GO_SYSTEMD_LINE_MAX
from unitgen.systemd.unitfile import SYSTEMD_LINE_MAX, ParsedUnit, continues_line

_CONTROL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile("[\udc80-\udcff]")
_TRAILING_BACKSLASHES = re.compile(r"\\+$")
_LOOKS_LIKE_HEADER = re.compile(r"\s*\[[^\]]*\]\s*$")
_LOOKS_LIKE_ASSIGNMENT = re.compile(r"\s*([A-Za-z][A-Za-z0-9]*)=")
_ALL_KEYS = frozenset().union(*directives.KNOWN.values())


def check(ctx: Context) -> None:
    for problem in ctx.parsed.problems:
        ctx.report(problem.code, problem.line, problem.column, problem.message)
    _physical_lines(ctx)
    _sections(ctx)
    _utf8(ctx)
    _continuations(ctx)
    _go_systemd(ctx)


def _physical_lines(ctx: Context) -> None:
    comment_lines = {piece.line for piece in ctx.parsed.comments}
    line_bytes: dict[int, int] = {}
    for piece in ctx.parsed.pieces:
        # go-systemd counts bytes between LFs, so pieces cut at CR/NUL add up.
        line_bytes[piece.line] = (
            line_bytes.get(piece.line, 0)
            + len(piece.raw)
            + (len(piece.terminator) if piece.terminator in (b"\r", b"\0") else 0)
        )
        if piece.terminator in (b"\0", b"\r"):
            what = "NUL byte" if piece.terminator == b"\0" else "carriage return (CR) not followed by LF"
            ctx.report(
                "L108",
                piece.line,
                piece.column + len(piece.text),
                f"{what}: systemd ends the line here and reads the rest as a new line",
                "remove it, or write it as an escape (\\r, \\x00 is never allowed)",
            )
        if piece.line in comment_lines:
            continue
        control = _CONTROL.search(piece.text)
        if control:
            ctx.report(
                "L109",
                piece.line,
                piece.column + control.start(),
                f"control character U+{ord(control.group()):04X} in the line: invisible in editors and kept raw by systemd",
            )
    for line, size in line_bytes.items():
        if size >= SYSTEMD_LINE_MAX:
            ctx.report(
                "L106", line, 1, f"line is {size} bytes: systemd refuses to load a unit with a line of 1 MiB or more"
            )
        elif size >= GO_SYSTEMD_LINE_MAX:
            ctx.report(
                "L105",
                line,
                GO_SYSTEMD_LINE_MAX,
                f"line is {size} bytes: fleet's parser refuses lines of {GO_SYSTEMD_LINE_MAX} bytes or more "
                "('line too long (max 2048 bytes)')",
                "break it between words with '\\' + newline, or move long text into a script or an EnvironmentFile=",
            )


def _sections(ctx: Context) -> None:
    for header in ctx.parsed.headers:
        if not header.valid or header.read_by_systemd or header.name.startswith("X-"):
            continue
        known_elsewhere = header.name in directives.KNOWN
        why = f"not read in a .{ctx.suffix} unit" if known_elsewhere else "unknown to systemd 252"
        hint = None
        if header.name.lower() in ("x-fleet", "xfleet"):
            continue  # fleet_check explains this one
        if not known_elsewhere:
            hint = did_you_mean(header.name, directives.KNOWN)
        ctx.report(
            "L102",
            header.line,
            header.column,
            f"section [{header.name}] is {why}: systemd ignores every line in it ('Unknown section')",
            hint,
        )


def _utf8(ctx: Context) -> None:
    for entry in ctx.parsed.entries:
        if not entry.read_by_systemd:
            continue
        bad = _SURROGATE.search(entry.value)
        if bad is None and not _SURROGATE.search(entry.key):
            continue
        line, column = entry.position(bad.start()) if bad else (entry.line, entry.column)
        ctx.report(
            "L107",
            line,
            column,
            f"{entry.key}= is not valid UTF-8: systemd ignores the assignment ('String is not UTF-8 clean') and fails the unit",
        )


def _continuations(ctx: Context) -> None:
    pieces_by_line = {piece.line: piece for piece in ctx.parsed.pieces}
    for entry in ctx.parsed.entries:
        if not entry.continued:
            continue
        if entry.ended_by_blank:
            blank = entry.physical_lines[-1]
            ctx.report(
                "L112",
                blank,
                1,
                f"the continuation of {entry.key}= (line {entry.line}) ends at this blank line; "
                "the lines after it are read as new lines",
            )
        for line in entry.physical_lines[1:]:
            piece = pieces_by_line.get(line)
            if piece is None:
                continue
            key = _LOOKS_LIKE_ASSIGNMENT.match(piece.text)
            if _LOOKS_LIKE_HEADER.match(piece.text) or (key and key.group(1) in _ALL_KEYS):
                ctx.report(
                    "L113",
                    line,
                    1,
                    f"this line is part of {entry.key}= (line {entry.line}) because the line before ends in '\\'",
                    "remove the trailing backslash of the line before",
                )
                break


def _go_systemd(ctx: Context) -> None:
    """Where fleet's parser disagrees with systemd, or gives up."""
    parsed = ctx.parsed
    go = ctx.go
    # Where systemd's reading already refuses the line (L101, L104), that finding says it.
    if (
        go.error is not None
        and go.error_line is not None
        and not any(ctx.has(code, go.error_line) for code in ("L101", "L104"))
    ):
        ctx.report(
            "L110",
            go.error_line,
            1,
            f"fleet's parser fails here: '{go.error}', so fleetctl refuses the unit "
            "('Error creating units: failed getting Unit(...) from file')",
        )
    comment_lines = {piece.line: piece for piece in parsed.comments}
    swallowed = set(go.swallowed_lines)
    for piece in parsed.comments:
        next_line = piece.line + 1
        if next_line in swallowed and next_line not in comment_lines and _has_content(parsed, next_line):
            ctx.report(
                "L111",
                piece.line,
                1,
                f"this comment ends in '\\': fleet's parser also treats line {next_line} as comment, "
                "so fleet drops that line (systemd keeps it)",
                "end the comment with another character",
            )
    for entry in parsed.entries:
        for line in entry.comment_lines:
            ctx.report(
                "L111",
                line,
                1,
                f"comment inside the continuation of {entry.key}= (line {entry.line}): systemd skips it, "
                "but fleet's parser makes it part of the value and reads the following lines as new keys",
                "move the comment above the assignment",
            )
    for piece in parsed.pieces:
        if piece.line in comment_lines:
            continue
        run = _TRAILING_BACKSLASHES.search(piece.text)
        if run is None:
            continue
        even = len(run.group()) % 2 == 0
        if even:
            ctx.report(
                "L111",
                piece.line,
                piece.column + run.start(),
                "line ends in an even run of backslashes: systemd reads a literal '\\' and ends the line, "
                "fleet's parser continues it with the next line",
            )
        elif piece.terminator == b"\r\n" and continues_line(piece.text):
            ctx.report(
                "L111",
                piece.line,
                piece.column + run.start(),
                "continuation before a CRLF line end: systemd continues the line, fleet's parser does not "
                "(it sees '\\' + CR) and reads the next line as a new key",
                "use LF line ends",
            )


def _has_content(parsed: ParsedUnit, line: int) -> bool:
    return any(piece.line == line and piece.text.strip() for piece in parsed.pieces)
