"""systemd's extract_first_word(UNQUOTE | CUNESCAPE), applied to a whole value.

Exec lines and Environment= split their value into words this way: quotes group (even in
the middle of a word) and vanish, C escapes work inside and outside quotes.  Each word
keeps its raw span so that findings can point into the original line.
"""

from __future__ import annotations

import re

import attrs

_SEPARATORS = " \t\n\r"
# One token at a time: an escape (with its longest valid form first), a quote, a run of
# separators, or a run of ordinary characters.  Tokens, not characters, drive the loop.
_TOKEN = re.compile(
    r"""\\(?:x[0-9a-fA-F]{2}|[0-7]{3}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[\s\S])?|["']|[ \t\n\r]+|[^"'\\ \t\n\r]+"""
)
_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    '"': '"',
    "'": "'",
    "s": " ",
}


@attrs.frozen
class Word:
    text: str  # after unquoting and unescaping
    start: int  # raw span in the value
    end: int
    quoted: bool  # some part of it was inside quotes

    def raw(self, value: str) -> str:
        return value[self.start : self.end]


@attrs.frozen
class Split:
    words: tuple[Word, ...]
    unknown_escapes: tuple[int, ...]  # offsets of backslashes systemd keeps verbatim
    unbalanced_at: int | None  # offset of the quote (or trailing backslash) never closed


def _unescape(token: str) -> str | None:
    """cunescape_one for the text after a backslash; None when systemd does not know it."""
    if not token:
        return None
    kind = token[0]
    if len(token) == 1:
        return _SIMPLE_ESCAPES.get(kind)
    if kind == "x" or kind in "01234567":
        code = int(token[1:], 16) if kind == "x" else int(token, 8)
        if code == 0 or code > 255:
            return None  # NUL is refused; octal above \377 does not fit a byte
        # A raw byte: decoded the way the file was, so invalid UTF-8 stays visible.
        return bytes([code]).decode("utf-8", "surrogateescape")
    code = int(token[1:], 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def split_words(value: str) -> Split:
    """Split ``value`` into words as systemd 252 does (with the relaxed retry for escapes)."""
    words: list[Word] = []
    unknown: list[int] = []
    chunks: list[str] = []
    quote: str | None = None
    quote_at = 0
    start: int | None = None
    quoted = False
    for match in _TOKEN.finditer(value):
        token = match.group()
        first = token[0]
        if quote is None and first in _SEPARATORS:
            if start is not None:
                words.append(Word("".join(chunks), start, match.start(), quoted))
                chunks, start, quoted = [], None, False
            continue
        if start is None:
            start = match.start()
        if first == "\\":
            if len(token) == 1:  # a backslash at the very end of the value
                if quote is not None:
                    return Split(tuple(words), tuple(unknown), quote_at)
                unknown.append(match.start())
                chunks.append("\\")
                continue
            decoded = _unescape(token[1:])
            if decoded is None:
                # Relaxed mode keeps the backslash and the one character after it.
                unknown.append(match.start())
                chunks.append(token[:2])
                chunks.append(token[2:])
            else:
                chunks.append(decoded)
        elif first in "\"'":
            quoted = True
            if quote is None:
                quote, quote_at = first, match.start()
            elif quote == first:
                quote = None
            else:
                chunks.append(first)
        else:
            chunks.append(token)
    if quote is not None:
        return Split(tuple(words), tuple(unknown), quote_at)
    if start is not None:
        words.append(Word("".join(chunks), start, len(value), quoted))
    return Split(tuple(words), tuple(unknown), None)
