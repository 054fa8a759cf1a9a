"""The pipeline, end to end: a directory of spec files → diagnostics and every unit's text.

``compile_specs`` is the one compile function: every command (compile, check, diff,
render, graph, submit) and the tests call it.  Nothing here touches the output
directory; ``unitgen.output`` plans and writes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence, Set
from pathlib import Path

import attrs

from unitgen.compile import ir
from unitgen.compile.convert import ServiceConverter
from unitgen.compile.deploy import DeployPlan, deploy_plan, deploy_units
from unitgen.compile.header import project_id
from unitgen.compile.irlint import lint_unit, restated
from unitgen.compile.render import line_origins, marked, render_unit
from unitgen.compile.sidekicks import sidekick_units
from unitgen.diagnostics import Diagnostic, Diagnostics, Location, across_environments, did_you_mean
from unitgen.spec.crosscheck import check_all
from unitgen.spec.model import Project, Relations, ServiceSpec
from unitgen.spec.resolve import SpecFile, Workspace, load_workspace, resolution_order, resolve_spec
from unitgen.spec.source import KeyPath
from unitgen.spec.validate import SpecValidator
from unitgen.systemd.quoting import comment_text


class CompileRequestError(Exception):
    """The compile cannot be asked for like this (no such directory, unknown environment):
    a problem with the request, not with the specs."""


@attrs.frozen
class CompiledUnit:
    """One output file, and what commands need to know of the spec it came from."""

    path: str  # relative to the output directory, e.g. "prod/web.service"
    name: str  # the unit name, e.g. "web@.service"
    text: str
    environment: str | None
    spec_name: str
    spec_source: str  # the spec file, as diagnostics name it
    spec_instances: tuple[str, ...]  # the instances the spec asks for, if its units are templates
    # The IR the text was rendered from, kept only when the compile was asked to: holding
    # the IR of thousands of units costs more memory than the text.
    kept_ir: ir.Unit | None = attrs.field(default=None, repr=False, eq=False)

    @property
    def unit(self) -> ir.Unit:
        if self.kept_ir is None:
            raise ValueError(f"{self.path}: compiled without keep_ir=True")
        return self.kept_ir

    def instance_names(self) -> tuple[str, ...]:
        """The instances to run of a template (a sidekick template follows its spec)."""
        stem, _, suffix = self.name.rpartition(".")
        if not stem.endswith("@"):
            return ()
        return tuple(f"{stem}{instance}.{suffix}" for instance in self.spec_instances)


@attrs.frozen
class CompileResult:
    project: Project
    out_dir: Path
    units: tuple[CompiledUnit, ...]
    diagnostics: Diagnostics
    environments: tuple[str | None, ...]
    selected: str | None = None  # the --env given, if any: the other environments are not touched
    # The resolved specs of every environment compiled, and each environment's compile-time
    # values, kept only when the compile was asked to (``unitgen compose`` reads them).
    specs: tuple[ServiceSpec, ...] = attrs.field(default=(), repr=False, eq=False)
    variables: Mapping[str | None, Mapping[str, str]] = attrs.field(factory=dict, repr=False, eq=False)
    deploys: tuple[DeployPlan, ...] = ()  # the services with [deploy], per environment

    @property
    def files(self) -> dict[str, str]:
        return {unit.path: unit.text for unit in self.units}

    @property
    def ok(self) -> bool:
        return not self.diagnostics.has_errors

    @property
    def scope(self) -> str | None:
        """With --env, only that environment's directory below out/ is this compile's."""
        return f"{self.selected}/" if self.selected else None

    def instances_to_start(self) -> list[tuple[str | None, list[str]]]:
        """Per environment, the instances of its templates, in unit order."""
        instances: dict[str | None, list[str]] = {env: [] for env in self.environments}
        for unit in self.units:
            instances.setdefault(unit.environment, []).extend(unit.instance_names())
        return list(instances.items())


def project_root(specs_dir: Path) -> Path:
    """The directory a relative output path (and fleetctl's path) is relative to: the one
    holding the specs directory, however that is named ("specs", ".", "../specs")."""
    return Path(os.path.abspath(specs_dir)).parent


def compile_specs(
    specs_dir: Path,
    *,
    environment: str | None = None,
    overrides: Mapping[str, str] | None = None,
    keep_ir: bool = False,
    keep_specs: bool = False,
) -> CompileResult:
    """Compile every spec of ``specs_dir`` for every environment (or only ``environment``).

    ``overrides``: compile-time values given with ``--set``; ``keep_ir``: keep each unit's
    IR (``CompiledUnit.unit``), for commands that read it (graph, submit, verify);
    ``keep_specs``: keep the resolved specs (``CompileResult.specs``), for Compose files.
    A local environment (``cluster = false``) is compiled only when asked for by name,
    and then to no units.
    Problems with the specs are diagnostics in the result; a request that cannot be
    answered raises ``CompileRequestError``."""
    if not specs_dir.is_dir():
        raise CompileRequestError(f"{specs_dir} is not a directory of specs")
    diagnostics = Diagnostics()
    workspace = load_workspace(specs_dir, overrides or {}, diagnostics)
    project = workspace.project
    environments: tuple[str | None, ...] = project.environments or (None,)
    if environment is not None:
        if environment not in environments:
            known = ", ".join(e for e in environments if e) or "none are declared"
            raise CompileRequestError(f"unknown environment {environment!r} (known: {known})")
        environments = (environment,)
    else:
        environments = tuple(env for env in environments if env not in project.local_environments)
    _check_overrides(workspace, overrides or {}, environments)
    output = Path(project.output)
    out_dir = output if output.is_absolute() else (project_root(specs_dir) / output).resolve()
    if not workspace.specs and not diagnostics.has_errors:
        # An error, not an empty compile: that would remove every unit generated before.
        diagnostics.error(
            "S000",
            f"{specs_dir} holds no spec (NAME.toml): nothing to compile",
            hint="give the directory of your specs",
            location=Location(os.fspath(specs_dir)),
        )
    order = resolution_order(workspace, diagnostics)
    units: list[CompiledUnit] = []
    specs: list[ServiceSpec] = []
    plans: list[DeployPlan] = []
    found: dict[str | None, Diagnostics] = {}
    for env in environments:
        found[env] = Diagnostics()
        compiled = _compile_environment(
            workspace, order, env, specs_dir, diagnostics, found[env], plans, keep_ir=keep_ir, keep_specs=keep_specs
        )
        units.extend(compiled[0])
        if keep_specs:
            specs.extend(compiled[1])
    diagnostics.extend(across_environments(found))
    variables = {env: workspace.variables[env] for env in environments} if keep_specs else {}
    return CompileResult(
        project, out_dir, tuple(units), diagnostics, environments, environment, tuple(specs), variables, tuple(plans)
    )


def _check_overrides(workspace: Workspace, overrides: Mapping[str, str], environments: Sequence[str | None]) -> None:
    """Each ``--set`` name must be one the specs can read: a typo would pin nothing."""
    if workspace.settable is None:
        return  # the project file's own errors come first
    for name, value in overrides.items():
        if name not in workspace.settable:
            hint = did_you_mean(name, workspace.settable) or "known: " + ", ".join(sorted(workspace.settable))
            raise CompileRequestError(
                f"--set {name}=…: {name!r} is neither a var (unitgen.toml [vars], an environment's vars) "
                f"nor a [runtime] name ({hint})"
            )
        contradicted = [env for env in environments if env is not None and env != value]
        if name == "environment" and contradicted:
            raise CompileRequestError(
                f"--set environment={value} contradicts the environment{'s' if len(contradicted) > 1 else ''} "
                f"compiled ({', '.join(contradicted)}): "
                "each environment sets vars.environment to its own name; choose one with --env"
            )


def _compile_environment(
    workspace: Workspace,
    order: Sequence[tuple[SpecFile, list[SpecFile]]],
    env: str | None,
    specs_dir: Path,
    loading: Diagnostics,
    diagnostics: Diagnostics,
    plans: list[DeployPlan],
    *,
    keep_ir: bool,
    keep_specs: bool,
) -> tuple[list[CompiledUnit], list[ServiceSpec]]:
    """Resolve and cross-check every spec of one environment, then convert each (but a
    spec for Compose files only, and every spec of a local environment: no units).

    ``loading`` holds what reading the files found; ``diagnostics`` gets this environment's."""
    specs = [resolve_spec(workspace, env, spec, chain, diagnostics) for spec, chain in order]
    # A local environment runs what its Compose file holds, and only that.
    local = env in workspace.project.local_environments
    _cross_check(workspace, [spec for spec in specs if spec.compose.include or not local], diagnostics, units=not local)
    variables = workspace.variables[env]
    # The passthrough linter is for specs that are otherwise correct: on a spec with
    # errors it would only restate them, without a place to point at.
    files_with_errors = {d.location.file for d in (*loading, *diagnostics) if d.is_error and d.location is not None}
    prefix = f"{env}/" if env else ""
    directory_name = specs_dir.resolve().name
    project = project_id(workspace.project.name, directory_name)
    compiled: list[CompiledUnit] = []
    kept_specs: list[ServiceSpec] = []
    findings: dict[str, list[tuple[Diagnostic, Diagnostic]]] = {}  # per spec: (finding, as any spec would read)
    names = [spec.name for spec in specs]
    collisions = _CaseCollisions()
    # Each spec is let go once converted (unless asked to keep them), so that the resolved
    # specs and the compiled texts are not all held at once.
    specs.reverse()
    while specs:
        spec = specs.pop()
        if keep_specs:
            kept_specs.append(spec)
        own = findings[spec.name] = []
        found = Diagnostics()  # the spec's own findings are reported with its first unit's
        SpecValidator(spec, found, variables, workspace.project.runtime).run()
        if spec.compose.only or local:
            own.extend((finding, finding) for finding in found)
            continue
        units = [
            ServiceConverter(spec, workspace.project, variables, found).convert(),
            *sidekick_units(spec, workspace.project, variables, found),
            *deploy_units(spec, workspace.project, variables, found),
        ]
        plan = deploy_plan(spec, workspace.project)
        if plan is not None:
            plans.append(plan)
        lint_passthrough = bool(spec.unit_extra or spec.service_extra) and not found.has_errors
        lint_passthrough = lint_passthrough and spec.source not in files_with_errors
        source = header_source(directory_name, spec)
        name_refused = any(finding.code == "S210" for finding in found)
        for unit in units:
            linted = Diagnostics()
            lint_unit(unit, linted, name_checked=name_refused)
            # A deploy unit is placed with its service: what that placement breaks, the
            # service's own unit has said at the same key.
            said = {(d.code, d.location, d.key_path) for d, _ in own}
            found.extend(d for d in linted if unit.kind != "deploy" or (d.code, d.location, d.key_path) not in said)
            unit = marked(unit, project, env)
            text = render_unit(unit, found, source)
            if lint_passthrough and not found.has_errors:
                found.extend(passthrough_findings(unit, text))
            own.extend((finding, _unit_relative(finding, unit.name, spec.name)) for finding in found)
            kept = unit if keep_ir else None
            compiled.append(
                CompiledUnit(prefix + unit.name, unit.name, text, env, spec.name, spec.source, spec.instances, kept)
            )
            collisions.add(compiled[-1], spec)
            found = Diagnostics()
    reported: list[Diagnostic] = []
    for (_, chain), name in zip(order, names, strict=True):
        # What the base reports itself, its file and line, is not repeated here.
        inherited = {relative for _, relative in findings[chain[-2].name]} if len(chain) > 1 else set()
        reported.extend(finding for finding, relative in findings[name] if relative not in inherited)
    repeats = restated([*diagnostics, *reported])
    diagnostics.extend(finding for finding in reported if finding not in repeats)
    diagnostics.extend(collisions.found)
    return compiled, kept_specs


def _unit_relative(finding: Diagnostic, unit_name: str, spec_name: str) -> Diagnostic:
    """The finding with the unit it names (``api.service: …``) relative to its spec, so that
    a spec extending another finds what the base reports of the same value."""
    named = f"{unit_name}: "
    if not (finding.message.startswith(named) and unit_name.startswith(spec_name)):
        return finding
    return attrs.evolve(finding, message=f"…{unit_name[len(spec_name) :]}: {finding.message[len(named) :]}")


class _CaseCollisions:
    """Units whose names differ only in case: one file on a case-insensitive filesystem."""

    def __init__(self) -> None:
        self.first: dict[str, CompiledUnit] = {}
        self.found = Diagnostics()

    def add(self, unit: CompiledUnit, spec: ServiceSpec) -> None:
        """``unit``, compiled from ``spec``, after every unit compiled before it."""
        other = self.first.setdefault(unit.name.lower(), unit)
        if other.name != unit.name:
            self.found.error(
                "S303",
                f"{unit.name} and {other.name} (of spec {other.spec_name!r}) differ only in case: "
                "on a case-insensitive filesystem (macOS, Windows) they are one file",
                hint="rename one of the specs (or set unit.name)",
                **spec.origins.where(("unit", "name")),
            )


def _cross_check(workspace: Workspace, specs: Sequence[ServiceSpec], diagnostics: Diagnostics, *, units: bool) -> None:
    """The checks across specs, but for references to a spec that was reported and left
    out (it could not be loaded, or resolved): its own error is the one to fix, and a
    second one at each reference would bury it."""
    found = Diagnostics()
    check_all(specs, found, units=units)
    left_out = {spec.name for spec in workspace.specs} | workspace.unloaded
    left_out -= {spec.name for spec in specs}
    references = set(_references_to(specs, left_out))
    diagnostics.extend(d for d in found if not (d.code in _UNKNOWN_SPEC and (d.location, d.key_path) in references))


# What the checks across specs say of a name that is no spec they were given.
_UNKNOWN_SPEC = frozenset({"S310", "S330"})


def _references_to(specs: Sequence[ServiceSpec], names: Set[str]) -> Iterator[tuple[Location | None, str | None]]:
    """The places (location, key path) where the specs name one of ``names``."""
    for spec in specs:
        named: list[tuple[KeyPath, str]] = [
            (("unit", key, i), name)
            for key, _ in Relations.DIRECTIVES
            for i, name in enumerate(getattr(spec.relations, key))
        ]
        named += [(("fleet", "machine_of", i), name) for i, name in enumerate(spec.placement.machine_of)]
        for path, name in named:
            if name in names:
                where = spec.origins.where(path)
                yield where.get("location"), where.get("key_path")


def header_source(directory: str, spec: ServiceSpec) -> str:
    """The spec's path as the header shows it: stable, machine-independent, one line.

    ``directory``: the specs directory's own name, however it was given (``.``,
    ``../specs``), as the docs show it."""
    file_name = os.path.basename(spec.source)
    return comment_text(f"{directory}/{file_name}" if directory else file_name)


def passthrough_findings(unit: ir.Unit, text: str) -> list[Diagnostic]:
    """The unit-file linter's errors on a unit, each placed at the spec key that wrote
    the offending line."""
    # Imported here: the full linter is needed only for specs with passthrough directives.
    from unitgen.lint import lint_text

    origins = line_origins(unit)
    found = []
    for finding in lint_text(text.encode("utf-8", "surrogateescape"), unit.name):
        if not finding.is_error:
            continue
        directive = origins.get((finding.location.line or 0) if finding.location else 0)
        origin = directive.origin if directive is not None else None
        where = origin.where() if origin is not None else {}
        found.append(
            Diagnostic(finding.code, finding.severity, f"{unit.name}: {finding.message}", hint=finding.hint, **where)
        )
    return found
