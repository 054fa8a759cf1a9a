"""A spec's strings as systemd text: rendered (``templating``), then encoded for the kind
of setting they go to (``quoting``), every problem reported at the key that wrote it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

import attrs

from unitgen.compile.ir import Origin
from unitgen.diagnostics import Diagnostics
from unitgen.spec import templating
from unitgen.spec.model import Project, ServiceSpec
from unitgen.spec.source import KeyPath
from unitgen.spec.templating import TemplateError
from unitgen.systemd import quoting
from unitgen.systemd.quoting import Part, QuotingError

T = TypeVar("T")


class SpecRenderer:
    """Renders one spec's strings into encoded words, reporting problems at their keys.

    ``used_runtime`` collects the runtime values the rendered strings asked for.
    """

    def __init__(
        self, spec: ServiceSpec, project: Project, variables: Mapping[str, str], diagnostics: Diagnostics
    ) -> None:
        self.spec = spec
        self.project = project
        self.variables = variables
        self.diagnostics = diagnostics
        self.used_runtime: set[str] = set()

    def origin(self, path: KeyPath) -> Origin:
        return Origin(self.spec.origins, path)

    def report(self, error: QuotingError | TemplateError, path: KeyPath, code: str = "S401") -> None:
        self.diagnostics.error(code, error.message, hint=error.hint, **self.spec.origins.where(path))

    def parts(self, text: str, path: KeyPath) -> tuple[Part, ...] | None:
        """The parts ``text`` stands for; None when reported."""
        try:
            return templating.render(text, self.variables, self.project.runtime, self.used_runtime)
        except TemplateError as error:
            self.report(error, path, "S402")
            return None

    def encode(self, text: str, path: KeyPath, encoder: Callable[[tuple[Part, ...]], T]) -> T | None:
        """``text`` rendered and encoded; None when reported."""
        parts = self.parts(text, path)
        if parts is None:
            return None
        try:
            return encoder(parts)
        except QuotingError as error:
            self.report(error, path)
            return None

    def plain_words(self, text: str, path: KeyPath, what: str) -> tuple[str, ...] | None:
        """A setting systemd reads raw, as the words of its value; None when reported."""
        return self.encode(text, path, lambda parts: tuple(quoting.plain_value(parts, what).split(" ")))


@attrs.frozen
class SpecText:
    """An Exec argument written in the spec: rendered as a template, reported at ``path``."""

    text: str
    path: KeyPath
    literal_prefix: str = ""  # unitgen's own text in front of it, e.g. "NAME=" for -e


# An Exec argument: written in the spec, or supplied by unitgen as literal text and Raw
# tokens (never a template).
Arg = SpecText | quoting.Value


def exec_line(
    renderer: SpecRenderer,
    executable: quoting.Value,
    args: Iterable[Arg],
    *,
    ignore_failure: bool = False,
    program_path: KeyPath = ("paths",),
) -> tuple[str, ...] | None:
    """The words of an Exec value; None (problems reported) when any argument fails.

    ``program_path`` is where the executable was written: the project's paths, or a hook."""
    try:
        words = [("-" if ignore_failure else "") + quoting.exec_executable(executable)]
    except QuotingError as error:
        renderer.report(error, program_path)
        return None
    ok = True
    for arg in args:
        if isinstance(arg, SpecText):
            parts: quoting.Value | None = renderer.parts(arg.text, arg.path)
            path = arg.path
            if parts is not None and arg.literal_prefix:
                parts = (arg.literal_prefix, *parts)
        else:
            parts, path = arg, ("container",)
        if parts is None:
            ok = False
            continue
        try:
            words.append(quoting.exec_word(parts))
        except QuotingError as error:
            renderer.report(error, path)
            ok = False
    return tuple(words) if ok else None
