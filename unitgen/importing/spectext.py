"""systemd text → spec text: what a unit file writes, said the way a spec says it.

A spec string is literal; only ``{{ … }}`` asks for something else.  So a specifier
(``%i``) becomes ``{{ instance }}``, ``%%`` becomes ``%``, a variable systemd expands in
an Exec argument (``${NAME}``, or ``$NAME`` as a whole word) becomes ``{{ env.NAME }}``,
``$$`` becomes ``$``, and a literal ``{{`` is written ``{{ '{{' }}``.
"""

from __future__ import annotations

import re

from unitgen.spec.templating import SPECIFIERS

_NAME_OF_LETTER = {letter: name for name, letter in SPECIFIERS.items()}
_EXEC_TOKEN = re.compile(r"%.?|\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\{\{|[^%${]+|[${]", re.S)
_PLAIN_TOKEN = re.compile(r"%.?|\{\{|[^%{]+|\{", re.S)
_WHOLE_WORD_VARIABLE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


class NotSpecText(ValueError):
    """Text the spec format cannot say (a specifier it has no name for)."""


def _specifier(token: str) -> str:
    if token == "%%":
        return "%"
    name = _NAME_OF_LETTER.get(token[1:])
    if name is None:
        raise NotSpecText(f"specifier {token!r} has no spec equivalent")
    return "{{ " + name + " }}"


def exec_argument(word: str) -> str:
    """An argument of an Exec command (after systemd's unquoting), as spec text."""
    whole = _WHOLE_WORD_VARIABLE.fullmatch(word)
    if whole:
        return "{{ env." + whole.group(1) + " }}"
    return _converted(word, _EXEC_TOKEN)


def plain(value: str) -> str:
    """A setting systemd reads with specifiers but without variables (Description=, User=)."""
    return _converted(value, _PLAIN_TOKEN)


def _converted(text: str, tokens: re.Pattern[str]) -> str:
    out = []
    for match in tokens.finditer(text):
        token = match.group()
        if token.startswith("%"):
            out.append(_specifier(token))
        elif token == "$$":
            out.append("$")
        elif match.lastindex and match.group(1):
            out.append("{{ env." + match.group(1) + " }}")
        elif token == "{{":
            out.append("{{ '{{' }}")
        else:
            out.append(token)
    return "".join(out)
