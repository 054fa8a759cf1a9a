"""The unit IR: a unit file as ordered sections of directives.

Values in the IR are already encoded systemd text (see ``quoting``), split into
*words*: the places between words are the only places where a long line may be broken
with a continuation, because systemd turns a backslash-newline into one space.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class Origin:
    """Where a directive came from: a key path in a spec, located only when reported."""

    # A plain class with slots, as Directive: a unit has a dozen or two of each, and an
    # attrs class takes twice as long to build one (every compile builds them all).
    __slots__ = ("origins", "path")

    def __init__(self, origins: Any, path: tuple[str | int, ...]) -> None:  # origins: source.Origins
        self.origins = origins
        self.path = path

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Origin) and self.path == other.path

    def __hash__(self) -> int:
        return hash(self.path)

    def __repr__(self) -> str:
        return f"Origin(path={self.path!r})"

    def where(self) -> dict[str, object]:
        """Keyword arguments (location, key_path) for a Diagnostic about this directive."""
        return self.origins.where(self.path)  # type: ignore[no-any-return]


class Directive:
    """One ``Key=value`` line; equal to another with the same key and words, wherever
    each came from.  Never changed once built."""

    __slots__ = ("key", "words", "origin")

    def __init__(self, key: str, words: tuple[str, ...], origin: Origin | None = None) -> None:
        self.key = key
        self.words = words
        self.origin = origin

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Directive) and self.key == other.key and self.words == other.words

    def __hash__(self) -> int:
        return hash((self.key, self.words))

    def __repr__(self) -> str:
        return f"Directive(key={self.key!r}, words={self.words!r}, origin={self.origin!r})"

    @property
    def value(self) -> str:
        return " ".join(self.words)


class Section(NamedTuple):
    name: str
    directives: tuple[Directive, ...]

    def values(self, key: str) -> list[str]:
        return [d.value for d in self.directives if d.key == key]


class Unit(NamedTuple):
    """One unit file.  ``source`` names the spec it was built from (relative path)."""

    name: str
    sections: tuple[Section, ...]
    source: str
    kind: str = "service"  # "service" or "sidekick": what produced it

    def section(self, name: str) -> Section | None:
        for section in self.sections:
            if section.name == name:
                return section
        return None

    def values(self, section: str, key: str) -> list[str]:
        found = self.section(section)
        return found.values(key) if found else []


_CHECKED_KEYS: set[str] = set()  # directive names already found valid


def _check_directive_name(key: str) -> None:
    if not key.isascii() or not key.isalnum():
        raise ValueError(f"not a directive name: {key!r}")  # defence in depth: converters check first
    if len(_CHECKED_KEYS) < 4096:
        _CHECKED_KEYS.add(key)


class UnitBuilder:
    """Collects directives section by section, keeping first-appearance order.

    Each section is emitted once (fleet merges duplicate sections, which would change
    its hash), and empty sections are dropped.
    """

    def __init__(self, section_order: tuple[str, ...] = ("Unit", "Service", "X-Fleet", "Install")) -> None:
        self._sections: dict[str, list[Directive]] = {name: [] for name in section_order}

    def add(self, section: str, key: str, words: tuple[str, ...] | list[str] | str, origin: Origin | None = None) -> None:
        if key not in _CHECKED_KEYS:
            _check_directive_name(key)
        if type(words) is not tuple:  # most callers pass a tuple, kept as it is
            words = (words,) if isinstance(words, str) else tuple(words)
        try:
            directives = self._sections[section]
        except KeyError:
            directives = self._sections[section] = []
        directives.append(Directive(key, words, origin))

    def extend(self, other: UnitBuilder) -> None:
        """Append everything ``other`` collected, section by section."""
        for section, directives in other._sections.items():
            self._sections.setdefault(section, []).extend(directives)

    def build(self, name: str, source: str, kind: str = "service") -> Unit:
        sections = tuple([Section(n, tuple(ds)) for n, ds in self._sections.items() if ds])
        return Unit(name=name, sections=sections, source=source, kind=kind)
