"""Every rule for turning values into systemd 252 unit-file text lives here.

A value is a sequence of *parts*: ``str`` parts are literal text (every ``%`` and ``$``
in them means itself), ``Raw`` parts are systemd tokens the spec asked for on purpose
(``%i``, ``${VERSION}``) and are copied verbatim.  Each encoder escapes the literal parts
for one kind of setting and refuses what that setting cannot express.

Strings may carry lone surrogates (``os.fsdecode`` of invalid UTF-8): they stand for raw
bytes and are written as ``\\xHH`` where systemd allows byte escapes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import attrs

# fleet replaces only %n %N %p %i in [X-Fleet], by plain string replacement; '%%' is not
# an escape there.
from unitgen.systemd.fleetrules import FLEET_SPECIFIERS
from unitgen.systemd.values import env_name_is_valid


class QuotingError(ValueError):
    """A value that the target setting cannot express; ``hint`` says what to do instead."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@attrs.frozen
class Raw:
    """A systemd token copied verbatim: a specifier (``%i``) or a variable (``${NAME}``)."""

    text: str
    # True for ``${NAME}``: expanded by systemd at exec time, meaningful only in Exec lines.
    is_variable: bool = False


Part = str | Raw
Value = str | Sequence[Part]


def parts_of(value: Value) -> tuple[Part, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def literal_text(value: Value) -> str | None:
    """The value as plain text when it has no Raw parts, else None."""
    if isinstance(value, str):
        return value
    pieces: list[str] = []
    for part in parts_of(value):
        if isinstance(part, Raw):
            return None
        pieces.append(part)
    return "".join(pieces)


# What settings read raw (Description=, paths, [X-Fleet]) cannot carry: no escapes there.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")

# An Exec argument made only of these is written bare (systemd-syntax.md §12.4).
_BARE_WORD = re.compile(r"[A-Za-z0-9\-_./:=,+@%$]+")

_C_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\n": "\\n",
    "\t": "\\t",
    "\r": "\\r",
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\v": "\\v",
}
# systemd 252 refuses a line that is not "UTF-8 clean" (utf8.c, unichar_is_valid): besides
# surrogates, the noncharacters U+FDD0..U+FDEF and U+xFFFE/U+xFFFF of every plane.
NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    chr(plane + 0xFFFE) + chr(plane + 0xFFFF) for plane in range(0, 0x110000, 0x10000)
)
# C1 controls and the Unicode line/paragraph separators are valid UTF-8 that systemd would
# copy as they are, but line-oriented tools (Python's str.splitlines among them) break
# lines there, so they are written as the \xHH escapes of their UTF-8 bytes, like the
# noncharacters, which systemd would refuse.
_NEEDS_C_ESCAPE = re.compile(f'[\\\\"\x00-\x1f\x7f-\x9f\u2028\u2029\udc80-\udcff{NONCHARACTERS}]')


def _byte_escapes(char: str) -> str:
    """``\\xHH`` for each byte the character stands for (a lone surrogate is one raw byte)."""
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    return "".join(f"\\x{byte:02x}" for byte in char.encode("utf-8"))


def _c_escape_char(match: re.Match[str]) -> str:
    char = match.group()
    return _C_ESCAPES.get(char) or _byte_escapes(char)


# The same escapes for ASCII text, the common case, as one table for str.translate: one
# pass in C instead of a Python call per escaped character (a script has thousands).
_ASCII_C_ESCAPES = {
    code: _C_ESCAPES.get(chr(code)) or _byte_escapes(chr(code)) for code in (*range(0x20), 0x7F, ord("\\"), ord('"'))
}


def _c_escape(text: str) -> str:
    if text.isascii():
        return text.translate(_ASCII_C_ESCAPES)
    return _NEEDS_C_ESCAPE.sub(_c_escape_char, text)


_UNSAFE_IN_COMMENT = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029\\\\\udc80-\udcff{NONCHARACTERS}]")


