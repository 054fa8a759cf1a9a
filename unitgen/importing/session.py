"""An import from unit files to spec files: read, recognise, group templates with their
instances, factor, and write (or print) the specs and the project file."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from unitgen.diagnostics import Diagnostic, Location, Severity
from unitgen.importing import factor, sidekicks, toml_writer
from unitgen.importing.reader import UnitSource, read_unit
from unitgen.importing.recognise import Imported, NotImported, Recogniser
from unitgen.importing.secrets import SecretGuard
from unitgen.spec.project import PROJECT_FILE

DEFAULT_DOCKER = "/usr/bin/docker"


@attrs.frozen
class ImportResult:
    files: dict[str, str]  # file name in the specs directory -> text
    findings: list[Diagnostic]
    imported: dict[str, str]  # unit file path -> spec name
    skipped: dict[str, str]  # unit file path -> why it was not imported


def unit_paths(paths: Sequence[str]) -> list[tuple[Path, str]]:
    """The unit files named, directories expanded to the unit files directly in them."""
    found: list[tuple[Path, str]] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for child in sorted(path.iterdir()):
                if child.is_file() and "." in child.name and not child.name.endswith((".md", ".tsv", ".toml")):
                    found.append((child, str(child)))
        else:
            found.append((path, given))
    return found


def import_units(
    paths: Sequence[str], *, allow_secret_placeholders: bool, existing_project: str | None
) -> ImportResult:
    findings: list[Diagnostic] = []
    sources = [read_unit(path, shown) for path, shown in unit_paths(paths)]
    instances, sources = _instances(sources)
    imported: list[Imported] = []
    skipped: dict[str, str] = {}
    for source in sources:
        guard = SecretGuard(source.path)
        recogniser = Recogniser(source, guard)
        try:
            imported.append(recogniser.run())
        except NotImported as error:
            skipped[source.path] = error.reason
            findings.append(
                Diagnostic("I105", Severity.WARNING, f"not imported: {error.reason}", Location(source.path, error.line))
            )
            continue
        findings += recogniser.findings + guard.findings
    specs, names = _specs(imported, instances, findings)
    findings = _attach_sidekicks(sources, imported, specs, names, skipped, findings)
    project = _project(imported, findings)
    if existing_project is None:
        defaults = factor.shared_defaults(specs)
        if defaults:
            project["defaults"] = defaults
    factor.extends_pairs(specs)
    files = {f"{name}.toml": toml_writer.dumps(data) for name, data in sorted(specs.items())}
    if existing_project is None and project:
        files[PROJECT_FILE] = toml_writer.dumps(project)
    elif project:
        files[PROJECT_FILE] = _extended_project(existing_project or "", project)
    if allow_secret_placeholders:  # the user knows: a placeholder is then worth a warning
        findings = [attrs.evolve(f, severity=Severity.WARNING) if f.code == "I201" else f for f in findings]
    return ImportResult(files, sorted(findings, key=Diagnostic.sort_key), names, skipped)


def _instances(sources: list[UnitSource]) -> tuple[dict[str, list[str]], list[UnitSource]]:
    """Instance files beside their template, with the same text, are its instances."""
    templates = {(s.prefix, s.suffix): s for s in sources if s.is_template}
    instances: dict[str, list[str]] = {}
    rest = []
    for source in sources:
        template = templates.get((source.prefix, source.suffix))
        if source.instance and template is not None and source.data == template.data:
            instances.setdefault(template.path, []).append(source.instance)
            continue
        rest.append(source)
    return instances, rest


def _specs(
    imported: list[Imported], instances: dict[str, list[str]], findings: list[Diagnostic]
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    specs: dict[str, dict[str, Any]] = {}
    names: dict[str, str] = {}
    for unit in imported:
        name = unit.source.file_name.rsplit(".", 1)[0] if unit.source.instance else unit.name
        if name in specs:
            findings.append(
                Diagnostic(
                    "I105",
                    Severity.WARNING,
                    f"not imported: a unit named {name} was imported already",
                    Location(unit.source.path),
                )
            )
            continue
        data = dict(unit.data)
        if unit.source.is_template:
            data = _template(unit, instances.get(unit.source.path, []), findings)
        specs[name] = data
        names[unit.source.path] = name
    return specs, names


def _attach_sidekicks(
    sources: list[UnitSource],
    imported: list[Imported],
    specs: dict[str, dict[str, Any]],
    names: dict[str, str],
    skipped: dict[str, str],
    findings: list[Diagnostic],
) -> list[Diagnostic]:
    """Announcers and ELB notifiers bound to an imported service become its ``presence``."""
    absorbed: set[str] = set()
    for source in sources:
        bound = sidekicks.bound_service(source)
        service = sidekicks.spec_of(bound, specs) if bound else None
        if service is None:
            continue
        own = names.get(source.path)
        if own is not None and own != service:
            presence = sidekicks.elb_notifier(specs[own])
            kind = "elb"
        elif source.path in skipped:
            presence = sidekicks.announcer(source)
            kind = "etcd"
        else:
            continue
        if presence is None:
            continue
        specs[service].setdefault("presence", {})[kind] = presence
        if own is not None:
            del specs[own]
            del names[source.path]
        skipped.pop(source.path, None)
        absorbed.add(source.path)
        findings.append(
            Diagnostic(
                "I104",
                Severity.NOTE,
                f"a presence sidekick of {bound}: became presence.{kind} of spec {service!r}",
                Location(source.path),
            )
        )
    return [f for f in findings if not (f.code == "I105" and f.location and f.location.file in absorbed)]


def _template(unit: Imported, names: list[str], findings: list[Diagnostic]) -> dict[str, Any]:
    data = dict(unit.data)
    own = f"{unit.name}@*.service"
    fleet = dict(data.get("fleet", {}))
    conflicts = [c for c in fleet.get("conflicts", []) if c != own]
    spread = len(conflicts) != len(fleet.get("conflicts", []))
    if conflicts:
        fleet["conflicts"] = conflicts
    else:
        fleet.pop("conflicts", None)
    if fleet:
        data["fleet"] = fleet
    else:
        data.pop("fleet", None)
    if not names:
        names = ["1"]
        findings.append(
            Diagnostic(
                "I106",
                Severity.WARNING,
                'no instance files beside the template: instances.names = ["1"] stands in; list the instances you start',
                Location(unit.source.path),
            )
        )
    data["instances"] = {"names": names, "spread": spread}
    return data


def _project(imported: list[Imported], findings: list[Diagnostic]) -> dict[str, Any]:
    project: dict[str, Any] = {}
    runtime: dict[str, str] = {}
    for unit in imported:
        runtime.update(unit.runtime)
    if runtime:
        project["runtime"] = dict(sorted(runtime.items()))
    dockers = [unit.docker for unit in imported]
    docker = max(sorted(set(dockers)), key=dockers.count) if dockers else DEFAULT_DOCKER
    if docker != DEFAULT_DOCKER:
        project["paths"] = {"docker": docker}
    for unit in imported:
        if unit.docker != docker:
            findings.append(
                Diagnostic(
                    "I107",
                    Severity.WARNING,
                    f"runs docker as {unit.docker}; the project's paths.docker is {docker}",
                    Location(unit.source.path),
                )
            )
    return project


def _extended_project(existing: str, additions: dict[str, Any]) -> str:
    """The project file with the tables the import needs appended; what it holds already wins."""
    current = tomllib.loads(existing)
    extra: dict[str, Any] = {}
    for table, values in additions.items():
        if table == "defaults":
            continue
        missing = {k: v for k, v in values.items() if k not in current.get(table, {})}
        if missing and table in current:
            raise ProjectConflict(table, missing)
        if missing:
            extra[table] = missing
    # Appended as tables of their own: a key after the file's last table would belong to it.
    tables = [f"[{table}]\n" + toml_writer.dumps(values) for table, values in extra.items()]
    return "\n\n".join([existing.rstrip("\n"), *tables]) if tables else existing


class ProjectConflict(Exception):
    def __init__(self, table: str, missing: dict[str, Any]) -> None:
        super().__init__(f"add to [{table}] of the project file: " + toml_writer.dumps(missing).strip())
