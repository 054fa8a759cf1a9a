"""L5xx: credentials written into a unit file.

Unit files end up world-readable (``systemctl cat``, fleet's etcd, ``fleetctl cat``), so a
literal password there is leaked.  ``secret_problem`` is shared with the compiler.
"""

from __future__ import annotations

import re

from unitgen.lint.context import Context

# Names that announce a credential; the suffixes below announce something about one.
_SECRET_NAME = re.compile(
    r"passw(?:or)?d|(?:^|_)pass$|(?:^|_)pwd$|secret|token|credential|api_?key|private_?key|access_?key|_key$",
    re.IGNORECASE,
)
_NOT_THE_SECRET = re.compile(
    r"_(?:file|path|dir|ttl|length|len|timeout|name|id|user|username|host|port|url|type|size)$", re.IGNORECASE
)
# A value that only refers to a secret kept elsewhere: a variable, a command substitution
# (`etcdctl get ...`, $(...)), a specifier or a template placeholder.
_REFERENCE = re.compile(r"^(?:\$|`|%\w|\{\{|<[^>]*>$)")
_URL_CREDENTIALS = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://([^/\s:@\"']+):([^/\s@\"']+)@")
_AWS_KEY = re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
# NAME=value inside a value: Environment= words, `docker run -e NAME=value`, shell scripts.
_ASSIGNMENT = re.compile(r"(?<![\w$%{-])([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|'[^']*'|[^\s\"';&|)]*)")


def secret_problem(name: str | None, value: str) -> str | None:
    """Why ``value`` (assigned to variable ``name``, if any) looks like an inline credential."""
    found = _findings(name, value)
    return found[0][1] if found else None


def _findings(name: str | None, value: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    literal = value.strip("\"'")
    if name and literal and _SECRET_NAME.search(name) and not _NOT_THE_SECRET.search(name) and not _REFERENCE.match(literal):
        found.append(("L501", f"{name} is set to a literal value: a credential written into the unit file"))
    url = _URL_CREDENTIALS.search(value)
    if url and not _REFERENCE.match(url.group(2)):
        found.append(("L502", f"URL with a password for user '{url.group(1)}' written into the unit file"))
    if _AWS_KEY.search(value):
        found.append(("L503", "AWS access key ID written into the unit file"))
    if _PRIVATE_KEY.search(value):
        found.append(("L503", "private key written into the unit file"))
    return found


_HINT = "read it at run time instead: EnvironmentFile= with a root-only file, or a secret store (etcd, vault)"


def check(ctx: Context) -> None:
    for entry in ctx.parsed.entries:
        value = entry.value
        for match in _ASSIGNMENT.finditer(value):
            for code, message in _findings(match.group(1), match.group(2)):
                if code != "L501":
                    continue
                line, column = entry.position(match.start())
                ctx.report(code, line, column, message, _HINT)
        for code, message in _findings(None, value):
            line, column = entry.position(_first_offset(code, value))
            ctx.report(code, line, column, message, _HINT)


def _first_offset(code: str, value: str) -> int:
    for pattern in (_URL_CREDENTIALS, _AWS_KEY, _PRIVATE_KEY):
        match = pattern.search(value)
        if match and (code == "L502") == (pattern is _URL_CREDENTIALS):
            return match.start()
    return 0