def _comment_char(match: re.Match[str]) -> str:
    char = match.group()
    # A comment ending in a backslash swallows the next line in fleet's parser.
    return "/" if char == "\\" else _byte_escapes(char)


def comment_text(text: str) -> str:
    """Text for a comment line: one line, valid UTF-8, never ending in a backslash."""
    return _UNSAFE_IN_COMMENT.sub(_comment_char, text)


def _reject_nul(text: str, what: str) -> None:
    if "\x00" in text:
        raise QuotingError(f"{what} contains a NUL character, which no unit file can carry")


_NOT_A_BYTE_SURROGATE = re.compile("[\ud800-\udc7f\udd00-\udfff]")
_NOT_UTF8_CLEAN = re.compile(f"[\ud800-\udfff{NONCHARACTERS}]")


def _reject_other_surrogates(text: str, what: str) -> None:
    found = _NOT_A_BYTE_SURROGATE.search(text)
    if found:
        raise QuotingError(f"{what} contains an unpaired surrogate U+{ord(found.group()):04X}")


def _not_utf8_clean(text: str) -> bool:
    """Whether ``text`` holds a surrogate or a noncharacter.  Those all lie outside ASCII,
    and ASCII text, the common case, needs no search through their many ranges."""
    return not text.isascii() and _NOT_UTF8_CLEAN.search(text) is not None


def _escape_literal(text: str, *, expand_dollar: bool, specifiers: bool = True) -> str:
    if specifiers:
        text = text.replace("%", "%%")
    if expand_dollar:
        text = text.replace("$", "$$")
    return text


# --- Exec lines -------------------------------------------------------------------------


def exec_word(value: Value, *, expand_env: bool = True) -> str:
    """One Exec argument, so that systemd hands exactly this string to the program."""
    pieces: list[str] = []
    for part in parts_of(value):
        if isinstance(part, Raw):
            pieces.append(part.text)
        else:
            if "\x00" in part or not part.isascii():  # else neither check can find anything
                _reject_nul(part, "a command argument")
                _reject_other_surrogates(part, "a command argument")
            pieces.append(_escape_literal(part, expand_dollar=expand_env))
    word = "".join(pieces)
    if word and _BARE_WORD.fullmatch(word):
        return word
    return '"' + _c_escape(word) + '"'


_UNSAFE_IN_EXECUTABLE = re.compile("[\x00-\x1f\x7f\"'\\\\\udc80-\udcff]")


def exec_executable(value: Value) -> str:
    """The executable path: absolute, without the characters systemd refuses there."""
    text = literal_text(value)
    if text is None:
        raise QuotingError(
            "the executable path cannot contain specifiers or variables", "write the absolute path literally"
        )
    if not text.startswith("/"):
        raise QuotingError(
            f"executable {text!r} is not an absolute path", "write the full path, e.g. '/usr/bin/docker'"
        )
    if text.endswith("/"):
        raise QuotingError(f"executable {text!r} ends in '/', which systemd reads as a directory")
    if _UNSAFE_IN_EXECUTABLE.search(text):
        raise QuotingError(
            f"executable {text!r} contains a quote, backslash or control character, which systemd refuses in a path"
        )
    if "$" in text:
        raise QuotingError(f"executable {text!r} contains '$', which systemd would expand in argv[0]")
    if len(text.encode()) > 4095:
        raise QuotingError("executable path is longer than PATH_MAX (4095 bytes)")
    return exec_word(text, expand_env=False)


def exec_command(
    executable: Value,
    args: Iterable[Value],
    *,
    ignore_failure: bool = False,
    expand_env: bool = True,
) -> tuple[str, ...]:
    """The words of one Exec*= value: prefixes glued to the executable, then the arguments.

    With ``expand_env`` every literal ``$`` is doubled so systemd passes it through;
    without it the ``:`` prefix turns expansion off and ``$`` is left alone.
    """
    prefix = ("-" if ignore_failure else "") + ("" if expand_env else ":")
    words = [prefix + exec_executable(executable)]
    words.extend(exec_word(arg, expand_env=expand_env) for arg in args)
    return tuple(words)


