"""A small YAML emitter for Compose documents: block style, deterministic, every string
double-quoted.

Double-quoted scalars are read the same by YAML 1.1 (PyYAML, which docker-compose 1.29
uses) and YAML 1.2 (``docker compose``): ``yes``, ``null``, ``~`` or ``1e3`` stay strings,
and every character a reader could take for a line break, or refuses in a stream, is
written as an escape.  Values are only strings, integers, booleans, lists and mappings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from unitgen.systemd.quoting import comment_text

Node = str | int | bool | Sequence["Node"] | Mapping[str, "Node"]

_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\x00": "\\0",
    "\t": "\\t",
    "\n": "\\n",
    "\r": "\\r",
}


def _escaped(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    # C0 and C1 controls (NEL, U+0085, is a line break in YAML 1.1), the line and paragraph
    # separators (line breaks too), surrogates, the byte-order mark and the non-characters
    # that YAML's printable set leaves out.
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return f"\\x{code:02x}"
    if code in (0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF) or 0xD800 <= code <= 0xDFFF:
        return f"\\u{code:04x}"
    return char


def quoted(text: str) -> str:
    """``text`` as a double-quoted YAML scalar that reads back as exactly ``text``."""
    return '"' + "".join(_escaped(char) for char in text) + '"'


def _scalar(value: Node) -> str | None:
    """A value written on its key's line: a scalar, or an empty collection."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return quoted(value)
    if not value:
        return "{}" if isinstance(value, Mapping) else "[]"
    return None


def _lines(value: Node, indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            scalar = _scalar(item)
            if scalar is not None:
                lines.append(f"{pad}{quoted(key)}: {scalar}")
            else:
                lines.append(f"{pad}{quoted(key)}:")
                lines.extend(_lines(item, indent + 2))
        return lines
    assert not isinstance(value, (str, int, bool))
    for item in value:
        scalar = _scalar(item)
        if scalar is not None:
            lines.append(f"{pad}- {scalar}")
        else:
            nested = _lines(item, indent + 2)
            lines.append(f"{pad}- {nested[0].lstrip()}")
            lines.extend(nested[1:])
    return lines


def dump(document: Mapping[str, Node], comments: Sequence[str] = ()) -> str:
    """The document as YAML text, after one ``#`` comment line per item of ``comments``."""
    head = [f"# {comment_text(line)}".rstrip() for line in comments]
    return "\n".join([*head, *_lines(document, 0)]) + "\n"
