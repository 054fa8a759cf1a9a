"""unitgen.spec.locate: the line and column of every key, table header and array element.

The first tests walk through the TOML 1.0 constructs that matter to positions, one at a time,
asserting exact (line, column) pairs; every document there is also checked to be valid TOML
and to have exactly the key paths that tomllib sees.  The property tests at the end generate
documents in many styles and feed locate garbage, which it must survive.
"""

from __future__ import annotations

import random
import re
import textwrap
import tomllib
from collections.abc import Iterator
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from unitgen.spec.locate import Path, Position, locate


def key_paths(value: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every dict key and list index in a tomllib result, as paths."""
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, child in items:
        yield prefix + (key,)
        yield from key_paths(child, prefix + (key,))


def positions(document: str) -> dict[Path, tuple[int, int]]:
    """locate() as (line, column) pairs, for a document that must be valid TOML and whose
    key paths must all be located, and nothing else."""
    document = textwrap.dedent(document)
    located = locate(document)
    assert set(located) == set(key_paths(tomllib.loads(document)))
    return {path: (position.line, position.column) for path, position in located.items()}


# --- keys and comments -------------------------------------------------------------------


def test_a_key_is_at_its_first_character() -> None:
    assert positions(
        """\
        name = "web"
          indented = 1
        bare-key_2 = true
        1234 = 5
        """
    ) == {("name",): (1, 1), ("indented",): (2, 3), ("bare-key_2",): (3, 1), ("1234",): (4, 1)}


def test_comments_run_to_the_end_of_the_line_even_after_values() -> None:
    assert positions(
        """\
        # a comment with "a quote, [a.table] and key = 1
        a = 1 # after a value, with = and "
        b = "# not a comment" # but this is
          # an indented comment
        c = [2]#no space
        """
    ) == {("a",): (2, 1), ("b",): (3, 1), ("c",): (5, 1), ("c", 0): (5, 6)}


def test_a_basic_string_ends_at_the_first_unescaped_quote() -> None:
    assert positions(
        r"""
        a = "a \" b, ] } # not the end"
        b = ["\\", "\"", "tab\there"]
        """
    ) == {
        ("a",): (2, 1),
        ("b",): (3, 1),
        ("b", 0): (3, 6),
        ("b", 1): (3, 12),
        ("b", 2): (3, 18),
    }


def test_a_literal_string_has_no_escapes() -> None:
    assert positions(
        r"""
        path = 'C:\'
        dirs = ['C:\', '\\server\']
        """
    ) == {
        ("path",): (2, 1),
        ("dirs",): (3, 1),
        ("dirs", 0): (3, 9),
        ("dirs", 1): (3, 16),
    }


def test_a_multiline_basic_string_spans_lines_and_may_end_in_up_to_five_quotes() -> None:
    assert positions(
        r'''
        a = """
        key = "not a key" \""" still inside
        ends with two quotes"""""
        b = """one quote""""
        c = ["""x \
            continued""", """""""]
        d = 1
        '''
    ) == {
        ("a",): (2, 1),
        ("b",): (5, 1),
        ("c",): (6, 1),
        ("c", 0): (6, 6),
        ("c", 1): (7, 19),
        ("d",): (8, 1),
    }


def test_a_multiline_literal_string_spans_lines() -> None:
    assert positions(
        """
        regex = '''I [dw]on't need \\d{2} apples'''
        lines = '''
        not_a_key = 1
        [not.a.table]
        '''
        quoted = '''it's ''''
        after = 1
        """
    ) == {
        ("regex",): (2, 1),
        ("lines",): (3, 1),
        ("quoted",): (7, 1),
        ("after",): (8, 1),
    }


def test_a_quoted_key_is_one_key_whatever_it_contains() -> None:
    assert positions(
        r"""
        "a.b" = 1
        'x y' = 2
        "" = 3
        "ʎǝʞ" = 4
        "a\u0062\"" = 5
        """
    ) == {
        ("a.b",): (2, 1),
        ("x y",): (3, 1),
        ("",): (4, 1),
        ("ʎǝʞ",): (5, 1),
        ('ab"',): (6, 1),
    }


def test_dotted_keys_give_each_part_a_position_and_allow_whitespace_around_dots() -> None:
    assert positions(
        """
        a . b = 1
        site."google.com" = true
        x.'c' .d = 2
        """
    ) == {
        ("a",): (2, 1),
        ("a", "b"): (2, 5),
        ("site",): (3, 1),
        ("site", "google.com"): (3, 6),
        ("x",): (4, 1),
        ("x", "c"): (4, 3),
        ("x", "c", "d"): (4, 8),
    }


def test_a_table_made_by_dotted_keys_is_where_it_is_first_mentioned() -> None:
    assert positions(
        """
        fruit.apple.color = "red"
        fruit.apple.taste = "sweet"
        fruit.orange = 2
        """
    ) == {
        ("fruit",): (2, 1),
        ("fruit", "apple"): (2, 7),
        ("fruit", "apple", "color"): (2, 13),
        ("fruit", "apple", "taste"): (3, 13),
        ("fruit", "orange"): (4, 7),
    }


# --- tables --------------------------------------------------------------------------------


def test_a_table_header_is_at_its_bracket_and_its_keys_are_inside_it() -> None:
    assert positions(
        """
        top = 0
        [table]
        key = 1
        [ "a.b" . c ]  # a comment
        x = 2
        [dog."tater.man"]
        type.name = "pug"
        """
    ) == {
        ("top",): (2, 1),
        ("table",): (3, 1),
        ("table", "key"): (4, 1),
        ("a.b",): (5, 3),
        ("a.b", "c"): (5, 1),
        ("a.b", "c", "x"): (6, 1),
        ("dog",): (7, 2),
        ("dog", "tater.man"): (7, 1),
        ("dog", "tater.man", "type"): (8, 1),
        ("dog", "tater.man", "type", "name"): (8, 6),
    }


def test_a_table_header_beats_an_earlier_implicit_mention() -> None:
    assert positions(
        """
        [x.y.z]
        a = 1
        [x]
        b = 2
        """
    ) == {
        ("x",): (4, 1),
        ("x", "y"): (2, 4),
        ("x", "y", "z"): (2, 1),
        ("x", "y", "z", "a"): (3, 1),
        ("x", "b"): (5, 1),
    }


def test_array_of_tables_headers_number_their_elements() -> None:
    assert positions(
        """
        [[products]]
        name = "Hammer"

        [[products]]  # empty table

        [[ products ]]
        name = "Nail"
        """
    ) == {
        ("products",): (2, 3),
        ("products", 0): (2, 1),
        ("products", 0, "name"): (3, 1),
        ("products", 1): (5, 1),
        ("products", 2): (7, 1),
        ("products", 2, "name"): (8, 1),
    }


def test_headers_under_an_array_of_tables_belong_to_its_newest_element() -> None:
    assert positions(
        """
        [[fruits]]
        name = "apple"
        [fruits.physical]
        color = "red"
        [[fruits.varieties]]
        name = "red delicious"
        [[fruits.varieties]]
        name = "granny smith"
        [[fruits]]
        name = "banana"
        [[fruits.varieties]]
        name = "plantain"
        """
    ) == {
        ("fruits",): (2, 3),
        ("fruits", 0): (2, 1),
        ("fruits", 0, "name"): (3, 1),
        ("fruits", 0, "physical"): (4, 1),
        ("fruits", 0, "physical", "color"): (5, 1),
        ("fruits", 0, "varieties"): (6, 10),
        ("fruits", 0, "varieties", 0): (6, 1),
        ("fruits", 0, "varieties", 0, "name"): (7, 1),
        ("fruits", 0, "varieties", 1): (8, 1),
        ("fruits", 0, "varieties", 1, "name"): (9, 1),
        ("fruits", 1): (10, 1),
        ("fruits", 1, "name"): (11, 1),
        ("fruits", 1, "varieties"): (12, 10),
        ("fruits", 1, "varieties", 0): (12, 1),
        ("fruits", 1, "varieties", 0, "name"): (13, 1),
    }


# --- arrays and inline tables --------------------------------------------------------------


def test_arrays_may_span_lines_with_comments_and_a_trailing_comma() -> None:
    assert positions(
        """
        after = [
          "network.target",  # why, [ and ]
          # a comment line, "
          "docker.service"
          ,
        ]
        empty = [ ]
        mixed = [ 1, 2.5 , "three", ]
        """
    ) == {
        ("after",): (2, 1),
        ("after", 0): (3, 3),
        ("after", 1): (5, 3),
        ("empty",): (8, 1),
        ("mixed",): (9, 1),
        ("mixed", 0): (9, 11),
        ("mixed", 1): (9, 14),
        ("mixed", 2): (9, 20),
    }


def test_inline_tables_are_walked_like_tables() -> None:
    assert positions(
        """
        env = { A = "x", "B.C" = 'y', d . e = 1 }
        nested = {inner={deep=[1, { k = true }]}}
        empty = {}
        """
    ) == {
        ("env",): (2, 1),
        ("env", "A"): (2, 9),
        ("env", "B.C"): (2, 18),
        ("env", "d"): (2, 31),
        ("env", "d", "e"): (2, 35),
        ("nested",): (3, 1),
        ("nested", "inner"): (3, 11),
        ("nested", "inner", "deep"): (3, 18),
        ("nested", "inner", "deep", 0): (3, 24),
        ("nested", "inner", "deep", 1): (3, 27),
        ("nested", "inner", "deep", 1, "k"): (3, 29),
        ("empty",): (4, 1),
    }


def test_nested_arrays_index_each_level() -> None:
    assert positions("x = [[1,2],[3], []]\n") == {
        ("x",): (1, 1),
        ("x", 0): (1, 6),
        ("x", 0, 0): (1, 7),
        ("x", 0, 1): (1, 9),
        ("x", 1): (1, 12),
        ("x", 1, 0): (1, 13),
        ("x", 2): (1, 17),
    }


# --- values, line endings, columns ---------------------------------------------------------


def test_numbers_dates_and_booleans_are_skipped_whole() -> None:
    assert positions(
        """
        int = +99
        hex = 0xDEAD_BEEF
        flt = -6.626e-34
        inf = -inf
        nan = nan
        odt = 1979-05-27 07:32:00Z
        odt2 = 1979-05-27T00:32:00.999999-07:00
        ld = 1979-05-27  # a comment
        lt = 00:32:00.999999
        bool = false
        dates = [1979-05-27 07:32:00, 1979-05-27, true]
        """
    ) == {
        ("int",): (2, 1),
        ("hex",): (3, 1),
        ("flt",): (4, 1),
        ("inf",): (5, 1),
        ("nan",): (6, 1),
        ("odt",): (7, 1),
        ("odt2",): (8, 1),
        ("ld",): (9, 1),
        ("lt",): (10, 1),
        ("bool",): (11, 1),
        ("dates",): (12, 1),
        ("dates", 0): (12, 10),
        ("dates", 1): (12, 31),
        ("dates", 2): (12, 43),
    }


def test_crlf_line_endings_do_not_shift_columns() -> None:
    document = 'a = 1\r\n[t]\r\nb = [\r\n  "x", # c\r\n]\r\nc = """\r\nz\r\n"""\r\nd = 2\r\n'
    assert positions(document) == {
        ("a",): (1, 1),
        ("t",): (2, 1),
        ("t", "b"): (3, 1),
        ("t", "b", 0): (4, 3),
        ("t", "c"): (6, 1),
        ("t", "d"): (9, 1),
    }


def test_columns_count_characters_not_bytes() -> None:
    assert positions('"ключ" = ["значение", "🎉", 3]\n') == {
        ("ключ",): (1, 1),
        ("ключ", 0): (1, 11),
        ("ключ", 1): (1, 23),
        ("ключ", 2): (1, 28),
    }


def test_a_position_is_an_attrs_value() -> None:
    assert locate("a = 1\n") == {("a",): Position(line=1, column=1)}


# --- text that is not TOML -------------------------------------------------------------------


def test_garbage_keeps_what_was_found_before_it() -> None:
    located = locate('a = 1\nb = "unterminated\nc = 3\n')
    assert located == {("a",): Position(1, 1), ("b",): Position(2, 1)}


def test_absurd_nesting_stops_at_a_depth_of_100() -> None:
    assert len(locate("x = " + "[" * 100_000)) == 101
    assert len(locate("x = " + "{a=" * 100_000)) == 101
    assert len(locate("a" + ".a" * 100_000 + " = 1")) == 0  # (each prefix is its own tuple)
    assert len(locate("[a" + ".a" * 100_000 + "]")) == 0


# --- properties ------------------------------------------------------------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SHORT_ESCAPES = {"\b": r"\b", "\t": r"\t", "\n": r"\n", "\f": r"\f", "\r": r"\r"}
_COMMENTS = ["#", "# plain", "# [x] = \"y\" 'z' {", '# """', "#\tключ ✓"]


class Raw(str):
    """A scalar written as is."""


_RAW_SCALARS = [
    "3.14",
    "-0.0",
    "1e10",
    "+inf",
    "nan",
    "0xff",
    "0o17",
    "0b101",
    "1_000",
    "1979-05-27",
    "07:32:00",
    "1979-05-27T07:32:00Z",
    "1979-05-27 07:32:00.5+01:00",
]
_keys = st.text(alphabet="ab_-Z09", min_size=1, max_size=4) | st.text(max_size=4)  # bare, any
_scalars = st.integers() | st.booleans() | st.sampled_from(_RAW_SCALARS).map(Raw) | st.text(max_size=8)
_values = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_keys, children, max_size=4),
    max_leaves=10,
)
_tables = st.dictionaries(_keys, _values, max_size=5)


class TomlWriter:
    """Serialize a dict as TOML in randomly chosen styles, remembering where each path starts.

    Styles: [tables] and [[arrays of tables]] (with or without an implicit parent), dotted keys,
    inline tables, one-line and multi-line arrays with comments, four kinds of strings, bare and
    quoted keys, comments and blank lines, LF or CRLF."""

    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd
        self.newline = rnd.choice(["\n", "\r\n"])
        self.chunks: list[str] = []
        self.length = 0
        self.offsets: dict[Path, int] = {}  # where locate() should find each path

    def document(self, table: dict[str, Any]) -> tuple[str, dict[Path, int]]:
        self.table_body((), table)
        return "".join(self.chunks), self.offsets

    def write(self, text: str) -> None:
        self.chunks.append(text)
        self.length += len(text)

    def chance(self, probability: float) -> bool:
        return self.rnd.random() < probability

    def spaces(self) -> None:
        self.write(self.rnd.choice(["", " ", "  ", "\t"]))

    def end_line(self) -> None:
        self.spaces()
        if self.chance(0.3):
            self.write(self.rnd.choice(_COMMENTS))
        self.write(self.newline)
        while self.chance(0.2):
            self.spaces()
            self.write(self.rnd.choice(["", *_COMMENTS]) + self.newline)

    # tables

    def table_body(self, path: Path, table: dict[str, Any], header: str = "") -> None:
        """A table's `key = value` lines, then its sub-tables as sections.  ``header`` is "" for
        the root, "[" for a table (whose header may be left out, making it implicit, when it
        has no `key = value` lines but has sub-tables) and "[[" for an array element."""
        pairs, sections = self.split(table)
        if header == "[[" or (header == "[" and (pairs or not sections or self.chance(0.5))):
            self.header(path, header)
        for key, value in pairs:
            for dotted, leaf in self.spread([key], value):
                self.spaces()
                self.key(path, dotted)
                self.spaces()
                self.write("=")
                self.spaces()
                self.value(path + tuple(dotted), leaf)
                self.end_line()
        for key, value in sections:
            if isinstance(value, dict):
                self.table_body(path + (key,), value, "[")
            else:
                for index, element in enumerate(value):
                    self.table_body(path + (key, index), element, "[[")

    def split(self, table: dict[str, Any]) -> tuple[list[Any], list[Any]]:
        """Which entries are written as `key = value` and which as [sections] after them."""
        pairs, sections = [], []
        for key, value in table.items():
            if (isinstance(value, dict) or is_array_of_tables(value)) and self.chance(0.6):
                sections.append((key, value))
            else:
                pairs.append((key, value))
        return pairs, sections

    def spread(self, key: list[str], value: Any) -> Iterator[tuple[list[str], Any]]:
        """A table's entries as dotted keys (`a.b = 1`, `a.c = 2`), or the value whole."""
        if isinstance(value, dict) and value and self.chance(0.3):
            for child_key, child in value.items():
                yield from self.spread(key + [child_key], child)
        else:
            yield key, value

    def header(self, path: Path, opening: str) -> None:
        closing = opening.replace("[", "]")
        self.spaces()
        start = self.length
        self.write(opening)
        names = [i for i, part in enumerate(path) if isinstance(part, str)]
        for i in names:
            self.spaces()
            if i == names[-1] and opening == "[":
                self.offsets[path] = start  # a table's header is its definition
            else:
                self.offsets.setdefault(path[: i + 1], self.length)
            self.write(self.quoted_key(path[i]))
            self.spaces()
            if i != names[-1]:
                self.write(".")
        self.write(closing)
        if opening == "[[":
            self.offsets[path] = start
        self.end_line()

    def key(self, table: Path, dotted: list[str]) -> None:
        for n, name in enumerate(dotted):
            if n:
                self.spaces()
                self.write(".")
                self.spaces()
            self.offsets.setdefault(table + tuple(dotted[: n + 1]), self.length)
            self.write(self.quoted_key(name))

    def quoted_key(self, name: str) -> str:
        if _BARE_KEY.fullmatch(name) and self.chance(0.7):
            return name
        if self.literal_ok(name) and self.chance(0.5):
            return f"'{name}'"
        return f'"{self.escape(name)}"'

    # values

    def value(self, path: Path, value: Any) -> None:
        if isinstance(value, dict):
            self.inline_table(path, value)
        elif isinstance(value, list):
            self.array(path, value)
        elif isinstance(value, Raw):
            self.write(value)
        elif isinstance(value, bool):
            self.write("true" if value else "false")
        elif isinstance(value, int):
            self.write(str(value))
        else:
            self.write(self.string(value))

    def inline_table(self, path: Path, table: dict[str, Any]) -> None:
        self.write("{")
        entries = [entry for key, value in table.items() for entry in self.spread([key], value)]
        for n, (dotted, value) in enumerate(entries):
            self.write(", " if n else "")
            self.spaces()
            self.key(path, dotted)
            self.spaces()
            self.write("=")
            self.spaces()
            self.value(path + tuple(dotted), value)
        self.spaces()
        self.write("}")

    def array(self, path: Path, array: list[Any]) -> None:
        multiline = self.chance(0.4)
        self.write("[")
        for index, element in enumerate(array):
            if multiline:
                self.write(self.newline)
                if self.chance(0.3):
                    self.write(self.rnd.choice(_COMMENTS) + self.newline)
            self.spaces()
            self.offsets.setdefault(path + (index,), self.length)
            self.value(path + (index,), element)
            self.spaces()
            if index < len(array) - 1 or self.chance(0.3):
                self.write(",")
                if multiline and self.chance(0.3):
                    self.write(" " + self.rnd.choice(_COMMENTS))
        if multiline:
            self.write(self.newline)
        self.write("]")

    def string(self, text: str) -> str:
        styles = ["basic", "multiline basic"]
        if self.literal_ok(text):
            styles.append("literal")
        if not re.search(r"'''|[\x00-\x08\x0b-\x1f\x7f]", text):
            styles.append("multiline literal")
        style = self.rnd.choice(styles)
        if style == "literal":
            return f"'{text}'"
        if style == "multiline literal":
            return f"'''{text}'''"
        if style == "basic":
            return f'"{self.escape(text)}"'
        body = self.escape(text, multiline=True)
        return '"""' + (self.newline if self.chance(0.3) else "") + body + '"""'

    def escape(self, text: str, multiline: bool = False) -> str:
        out = []
        raw_quotes = 0
        for char in text:
            if char == '"':
                # Raw quotes are fine in a multi-line basic string, but never three in a row:
                # an escaped one breaks the run (making \""" too), and two may end the text.
                if multiline and raw_quotes < 2 and self.chance(0.7):
                    out.append('"')
                    raw_quotes += 1
                else:
                    out.append('\\"')
                    raw_quotes = 0
                continue
            raw_quotes = 0
            if multiline and self.chance(0.1):
                out.append("\\" + self.newline + "  ")  # a line-ending backslash
            if char == "\\":
                out.append("\\\\")
            elif char == "\n" and multiline:
                out.append(self.newline)
            elif char in _SHORT_ESCAPES:
                out.append(_SHORT_ESCAPES[char])
            elif ord(char) < 0x20 or char == "\x7f" or self.chance(0.05):
                code = ord(char)
                out.append(f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
            else:
                out.append(char)
        return "".join(out)

    @staticmethod
    def literal_ok(text: str) -> bool:
        return not re.search(r"['\x00-\x08\x0a-\x1f\x7f]", text)


def is_array_of_tables(value: Any) -> bool:
    return isinstance(value, list) and len(value) > 0 and all(isinstance(v, dict) for v in value)


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, dict[Path, int]]:
    table = draw(_tables)
    # A seeded Random for the styles: drawing each choice from hypothesis is far slower.
    return TomlWriter(random.Random(draw(st.integers(0, 2**32)))).document(table)


def offset_of(text: str, position: Position) -> int:
    """The offset in ``text`` of a position, which must be that of a character of the text."""
    lines = text.split("\n")  # TOML lines end at \n only (CRLF ends in \n too)
    assert 1 <= position.line <= len(lines)
    assert 1 <= position.column <= len(lines[position.line - 1])
    return sum(len(line) + 1 for line in lines[: position.line - 1]) + position.column - 1


@settings(max_examples=100, deadline=None)
@given(documents())
def test_every_path_tomllib_sees_is_located_at_its_text(document: tuple[str, Any]) -> None:
    # The writer noted the offset where it wrote each key (bare or quoted), header and element.
    text, expected_offsets = document
    located = locate(text)
    assert set(located) == set(key_paths(tomllib.loads(text))) == set(expected_offsets)
    for path, position in located.items():
        assert offset_of(text, position) == expected_offsets[path], path


@settings(max_examples=200, deadline=None)
@given(st.text() | st.text(alphabet="\"'[]{}=.,#\\\n\r\t -_1ab"))
def test_never_raises_on_any_text(text: str) -> None:
    # and every position it does return is that of a character of the text
    for position in locate(text).values():
        offset_of(text, position)


@settings(max_examples=50, deadline=None)
@given(documents(), st.data())
def test_never_raises_on_mutated_documents(document: tuple[str, Any], data: st.DataObject) -> None:
    text, _ = document
    for _ in range(data.draw(st.integers(1, 3))):
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, min(len(text), start + 5)))
        inserted = data.draw(st.text(alphabet="\"'[]{}=.,#\\\n \tx", max_size=3))
        text = text[:start] + inserted + text[end:]
    for position in locate(text).values():
        offset_of(text, position)
