"""L5xx: credentials written into a unit file.

Unit files end up world-readable (``systemctl cat``, fleet's etcd, ``fleetctl cat``), so a
literal password there is leaked.  What looks like a credential is decided in
``unitgen.secretscan``, shared with the compiler.
"""

from __future__ import annotations

from unitgen.lint.context import Context
from unitgen.secretscan import ASSIGNMENT, AWS_KEY, PRIVATE_KEY, URL_CREDENTIALS, findings

_HINT = "read it at run time instead: EnvironmentFile= with a root-only file, or a secret store (etcd, vault)"


def check(ctx: Context) -> None:
    for entry in ctx.parsed.entries:
        value = entry.value
        for match in ASSIGNMENT.finditer(value):
            for code, message in findings(match.group(1), match.group(2)):
                if code != "L501":
                    continue
                line, column = entry.position(match.start())
                ctx.report(code, line, column, message, _HINT)
        for code, message in findings(None, value):
            line, column = entry.position(_first_offset(code, value))
            ctx.report(code, line, column, message, _HINT)


def _first_offset(code: str, value: str) -> int:
    for pattern in (URL_CREDENTIALS, AWS_KEY, PRIVATE_KEY):
        match = pattern.search(value)
        if match and (code == "L502") == (pattern is URL_CREDENTIALS):
            return match.start()
    return 0
