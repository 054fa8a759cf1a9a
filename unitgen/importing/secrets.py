"""Credentials written inline in a unit are never copied into a spec (``secretscan`` says
what one looks like): the import writes a placeholder in their place and says so (I201),
an error unless the user allows placeholders (``session`` then reports it as a warning)."""

from __future__ import annotations

from unitgen import secretscan
from unitgen.diagnostics import Diagnostic, Location, Severity

PLACEHOLDER_BUCKET = "replace-me"
INLINE_PLACEHOLDER = "REPLACE-ME-secret-removed-by-unitgen-import"


class SecretGuard:
    def __init__(self, path: str) -> None:
        self.path = path
        self.findings: list[Diagnostic] = []

    def check(self, name: str | None, value: str, line: int) -> str | None:
        """Why ``value`` (of variable or directive ``name``) is a credential, reported; or None."""
        problem = secretscan.secret_problem(name, value)
        if problem is not None:
            what = f"{name}: " if name else ""
            self.findings.append(
                Diagnostic(
                    "I201",
                    Severity.ERROR,
                    f"{what}{problem}: not copied into the spec; a placeholder stands in its place",
                    Location(self.path, line),
                    hint="keep it in an env file fetched at start (container.secrets), then edit the placeholder",
                )
            )
        return problem

    @staticmethod
    def placeholder(unit: str, name: str) -> dict[str, str]:
        """The secret reference standing for ``-e NAME=<credential>``."""
        return {"bucket": PLACEHOLDER_BUCKET, "key": f"{unit}/{name}.env", "name": f"{name}.env"}

    @staticmethod
    def inline_placeholder(unit: str, index: int) -> str:
        return INLINE_PLACEHOLDER
