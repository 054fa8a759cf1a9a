"""The pipeline, end to end: spec files → diagnostics and the text of every unit file.

Nothing here touches the output directory; ``output`` plans and applies the writes.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from unitgen.compile import ir
from unitgen.compile_command import UsageError
from unitgen.compile.convert import ServiceConverter
from unitgen.spec.crosscheck import check_all
from unitgen.diagnostics import Diagnostics
from unitgen.compile.irlint import lint_unit
from unitgen.spec.model import Project, ServiceSpec
from unitgen.parallel import map_chunks
from unitgen.systemd.quoting import comment_text
from unitgen.compile.render import render_unit
from unitgen.spec.resolve import load_workspace, resolution_order, resolve_spec
from unitgen.compile.sidekicks import sidekick_units
from unitgen.spec.validate import SpecValidator

# Every stage is imported here, not where it is first called: the workers of a compile are
# forked once this module is loaded, and a stage first imported by a call would be imported
# again by each worker (and its import statement run again for every spec).
if TYPE_CHECKING:
    from unitgen.spec.reading import Reading
    from unitgen.spec.resolve import Workspace


@attrs.frozen
class CompiledUnit:
    """One output file.  Its IR is rebuilt on first use: commands like graph and submit
    need it for a few units, compile needs only the text."""

    path: str  # relative to the output directory, e.g. "prod/web.service"
    name: str  # the unit name, e.g. "web@.service"
    text: str
    spec: ServiceSpec
    environment: str | None
    _rebuilder: _Rebuilder = attrs.field(eq=False, repr=False)

    @property
    def unit(self) -> ir.Unit:
        return self._rebuilder.unit(self.spec, self.name)

    def instance_names(self) -> tuple[str, ...]:
        """The instances to run of a template (a sidekick template follows its spec)."""
        stem, _, suffix = self.name.rpartition(".")
        if not stem.endswith("@"):
            return ()
        return tuple(f"{stem}{instance}.{suffix}" for instance in self.spec.instances)


class _Rebuilder:
    """Builds a unit's IR again on demand, once; one per environment, shared by its units
    (a closure per unit costs more memory than the whole IR of the few units asked for)."""

    def __init__(self, build: Callable[[ServiceSpec, Diagnostics], list[ir.Unit]]) -> None:
        self._build = build
        self._built: dict[tuple[str, str], ir.Unit] = {}

    def unit(self, spec: ServiceSpec, name: str) -> ir.Unit:
        if (spec.source, name) not in self._built:
            self._built.update(((spec.source, u.name), u) for u in self._build(spec, Diagnostics()))
        return self._built[spec.source, name]


@attrs.frozen
class CompileResult:
    project: Project
    out_dir: Path
    units: tuple[CompiledUnit, ...]
    diagnostics: Diagnostics
    environments: tuple[str | None, ...]
    selected: str | None = None  # the --env given, if any: the other environments are not touched

    @property
    def files(self) -> dict[str, str]:
        return {u.path: u.text for u in self.units}

    @property
    def ok(self) -> bool:
        return not self.diagnostics.has_errors


def header_source(specs_dir: Path, spec: ServiceSpec) -> str:
    """The spec's path as the header shows it: stable, machine-independent, one line."""
    return comment_text(f"{specs_dir.name}/{os.path.basename(spec.source)}")


def lint_passthrough(unit: ir.Unit, text: str, diagnostics: Diagnostics) -> None:
    """Units carrying raw passthrough directives also get the full unit-file linter,
    its errors reported at the spec key that wrote the offending line."""
    from unitgen.diagnostics import Diagnostic
    from unitgen.lint import lint_text
    from unitgen.compile.render import line_origins

    origins = line_origins(unit)
    for finding in lint_text(text.encode("utf-8", "surrogateescape"), unit.name):
        if not finding.is_error:
            continue
        directive = origins.get(finding.location.line if finding.location else 0)
        where = directive.origin.where() if directive is not None and directive.origin is not None else {}
        diagnostics.add(Diagnostic(finding.code, finding.severity, f"{unit.name}: {finding.message}", hint=finding.hint, **where))  # type: ignore[arg-type]


def compile_specs(
    specs_dir: Path,
    *,
    environment: str | None = None,
    overrides: Mapping[str, str] | None = None,
    reading: Reading | None = None,
) -> CompileResult:
    """``reading``: the reading of the spec files, if it was started already."""
    if not specs_dir.is_dir():
        raise UsageError(f"{specs_dir} is not a directory of specs")
    # The pipeline builds many small objects and no cycles that need collecting while it
    # runs: the cyclic collector only rescans a growing heap (about 20% of a large compile).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _compile(specs_dir, environment, overrides or {}, reading)
    finally:
        if collecting:
            gc.enable()


