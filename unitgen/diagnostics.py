"""Diagnostics: every problem unitgen reports, with where it is and how to fix it.

Stages never stop at the first problem: they append to a ``Diagnostics`` list and go on,
so that one run reports everything.  Formatting follows the compiler convention that
ruff and mypy users know: ``path:line:col: CODE severity message``.

Every code is one of ``unitgen.codes``; a diagnostic with any other code cannot be made.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TypedDict, Unpack

import attrs

from unitgen.codes import CODES, Severity

__all__ = [
    "Diagnostic",
    "Diagnostics",
    "Location",
    "Severity",
    "Where",
    "across_environments",
    "did_you_mean",
    "one_of",
]


@attrs.frozen
class Location:
    """A place in an input file; line and column are 1-based, None when unknown."""

    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(str(self.line))
            parts.append(str(self.column or 1))
        return ":".join(parts)


class Where(TypedDict, total=False):
    """Where a problem is, as keyword arguments for ``Diagnostic`` and ``Diagnostics``."""

    location: Location | None
    key_path: str | None


def _registered(instance: object, attribute: object, code: str) -> None:
    # Codes come from unitgen's own source, never from its input: an unknown one is a bug
    # in unitgen, caught by any test that reaches it.
    if code not in CODES:
        raise ValueError(f"diagnostic code {code!r} is not in unitgen/codes.py")


@attrs.frozen
class Diagnostic:
    code: str = attrs.field(validator=_registered)
    severity: Severity
    message: str
    location: Location | None = None
    key_path: str | None = None
    hint: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def format(self) -> str:
        where = f"{self.location}: " if self.location else ""
        key = f"{self.key_path}: " if self.key_path else ""
        text = f"{where}{self.code} {self.severity.value} {key}{self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text

    def to_json(self) -> dict[str, object]:
        loc = self.location
        return {
            "file": loc.file if loc else None,
            "line": loc.line if loc else None,
            "column": loc.column if loc else None,
            "code": self.code,
            "severity": self.severity.value,
            "key": self.key_path,
            "message": self.message,
            "hint": self.hint,
        }

    def sort_key(self) -> tuple[str, int, int, str, str, str, str, str]:
        """Place first, then everything else, so that the order never depends on the
        order problems were found in."""
        loc = self.location
        return (
            loc.file if loc else "",
            (loc.line or 0) if loc else 0,
            (loc.column or 0) if loc else 0,
            self.code,
            self.message,
            self.severity.value,
            self.key_path or "",
            self.hint or "",
        )


class Diagnostics:
    """An append-only collection that the pipeline stages share.

    Each distinct diagnostic is kept once (a value used in several directives must not
    repeat its problem), so what is counted is what is shown."""

    def __init__(self) -> None:
        self._items: dict[Diagnostic, None] = {}

    def add(self, diagnostic: Diagnostic) -> None:
        self._items[diagnostic] = None

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        self._items.update(dict.fromkeys(diagnostics))

    def error(self, code: str, message: str, *, hint: str | None = None, **where: Unpack[Where]) -> None:
        self.add(Diagnostic(code, Severity.ERROR, message, hint=hint, **where))

    def warning(self, code: str, message: str, *, hint: str | None = None, **where: Unpack[Where]) -> None:
        self.add(Diagnostic(code, Severity.WARNING, message, hint=hint, **where))

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self._items)

    def sorted(self) -> list[Diagnostic]:
        """Sorted by place, so that the order never depends on the order of the checks."""
        return sorted(self._items, key=Diagnostic.sort_key)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


def across_environments(found: Mapping[str | None, Iterable[Diagnostic]]) -> list[Diagnostic]:
    """The diagnostics of several environments, each problem once.  A problem that holds in
    only some of them names those, e.g. ``(in prod, stage)``; one that holds in all of them
    is the spec's, whatever the environment, and names none."""
    where: dict[Diagnostic, list[str]] = {}
    for env, diagnostics in found.items():
        for diagnostic in diagnostics:
            environments = where.setdefault(diagnostic, [])
            if env is not None:
                environments.append(env)
    every = [env for env in found if env is not None]
    return [
        diagnostic
        if environments == every
        else attrs.evolve(diagnostic, message=f"{diagnostic.message} (in {', '.join(environments)})")
        for diagnostic, environments in where.items()
    ]


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A hint naming the closest candidate(s), or None when nothing is close."""
    pool = sorted(set(candidates))
    import difflib  # only when something is misspelled

    matches = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    if not matches:
        lowered = {c.lower(): c for c in pool}
        if word.lower() in lowered:
            matches = [lowered[word.lower()]]
    if matches:
        return f"did you mean '{matches[0]}'?"
    return None


def one_of(values: Iterable[str]) -> str:
    return "allowed values: " + ", ".join(f"'{v}'" for v in values)
