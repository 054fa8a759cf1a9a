"""What an inline credential looks like: shared by the compiler (S601) and lint (L5xx).

Kept free of the lint package so that compiling does not import the unit-file linter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

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
URL_CREDENTIALS = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://([^/\s:@\"']+):([^/\s@\"']+)@")
AWS_KEY = re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")
PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
# NAME=value inside a value: Environment= words, `docker run -e NAME=value`, shell scripts.
ASSIGNMENT = re.compile(r"(?<![\w$%{-])([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|'[^']*'|[^\s\"';&|)]*)")


def secret_problem(name: str | None, value: str) -> str | None:
    """Why ``value`` (assigned to variable ``name``, if any) looks like an inline credential."""
    for _code, message in _scan(name, value):
        return message  # the compiler reports the first finding only
    return None


def findings(name: str | None, value: str) -> list[tuple[str, str]]:
    return list(_scan(name, value))


def _names_a_credential(name: str) -> bool:
    return _SECRET_NAME.search(name) is not None and _NOT_THE_SECRET.search(name) is None


def _scan(name: str | None, value: str) -> Iterator[tuple[str, str]]:
    if name and _names_a_credential(name):
        literal = value.strip("\"'")
        if literal and not _REFERENCE.match(literal):
            yield "L501", f"{name} is set to a literal value: a credential written into the unit file"
    # Each pattern below needs a fixed piece of text: a value without it is not searched.
    if "://" in value:
        url = URL_CREDENTIALS.search(value)
        if url and not _REFERENCE.match(url.group(2)):
            yield "L502", f"URL with a password for user '{url.group(1)}' written into the unit file"
    if ("AKIA" in value or "ASIA" in value) and AWS_KEY.search(value):
        yield "L503", "AWS access key ID written into the unit file"
    if "PRIVATE KEY-----" in value and PRIVATE_KEY.search(value):
        yield "L503", "private key written into the unit file"
