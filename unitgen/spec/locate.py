"""Source positions in a TOML document: where each key, table header and array element starts.

``tomllib`` gives values but no positions, and diagnostics must say *where* a bad value is.
``locate`` re-scans the text (which tomllib has already accepted) in one forward pass and
records, for every key path, the 1-based line and column of its first character.

It is a scanner, not a validator: it trusts the document's shape.  It never raises; on text it
cannot follow (garbage, an unterminated string, absurd nesting) it stops and returns what it
found up to there, because a diagnostic with a position for most keys beats none at all.

It runs on every file a diagnostic is reported about, so it stays linear: tokens are skipped
by compiled regexes matched at an offset, never by a Python loop over characters, and a plain
``key = value`` line takes a single match.  Offsets become line and column only at the end,
from a table of line starts.
"""

from __future__ import annotations

import contextlib
import re
from bisect import bisect_right

import attrs

Path = tuple[str | int, ...]


@attrs.frozen
class Position:
    line: int  # 1-based
    column: int  # 1-based, in characters (not bytes)


def locate(text: str) -> dict[Path, Position]:
    """Positions of every key, array element and table header in ``text``, by key path.

    - a key: the position of its first character (the quote, for a quoted key);
    - an array element ``('x', 2)``: the position of the element's first character;
    - a table header ``[a.b]``: path ``('a', 'b')`` at the ``[``; the n-th ``[[a]]`` header
      gives ``('a', n)`` at its ``[``, and keys under it ``('a', n, 'key')``;
    - the tables that dotted keys (``a.b.c = 1``) and headers (``[a.b]``) create implicitly get
      the position of their own key part, first mention wins; an explicit ``[a]`` header is the
      table's definition, so it takes precedence over an earlier implicit mention.

    Inline tables and arrays are walked recursively.
    """
    scanner = _Scanner(text)
    with contextlib.suppress(_Unparseable, RecursionError):  # keep what was found before it
        scanner.document()
    return scanner.positions()


# Each pattern skips one whole token when matched at an offset (see ``_match``).
_BLANK = re.compile(r"[ \t\r\n]*(?:#[^\n]*[ \t\r\n]*)*")  # whitespace, newlines, comments
_SPACE = re.compile(r"[ \t]*")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_BASIC_STRING = re.compile(r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"')
_LITERAL_STRING = re.compile(r"'[^'\n]*'")
# Up to two quotes may sit just before the closing three: """a""""" is a, "", then """.
_MULTILINE_BASIC = re.compile(r'"""[^"\\]*(?:(?:\\[\s\S]|"(?!""))[^"\\]*)*"{3,5}')
_MULTILINE_LITERAL = re.compile(r"'''[^']*(?:'(?!'')[^']*)*'{3,5}")
# Numbers, booleans, dates and times contain none of these delimiters; a date-time may
# contain a space ("1979-05-27 07:32:00"), so whitespace cannot end the run.
_SCALAR = re.compile(r"[^,\]}#\r\n]+")

# Fast paths for the common case, each doing in one match what would otherwise take several.
# Whatever they do not match goes the token-by-token way, so they need only be right about
# what they do match: a one-part key, and a string without escapes or a number-like value.
_PLAIN_KEY = r"""(?P<key>[A-Za-z0-9_-]+|"[^"\\\n]*"|'[^'\n]*')[ \t]*=[ \t]*"""
_PLAIN_VALUE = r"""(?P<value>"[^"\\\n]*"|'[^'\n]*'|[-+0-9A-Za-z_.:]+)"""
_PLAIN_KEY_EQUALS = re.compile(_PLAIN_KEY)
# Blank lines, then maybe `key = `, then maybe a plain value and a comment ending the line.
_PLAIN_LINE = re.compile(rf"{_BLANK.pattern}(?:{_PLAIN_KEY}(?:{_PLAIN_VALUE}[ \t]*(?:#[^\n]*)?(?=\r?\n|\Z))?)?")
# An array element and the separator after it.
_PLAIN_ELEMENT = re.compile(rf"{_PLAIN_VALUE}{_BLANK.pattern}(?P<separator>[,\]])")

# Every prefix of a path is recorded as its own tuple, so a key of n parts costs n*n/2: past
# this depth (far beyond any real spec) the text is treated as garbage, to bound the memory.
_MAX_DEPTH = 100

_NEWLINE = re.compile(r"\n")
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.DOTALL)
_SHORT_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}


