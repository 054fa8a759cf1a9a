"""The unit IR: a unit file as ordered sections of directives.

Values in the IR are already encoded systemd text (see ``quoting``), split into
*words*: the places between words are the only places where a long line may be broken
with a continuation, because systemd turns a backslash-newline into one space.
"""

from __future__ import annotations

import attrs

from unitgen.diagnostics import Where
from unitgen.spec.source import KeyPath, Origins


@attrs.frozen
class Origin:
    """Where a directive came from: a key path in a spec, located only when reported."""

    origins: Origins = attrs.field(eq=False, repr=False)
    path: KeyPath

    def where(self) -> Where:
        """Keyword arguments (location, key_path) for a Diagnostic about this directive."""
        return self.origins.where(self.path)


@attrs.frozen
class Directive:
    """One ``Key=value`` line; equal to another with the same key and words, wherever
    each came from."""

    key: str
    words: tuple[str, ...]
    origin: Origin | None = attrs.field(default=None, eq=False)

    @property
    def value(self) -> str:
        return " ".join(self.words)


@attrs.frozen
class Section:
    name: str
    directives: tuple[Directive, ...]

    def values(self, key: str) -> list[str]:
        return [d.value for d in self.directives if d.key == key]


@attrs.frozen
class Unit:
    """One unit file.  ``source`` names the spec it was built from (relative path)."""

    name: str
    sections: tuple[Section, ...]
    source: str
    kind: str = "service"  # "service", "sidekick" or "deploy": what produced it

    def section(self, name: str) -> Section | None:
        for section in self.sections:
            if section.name == name:
                return section
        return None

    def values(self, section: str, key: str) -> list[str]:
        found = self.section(section)
        return found.values(key) if found else []


class UnitBuilder:
    """Collects directives section by section, keeping first-appearance order.

    Each section is emitted once (fleet merges duplicate sections, which would change
    its hash), and empty sections are dropped.
    """

    def __init__(self) -> None:
        self._sections: dict[str, list[Directive]] = {name: [] for name in ("Unit", "Service", "X-Fleet", "Install")}

    def add(
        self, section: str, key: str, words: tuple[str, ...] | list[str] | str, origin: Origin | None = None
    ) -> None:
        if not key.isascii() or not key.isalnum():
            raise ValueError(f"not a directive name: {key!r}")  # defence in depth: converters check first
        words = (words,) if isinstance(words, str) else tuple(words)
        self._sections.setdefault(section, []).append(Directive(key, words, origin))

    def extend(self, other: UnitBuilder) -> None:
        """Append everything ``other`` collected, section by section."""
        for section, directives in other._sections.items():
            self._sections.setdefault(section, []).extend(directives)

    def build(self, name: str, source: str, kind: str = "service") -> Unit:
        sections = tuple(Section(n, tuple(ds)) for n, ds in self._sections.items() if ds)
        return Unit(name=name, sections=sections, source=source, kind=kind)