def _compile(
    specs_dir: Path, environment: str | None, overrides: Mapping[str, str], reading: Reading | None
) -> CompileResult:
    diagnostics = Diagnostics()
    workspace = load_workspace(specs_dir, overrides, diagnostics, reading)
    project = workspace.project
    environments: tuple[str | None, ...] = project.environments or (None,)
    if environment is not None:
        if environment not in environments:
            known = ", ".join(e for e in environments if e) or "none are declared"
            raise UsageError(f"unknown environment {environment!r} (known: {known})")
        environments = (environment,)
    out_dir = (specs_dir.parent / project.output).resolve() if not Path(project.output).is_absolute() else Path(project.output)
    units: list[CompiledUnit] = []
    if not workspace.specs and not diagnostics.has_errors:
        diagnostics.warning("S000", f"no spec files (*.toml) in {specs_dir}")
    for env in environments:
        units.extend(_compile_environment(workspace, env, specs_dir, diagnostics))
    return CompileResult(project, out_dir, tuple(units), diagnostics, environments, environment)


def _compile_environment(
    workspace: Workspace, env: str | None, specs_dir: Path, diagnostics: Diagnostics
) -> list[CompiledUnit]:
    """Resolve, cross-check and convert every spec for one environment.

    Cross-checks need every spec, conversion one spec at a time.  So workers start
    converting at once, each resolving the specs it takes; meanwhile this process
    resolves them all (its diagnostics and models are the ones kept), cross-checks them,
    and then takes its share of the conversions.
    """
    order = resolution_order(workspace, diagnostics)
    resolved: list[ServiceSpec | None] = [None] * len(order)
    convert = _SpecConverter(workspace, env, specs_dir)

    def resolve_and_check() -> None:
        for index, (spec, chain) in enumerate(order):
            resolved[index] = resolve_spec(workspace, env, spec, chain, diagnostics)
        check_all(resolved, diagnostics)  # type: ignore[arg-type]  # each spec on its own is validated with its conversion

    def convert_batch(indices: Sequence[int]) -> list[tuple[int, str, str, list | None, list | None]]:  # type: ignore[type-arg]
        batch = []
        for index in indices:
            spec = resolved[index]
            if spec is None:  # a worker, forked before the specs were resolved: its findings are the parent's too
                spec = resolve_spec(workspace, env, *order[index], Diagnostics())
            batch.append((index, spec))
        return convert.chunk(batch)

    converted = map_chunks(convert_batch, range(len(order)), first=resolve_and_check)
    specs: list[ServiceSpec] = resolved  # type: ignore[assignment]
    # The passthrough linter is for specs that are otherwise correct: on a spec with
    # errors it would only restate them, without a place to point at.
    files_with_errors = {d.location.file for d in diagnostics if d.is_error and d.location is not None}
    prefix = f"{env}/" if env else ""
    compiled = []
    for spec_index, unit, text, problems, passthrough in converted:
        spec = specs[spec_index]
        if problems:
            diagnostics.extend(problems)
        if passthrough and spec.source not in files_with_errors:
            diagnostics.extend(passthrough)
        compiled.append(CompiledUnit(prefix + unit, unit, text, spec, env, convert.rebuilder))
    return compiled


class _SpecConverter:
    """Validates, converts, lints and renders specs of one environment (in any process)."""

    def __init__(self, workspace: Workspace, env: str | None, specs_dir: Path) -> None:
        self.project = workspace.project
        self.variables = workspace.variables[env]
        self.specs_dir = specs_dir
        self.rebuilder = _Rebuilder(self.build)

    def build(self, spec: ServiceSpec, found: Diagnostics) -> list[ir.Unit]:
        return [
            ServiceConverter(spec, self.project, self.variables, found).convert(),
            *sidekick_units(spec, self.project, self.variables, found),
        ]

    def chunk(self, chunk: list[tuple[int, ServiceSpec]]) -> list[tuple[int, str, str, list | None, list | None]]:  # type: ignore[type-arg]
        """(spec index, unit name, text, diagnostics, passthrough lint findings) per unit.

        Only the name and text of a unit are kept: holding the IR of thousands of units
        costs more memory than rebuilding the few a command asks for, and a worker
        process would have to pickle it."""
        converted = []
        for spec_index, spec in chunk:
            found = Diagnostics()  # the spec's own findings travel with its first unit
            SpecValidator(spec, found, self.variables, self.project.runtime).run()
            units = self.build(spec, found)
            source = header_source(self.specs_dir, spec)
            lint_raw = bool(spec.unit_extra or spec.service_extra) and not found.has_errors
            for unit in units:
                lint_unit(unit, found)
                text = render_unit(unit, found, source)
                passthrough = Diagnostics()
                if lint_raw and not found.has_errors:
                    lint_passthrough(unit, text, passthrough)
                # None rather than an empty list: most units have nothing to say, and a
                # worker's results cross a pipe.
                converted.append((spec_index, unit.name, text, list(found) or None, list(passthrough) or None))
                found = Diagnostics()
        return converted