class _Unparseable(Exception):
    """The text stops looking like TOML here."""


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.offsets: dict[Path, int] = {}
        # How many [[x]] headers each array of tables has had so far: later headers that go
        # through x ([x.y], [[x.y]]) belong to its newest element.
        self.array_table_lengths: dict[Path, int] = {}

    def positions(self) -> dict[Path, Position]:
        line_starts = [0]
        line_starts.extend(match.end() for match in _NEWLINE.finditer(self.text))
        positions: dict[Path, Position] = {}
        for path, offset in self.offsets.items():
            line = bisect_right(line_starts, offset)
            positions[path] = Position(line, offset - line_starts[line - 1] + 1)
        return positions

    def mention(self, path: Path, offset: int) -> None:
        """Record a path at its first mention only."""
        self.offsets.setdefault(path, offset)

    def document(self) -> None:
        text = self.text
        table: Path = ()
        i = 0
        while True:
            line = _match(_PLAIN_LINE, text, i)
            i = line.end()
            key, value = line.group("key", "value")
            if key is not None:
                path = (*table, _plain_key_name(key))
                self.mention(path, line.start("key"))
                if value is None:  # not a plain value: skip it token by token
                    i = self.value(path, i)
            elif i >= len(text):
                return
            elif text.startswith("[[", i):
                table, i = self.array_table_header(i)
            elif text.startswith("[", i):
                table, i = self.table_header(i)
            else:
                i = self.key_value(table, i)

    def table_header(self, start: int) -> tuple[Path, int]:
        parts, i = self.key(start + 1)
        i = self.expect("]", i)
        name, _ = parts[-1]
        path = self.header_prefix(parts[:-1]) + (name,)
        self.offsets[path] = start  # the table's definition beats an earlier implicit mention
        return path, i

    def array_table_header(self, start: int) -> tuple[Path, int]:
        parts, i = self.key(start + 2)
        i = self.expect("]]", i)
        name, name_offset = parts[-1]
        array = self.header_prefix(parts[:-1]) + (name,)
        self.mention(array, name_offset)
        index = self.array_table_lengths.get(array, 0)
        self.array_table_lengths[array] = index + 1
        path = array + (index,)
        self.offsets[path] = start
        return path, i

    def header_prefix(self, parts: list[tuple[str, int]]) -> Path:
        """The table named by a header's leading parts, entering the newest element of any
        array of tables on the way."""
        path: Path = ()
        for name, offset in parts:
            path += (name,)
            self.mention(path, offset)
            length = self.array_table_lengths.get(path)
            if length:
                path += (length - 1,)
        return path

    def key_value(self, table: Path, i: int) -> int:
        plain = _PLAIN_KEY_EQUALS.match(self.text, i)
        if plain:
            path = table + (_plain_key_name(plain.group("key")),)
            self.mention(path, i)
            return self.value(path, plain.end())
        parts, i = self.key(i)
        path = table
        for name, offset in parts:
            path += (name,)
            self.mention(path, offset)
        i = self.expect("=", i)
        return self.value(path, _match(_SPACE, self.text, i).end())

    def key(self, i: int) -> tuple[list[tuple[str, int]], int]:
        """A (dotted) key as (name, offset) parts, and the offset just after it."""
        text = self.text
        parts = []
        while True:
            i = _match(_SPACE, text, i).end()
            first = text[i : i + 1]
            if first == '"':
                match = _match(_BASIC_STRING, text, i)
            elif first == "'":
                match = _match(_LITERAL_STRING, text, i)
            else:
                match = _match(_BARE_KEY, text, i)
            name = match.group()
            if first == '"':
                name = _unescape(name[1:-1])
            elif first == "'":
                name = name[1:-1]
            parts.append((name, i))
            if len(parts) > _MAX_DEPTH:
                raise _Unparseable
            end = match.end()
            i = _match(_SPACE, text, end).end()
            if not text.startswith(".", i):
                return parts, end
            i += 1

    def value(self, path: Path, i: int) -> int:
        """Skip the value starting at ``i``, recording what is inside it; return its end."""
        text = self.text
        first = text[i : i + 1]
        if len(path) > _MAX_DEPTH:
            raise _Unparseable
        if first == "[":
            return self.array(path, i)
        if first == "{":
            return self.inline_table(path, i)
        if first == '"':
            pattern = _MULTILINE_BASIC if text.startswith('"""', i) else _BASIC_STRING
        elif first == "'":
            pattern = _MULTILINE_LITERAL if text.startswith("'''", i) else _LITERAL_STRING
        else:
            pattern = _SCALAR
        return _match(pattern, text, i).end()

    def array(self, path: Path, i: int) -> int:
        text = self.text
        i += 1
        index = 0
        while True:
            i = _match(_BLANK, text, i).end()
            if text.startswith("]", i):
                return i + 1
            if i == len(text):
                raise _Unparseable  # no element here, only the end of an unclosed array
            element = path + (index,)
            self.mention(element, i)
            plain = _PLAIN_ELEMENT.match(text, i)
            if plain:
                i = plain.end()
                if plain.group("separator") == "]":
                    return i
            else:
                i = self.value(element, i)
                i = _match(_BLANK, text, i).end()
                if not text.startswith(",", i):
                    return self.expect("]", i)
                i += 1
            index += 1

    def inline_table(self, path: Path, i: int) -> int:
        # Lenient about newlines and a trailing comma (TOML 1.1 allows them; 1.0 text is
        # unaffected), so one loop serves both.
        text = self.text
        i += 1
        while True:
            i = _match(_BLANK, text, i).end()
            if text.startswith("}", i):
                return i + 1
            i = self.key_value(path, i)
            i = _match(_BLANK, text, i).end()
            if not text.startswith(",", i):
                return self.expect("}", i)
            i += 1

    def expect(self, token: str, i: int) -> int:
        """The offset after ``token``, which must come next after optional spaces."""
        i = _match(_SPACE, self.text, i).end()
        if not self.text.startswith(token, i):
            raise _Unparseable
        return i + len(token)


def _match(pattern: re.Pattern[str], text: str, i: int) -> re.Match[str]:
    """The token ``pattern`` matches at offset ``i`` (patterns that can match the empty
    string always do); raises _Unparseable when there is none."""
    match = pattern.match(text, i)
    if match is None:
        raise _Unparseable
    return match


def _plain_key_name(key: str) -> str:
    return key[1:-1] if key[0] in "\"'" else key


def _unescape(body: str) -> str:
    """The text of a basic-string key, so that ``"a\\u0062"`` is found as key ``ab``."""
    if "\\" not in body:
        return body
    return _ESCAPE.sub(_unescape_one, body)


def _unescape_one(match: re.Match[str]) -> str:
    hex_digits = match.group(1) or match.group(2)
    if hex_digits:
        code = int(hex_digits, 16)
        return chr(code) if code <= 0x10FFFF else match.group()
    return _SHORT_ESCAPES.get(match.group(3), match.group())