# --- Environment= -----------------------------------------------------------------------


def environment_assignment(name: str, value: Value) -> str:
    """One ``"NAME=value"`` word of an Environment= line (no ``$`` expansion happens there)."""
    if not env_name_is_valid(name):
        raise QuotingError(f"{name!r} is not a valid environment variable name ([A-Za-z_][A-Za-z0-9_]*)")
    pieces: list[str] = []
    for part in parts_of(value):
        if isinstance(part, Raw):
            if part.is_variable:
                raise QuotingError(
                    "Environment= does not expand variables",
                    "use the variable in the command instead, or a compile-time value",
                )
            pieces.append(part.text)
        else:
            _reject_nul(part, "an environment value")
            if _not_utf8_clean(part):
                raise QuotingError(
                    "an environment value must be valid UTF-8 without noncharacters (U+FFFE, U+FDD0…), "
                    "which systemd refuses"
                )
            pieces.append(_escape_literal(part, expand_dollar=False))
    return '"' + _c_escape(f"{name}={''.join(pieces)}") + '"'


# --- Values taken raw by systemd (no unquoting, no escapes) -----------------------------


def plain_value(value: Value, what: str, *, specifiers: bool = True) -> str:
    """Text for settings systemd reads raw (Description=, paths): only ``%`` is escaped.

    Control characters cannot be escaped there, so they are refused, and so is a trailing
    backslash, which would continue the line into the next directive.
    """
    pieces: list[str] = []
    for part in parts_of(value):
        if isinstance(part, Raw):
            if part.is_variable:
                raise QuotingError(f"{what} does not expand variables")
            pieces.append(part.text)
        else:
            _reject_nul(part, what)
            if _CONTROL.search(part):
                raise QuotingError(
                    f"{what} contains a control character or line break, which systemd cannot read here",
                    "remove it or replace it with a space",
                )
            if _not_utf8_clean(part):
                raise QuotingError(
                    f"{what} must be valid UTF-8 without noncharacters (U+FFFE, U+FDD0…), which systemd refuses"
                )
            pieces.append(_escape_literal(part, expand_dollar=False, specifiers=specifiers))
    text = "".join(pieces)
    if text != text.strip():
        raise QuotingError(f"{what} starts or ends with blanks, which systemd strips", "remove them")
    if text.endswith("\\"):
        raise QuotingError(
            f"{what} ends with a backslash, which systemd reads as a line continuation",
            "remove the trailing backslash",
        )
    return text


def description_words(value: Value) -> tuple[str, ...]:
    """Description= as words separated by single spaces, so long ones can be broken."""
    return tuple(plain_value(value, "Description").split(" "))


# --- [X-Fleet] values ---------------------------------------------------------------------


_FLEET_EXPANDED = re.compile("%[nNpi]")


def fleet_value(value: Value, what: str) -> str:
    """A value for one [X-Fleet] line: systemd ignores the section, fleet reads it raw."""
    pieces: list[str] = []
    for part in parts_of(value):
        if isinstance(part, Raw):
            if part.is_variable or part.text[1:] not in FLEET_SPECIFIERS:
                raise QuotingError(
                    f"fleet expands only %n, %N, %p and %i in [X-Fleet], not {part.text!r}",
                )
            pieces.append(part.text)
        else:
            _reject_nul(part, what)
            if _CONTROL.search(part):
                raise QuotingError(f"{what} contains a control character or line break")
            if _FLEET_EXPANDED.search(part):
                raise QuotingError(
                    f"{what} contains a literal '%' followed by n, N, p or i, which fleet would expand "
                    "(fleet has no escape for '%')",
                )
            if '"' in part:
                raise QuotingError(f"{what} contains '\"', which fleet strips when it splits values")
            pieces.append(part)
    text = "".join(pieces)
    if text != text.strip() or not text:
        raise QuotingError(f"{what} is empty or starts or ends with blanks, which fleet trims")
    if text.endswith("\\"):
        raise QuotingError(f"{what} ends with a backslash, which fleet reads as a line continuation")
    return text
