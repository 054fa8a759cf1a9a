"""fleet's reading of a unit file: the lexer fleet v1.0.0 vendors (go-systemd ``unit/deserialize.go``).

It is what fleetctl parses before submitting and what fleet later writes to the machine, so
the places where it disagrees with systemd's reading (``unitfile``) are where fleet units go
silently wrong.
"""

from __future__ import annotations

import bisect
import re

import attrs

from unitgen.systemd.golib import GO_SPACE_CHARS

GO_SYSTEMD_LINE_MAX = 2048  # go-systemd refuses a physical line of this many bytes
_GO_SECTION_OR_COMMENT = re.compile(r"[\[#;]")
_GO_NAME_END = re.compile(r"[=\r\n]")


@attrs.frozen
class GoOption:
    section: str
    name: str
    value: str
    line: int  # where the option name starts
    column: int


@attrs.frozen
class GoParse:
    options: tuple[GoOption, ...]
    error: str | None  # go-systemd's own error text; fleetctl then refuses the unit
    error_line: int | None
    swallowed_lines: tuple[int, ...]  # lines eaten by a comment that ends in '\'


def _go_trim(text: str) -> str:
    return text.strip(GO_SPACE_CHARS)


def parse_go_systemd(data: bytes) -> GoParse:
    """Replay go-systemd's lexer (fleet v1.0.0) on ``data``; positions are 1-based lines."""
    text = data.decode("utf-8", "surrogateescape")
    newlines = [m.start() for m in re.finditer("\n", text)]

    def line_of(pos: int) -> int:
        return bisect.bisect_left(newlines, pos) + 1

    options: list[GoOption] = []
    swallowed: list[int] = []
    end = len(text)

    def to_eol(pos: int) -> tuple[str, bool, int]:
        stop = text.find("\n", pos)
        if stop < 0:
            line = text[pos:]
            eof, pos = True, end
        else:
            line = text[pos : stop + 1]
            eof, pos = False, stop + 1
        line = line.removesuffix("\r").removesuffix("\n")
        return line, eof, pos

    def ignore_line(pos: int) -> int:
        first = True
        while True:
            start = pos
            line, _, pos = to_eol(pos)
            if not first and start < end:
                swallowed.append(line_of(start))
            first = False
            if not line.removesuffix(" ").endswith("\\") or pos >= end:
                return pos

    def fail(message: str, pos: int) -> GoParse:
        return GoParse(tuple(options), message, line_of(min(pos, max(end - 1, 0))), tuple(swallowed))

    pos = 0
    section: str | None = None
    while True:
        if section is None:
            match = _GO_SECTION_OR_COMMENT.search(text, pos)
            if match is None:
                break
            pos = match.end()
            if match.group() != "[":
                pos = ignore_line(pos)
                continue
        else:
            while pos < end and text[pos] in GO_SPACE_CHARS:
                pos += 1
            if pos >= end:
                break
            char = text[pos]
            if char in "#;":
                pos = ignore_line(pos + 1)
                continue
            if char != "[":
                name_start = pos
                stop = _GO_NAME_END.search(text, pos)
                if stop is None:
                    return fail("EOF", end)
                if stop.group() != "=":
                    return fail("unexpected newline encountered while parsing option name", name_start)
                name = _go_trim(text[pos : stop.start()])
                pos = stop.end()
                partial: list[str] = []
                while True:
                    line, eof, pos = to_eol(pos)
                    if not _go_trim(line):
                        break
                    partial.append(line)
                    if not line.endswith("\\"):
                        break
                    if not eof:
                        partial.append("\n")
                value = "".join(partial)
                value = _go_trim(value) + "\n" if value.endswith("\n") else _go_trim(value)
                line_number = line_of(name_start)
                line_start = newlines[line_number - 2] + 1 if line_number > 1 else 0
                options.append(GoOption(section, name, value, line_number, name_start - line_start + 1))
                continue
            pos += 1
        # A section name: everything up to the next ']', even across lines.
        close = text.find("]", pos)
        if close < 0:
            return fail("unable to find end of section", pos)
        header_line = pos
        section = text[pos:close]
        garbage, _, pos = to_eol(close + 1)
        if _go_trim(garbage):
            return fail(f"found garbage after section name : {_go_trim(garbage)!r}", header_line)
    return GoParse(tuple(options), None, None, tuple(swallowed))


def serialize_go_systemd(options: tuple[GoOption, ...]) -> str:
    """go-systemd's ``Serialize`` as fleet v1.0.0 vendors it: the text fleet stores for a unit.

    Options grouped by section in the order sections first appear, ``Name=value`` lines, a
    blank line between sections; comments and blank lines are gone, names and values trimmed.
    """
    by_section: dict[str, list[GoOption]] = {}
    for option in options:
        by_section.setdefault(option.section, []).append(option)
    return "\n".join(
        f"[{section}]\n" + "".join(f"{option.name}={option.value}\n" for option in grouped)
        for section, grouped in by_section.items()
    )


def fleet_text(data: bytes) -> str | None:
    """The text fleet holds (and ``fleetctl cat`` prints) for a unit file; None if fleetctl refuses it."""
    parsed = parse_go_systemd(data)
    return None if parsed.error is not None else serialize_go_systemd(parsed.options)
