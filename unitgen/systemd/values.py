"""systemd 252's scalar value grammars: booleans, time spans, environment names, specifiers.

Each function mirrors the named systemd parser closely enough that "valid here" means
"systemd 252 accepts it": a compiler can trust it and a linter can quote it.
"""

from __future__ import annotations

import re

# src/basic/parse-util.c parse_boolean (case-insensitive).
_TRUE = frozenset({"1", "yes", "y", "true", "t", "on"})
_FALSE = frozenset({"0", "no", "n", "false", "f", "off"})


def parse_boolean(text: str) -> bool | None:
    """systemd's parse_boolean(); None when systemd would reject the value."""
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


# src/basic/time-util.c (252).
USEC_INFINITY = 2**64 - 1
_USEC_PER_SEC = 1_000_000
# extract_multiplier() tries these in this order with startswith(): the order decides
# that "5ms" is milliseconds and "1Min" is one month followed by garbage.
_MULTIPLIERS: tuple[tuple[str, int], ...] = (
    ("seconds", _USEC_PER_SEC),
    ("second", _USEC_PER_SEC),
    ("sec", _USEC_PER_SEC),
    ("s", _USEC_PER_SEC),
    ("minutes", 60 * _USEC_PER_SEC),
    ("minute", 60 * _USEC_PER_SEC),
    ("min", 60 * _USEC_PER_SEC),
    ("months", 2_629_800 * _USEC_PER_SEC),
    ("month", 2_629_800 * _USEC_PER_SEC),
    ("M", 2_629_800 * _USEC_PER_SEC),
    ("msec", 1000),
    ("ms", 1000),
    ("m", 60 * _USEC_PER_SEC),
    ("hours", 3600 * _USEC_PER_SEC),
    ("hour", 3600 * _USEC_PER_SEC),
    ("hr", 3600 * _USEC_PER_SEC),
    ("h", 3600 * _USEC_PER_SEC),
    ("days", 86400 * _USEC_PER_SEC),
    ("day", 86400 * _USEC_PER_SEC),
    ("d", 86400 * _USEC_PER_SEC),
    ("weeks", 7 * 86400 * _USEC_PER_SEC),
    ("week", 7 * 86400 * _USEC_PER_SEC),
    ("w", 7 * 86400 * _USEC_PER_SEC),
    ("years", 31_557_600 * _USEC_PER_SEC),
    ("year", 31_557_600 * _USEC_PER_SEC),
    ("y", 31_557_600 * _USEC_PER_SEC),
    ("usec", 1),
    ("us", 1),
    ("\u00b5s", 1),
    ("\u03bcs", 1),
)
_WHITESPACE = " \t\n\r"
# strtoll(…, 10) after parse_time skipped blanks: optional '+', then digits.
_STRTOLL = re.compile(r"[ \t\n\r\f\v]*\+?([0-9]*)")
_DIGITS = re.compile(r"[0-9]*")
_LLONG_MAX = 2**63 - 1


def _multiplier(text: str, pos: int) -> tuple[int, int] | None:
    for suffix, usec in _MULTIPLIERS:
        if text.startswith(suffix, pos):
            return usec, pos + len(suffix)
    return None


def timespan_problem(text: str) -> str | None:
    """Why systemd 252's parse_sec() rejects ``text``, or None if it accepts it."""
    return parse_sec(text)[0]


def parse_sec(text: str) -> tuple[str | None, int]:
    """systemd 252's parse_sec(): (why it is refused, None) and the span in microseconds
    (USEC_INFINITY for "infinity")."""
    pos = len(text) - len(text.lstrip(_WHITESPACE))
    if text.startswith("infinity", pos):
        if text[pos + len("infinity") :].strip(_WHITESPACE):
            return "'infinity' must stand alone", 0
        return None, USEC_INFINITY

    usec = 0
    something = False
    while True:
        while pos < len(text) and text[pos] in _WHITESPACE:
            pos += 1
        if pos == len(text):
            if not something:
                return "empty time span", 0
            return None, usec
        if text[pos] == "-":
            return "negative time span", 0
        number = _STRTOLL.match(text, pos)
        assert number is not None  # the pattern can match the empty string
        digits = number.group(1)
        end = number.end() if digits else pos
        if digits and int(digits) > _LLONG_MAX:
            return f"number {digits} is out of range", 0
        whole = int(digits) if digits else 0
        fraction = ""
        if end < len(text) and text[end] == ".":
            digits_after = _DIGITS.match(text, end + 1)
            assert digits_after is not None  # the pattern can match the empty string
            fraction = digits_after.group()
            after_number = end + 1 + len(fraction)
        elif not digits:
            return f"expected a number at {text[pos : pos + 10]!r}", 0
        else:
            after_number = end
        unit_at = after_number
        while unit_at < len(text) and text[unit_at] in _WHITESPACE:
            unit_at += 1
        found = _multiplier(text, unit_at)
        if found is None:
            multiplier = _USEC_PER_SEC
            if unit_at == after_number and unit_at < len(text):
                return (
                    f"unknown time unit at {text[unit_at : unit_at + 10]!r} (units are case-sensitive: us ms s min h d w M y)",
                    0,
                )
            pos = unit_at
        else:
            multiplier, pos = found
        if whole >= USEC_INFINITY // multiplier:
            return "time span is too large", 0
        part = whole * multiplier
        if part >= USEC_INFINITY - usec:
            return "time span is too large", 0
        usec += part
        something = True
        if end < len(text) and text[end] == ".":
            if not fraction:
                return "a '.' must be followed by digits", 0
            scale = multiplier // 10
            for digit in fraction:
                part = int(digit) * scale
                if part >= USEC_INFINITY - usec:
                    return "time span is too large", 0
                usec += part
                scale //= 10


# src/basic/env-util.c env_name_is_valid_n: ARG_MAX-2 is far beyond any real name.
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ENV_NAME_MAX = 2 * 1024 * 1024 - 2


def env_name_is_valid(name: str) -> bool:
    return len(name) <= _ENV_NAME_MAX and _ENV_NAME.fullmatch(name) is not None


# src/core/unit-printf.c, src/shared/install-printf.c, src/shared/specifier.h (252).
_SYSTEM_SPECIFIERS = frozenset("aAbBHlqmMovwW")
_CREDS_SPECIFIERS = frozenset("gGuU")
SPECIFIERS_UNIT_NAME: frozenset[str] = frozenset("ijnNp") | _SYSTEM_SPECIFIERS | _CREDS_SPECIFIERS
SPECIFIERS_FULL: frozenset[str] = SPECIFIERS_UNIT_NAME | frozenset("IJPfyYcrRCdELStshTV")
SPECIFIERS_INSTALL: frozenset[str] = SPECIFIERS_UNIT_NAME
# specifier_printf() treats '%' + any of these outside the table as an error (-EBADSLT).
_POSSIBLE_SPECIFIER = re.compile(r"%([%A-Za-z0-9])")


def specifier_positions(text: str, allowed: frozenset[str] | set[str]) -> list[tuple[int, str]]:
    """(offset in text, letter) of each ``%x`` that systemd's specifier_printf() refuses ("Invalid slot").

    ``%%`` is a literal percent; ``%`` before any other character, or at the end, is
    copied literally, so only ASCII letters and digits can fail.
    """
    return [
        (m.start(), m.group(1))
        for m in _POSSIBLE_SPECIFIER.finditer(text)
        if m.group(1) != "%" and m.group(1) not in allowed
    ]
