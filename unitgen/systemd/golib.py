"""The pieces of Go's standard library that decide how fleet v1.0.0 reads text.

fleet is written in Go, so where it splits a value or matches a glob it uses Go's rules, not
Python's: ``strings.Fields`` (blanks are ``unicode.IsSpace``) and ``path.Match``.
"""

from __future__ import annotations

import re

# unicode.IsSpace: what Go's strings.Fields and strings.TrimSpace treat as blank.
GO_SPACE_CHARS = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


_GO_FIELD = re.compile(f"[^{GO_SPACE_CHARS}]+")


def go_fields(text: str) -> list[str]:
    """Go's strings.Fields."""
    return _GO_FIELD.findall(text)


# ---- path.Match, byte for byte
# fleet matches Conflicts= and Replaces= globs with it.  fnmatch differs in ways that change
# fleet's answer: '*' never crosses '/', '\\' escapes, '[^...]' negates, and a malformed
# pattern is an error (which fleet treats as "no match").  This follows Go's
# scanChunk/matchChunk/getEsc on UTF-8 bytes.

_RUNE_ERROR = 0xFFFD


class BadPattern(ValueError):
    """Go's path.ErrBadPattern: "syntax error in pattern"."""


def _decode_rune(data: bytes) -> tuple[int, int]:
    """utf8.DecodeRune: (code point, width); (RuneError, 1) for an invalid byte, (RuneError, 0) at the end."""
    if not data:
        return _RUNE_ERROR, 0
    if data[0] < 0x80:
        return data[0], 1
    for width in (2, 3, 4):
        try:
            text = data[:width].decode("utf-8")
        except UnicodeDecodeError:
            continue
        if len(text) == 1:
            return ord(text), width
    return _RUNE_ERROR, 1


def _scan_chunk(pattern: bytes) -> tuple[bool, bytes, bytes]:
    star = False
    while pattern[:1] == b"*":
        pattern = pattern[1:]
        star = True
    in_range = False
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == 0x5C:  # backslash: skip the escaped byte
            if i + 1 < len(pattern):
                i += 1
        elif c == 0x5B:  # [
            in_range = True
        elif c == 0x5D:  # ]
            in_range = False
        elif c == 0x2A and not in_range:  # *
            break
        i += 1
    return star, pattern[:i], pattern[i:]


def _get_esc(chunk: bytes) -> tuple[int, bytes]:
    if not chunk or chunk[0] in (0x2D, 0x5D):  # '-' or ']'
        raise BadPattern
    if chunk[0] == 0x5C:
        chunk = chunk[1:]
        if not chunk:
            raise BadPattern
    rune, width = _decode_rune(chunk)
    if rune == _RUNE_ERROR and width == 1:
        raise BadPattern
    rest = chunk[width:]
    if not rest:
        raise BadPattern
    return rune, rest


def _match_chunk(chunk: bytes, s: bytes) -> tuple[bytes, bool]:
    """(rest of s, ok); raises BadPattern for a malformed chunk, like Go >= 1.16."""
    failed = False
    while chunk:
        if not failed and not s:
            failed = True
        c = chunk[0]
        if c == 0x5B:  # [
            rune = 0
            if not failed:
                rune, width = _decode_rune(s)
                s = s[width:]
            chunk = chunk[1:]
            negated = False
            if chunk[:1] == b"^":
                negated = True
                chunk = chunk[1:]
            matched = False
            ranges = 0
            while True:
                if chunk[:1] == b"]" and ranges > 0:
                    chunk = chunk[1:]
                    break
                low, chunk = _get_esc(chunk)
                high = low
                if chunk[0] == 0x2D:  # '-'
                    high, chunk = _get_esc(chunk[1:])
                if low <= rune <= high:
                    matched = True
                ranges += 1
            if matched == negated:
                failed = True
        elif c == 0x3F:  # ?
            if not failed:
                if s[0] == 0x2F:
                    failed = True
                _, width = _decode_rune(s)
                s = s[width:]
            chunk = chunk[1:]
        else:
            if c == 0x5C:
                chunk = chunk[1:]
                if not chunk:
                    raise BadPattern
            if not failed:
                if chunk[0] != s[0]:
                    failed = True
                s = s[1:]
            chunk = chunk[1:]
    if failed:
        return b"", False
    return s, True


def _check_rest(pattern: bytes) -> None:
    while pattern:
        _, chunk, pattern = _scan_chunk(pattern)
        _match_chunk(chunk, b"")


def path_match(pattern: str, name: str) -> bool:
    """Go path.Match(pattern, name); raises BadPattern where Go returns ErrBadPattern."""
    pat = pattern.encode("utf-8", "surrogateescape")
    rest = name.encode("utf-8", "surrogateescape")
    while pat:
        star, chunk, pat = _scan_chunk(pat)
        if star and not chunk:
            # A trailing '*' matches the rest unless it holds a '/'.
            return b"/" not in rest
        tail, ok = _match_chunk(chunk, rest)
        if ok and (not tail or pat):
            rest = tail
            continue
        if star:
            advanced = False
            i = 0
            while i < len(rest) and rest[i] != 0x2F:
                tail, ok = _match_chunk(chunk, rest[i + 1 :])
                if ok:
                    if not pat and tail:
                        i += 1
                        continue
                    rest = tail
                    advanced = True
                    break
                i += 1
            if advanced:
                continue
        _check_rest(pat)
        return False
    return not rest


def glob_matches(pattern: str, name: str) -> bool:
    """fleet's use of path.Match: a malformed pattern simply never matches."""
    try:
        return path_match(pattern, name)
    except BadPattern:
        return False


def pattern_problem(pattern: str) -> str | None:
    """Why Go rejects the glob, or None when it is well-formed."""
    if "[" not in pattern and "\\" not in pattern:
        return None  # only a '[...]' class or a '\\' escape can be malformed
    try:
        path_match(pattern, "")
    except BadPattern:
        return "syntax error in pattern"
    # path.Match stops early on a mismatch before checking the rest; matching against
    # the empty name checks only the first chunk, so scan every chunk explicitly.
    try:
        _check_rest(pattern.encode("utf-8", "surrogateescape"))
    except BadPattern:
        return "syntax error in pattern"
    return None
