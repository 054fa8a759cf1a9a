"""Commands that show things: ``lint``, ``schema``, ``render`` and ``graph``."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from unitgen.cli.common import (
    EXIT_INVALID,
    compiled_or_exit,
    echo_diagnostics,
    env_option,
    project_file,
    set_option,
    specs_argument,
    summary,
)
from unitgen.diagnostics import did_you_mean

if TYPE_CHECKING:
    from unitgen.compile.compiler import CompiledUnit, CompileResult


@click.command(short_help="Check unit files, generated or hand-written.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=str))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option(
    "--select", default="", metavar="CODES", help="Only these codes (prefixes, comma-separated), e.g. L4,L501."
)
@click.option("--ignore", default="", metavar="CODES", help="Skip these codes (prefixes, comma-separated).")
@click.option(
    "--verify/--no-verify", default=False, help="Also run systemd-analyze verify on the files (hermetic root)."
)
def lint(paths: tuple[str, ...], fmt: str, strict: bool, select: str, ignore: str, verify: bool) -> None:
    """Check unit files (generated or hand-written) against systemd 252 and fleet v1.0.0.

    \b
    Example:
      unitgen lint out/ legacy/app@.service --strict --ignore L5
    """
    from unitgen.lint import lint_paths

    findings, files = lint_paths(
        list(paths),
        select=[c for c in select.split(",") if c],
        ignore=[c for c in ignore.split(",") if c],
        strict=strict,
    )
    if verify:
        from unitgen.compile.verify import verify_files

        findings = sorted([*findings, *verify_files(files)], key=lambda d: d.sort_key())
    if fmt == "json":
        echo_diagnostics(findings, fmt="json")
    else:
        for diagnostic in findings:
            click.echo(diagnostic.format())
        click.echo(f"{len(files)} file(s) checked, {summary(findings)}", err=True)
    if any(d.is_error for d in findings):
        sys.exit(EXIT_INVALID)


# --- check and diff -------------------------------------------------------------------


@click.command(short_help="Print the JSON Schema of the spec format.")
@click.option(
    "--project", "project_file", is_flag=True, help="The schema of the project file (unitgen.toml) instead of a spec."
)
def schema(project_file: bool) -> None:
    """Print the JSON Schema of the spec format, for TOML editors.

    Taplo and Even Better TOML (VS Code) read it for completion and validation: save
    it next to the specs and name it in a comment on the first line of each spec,
    `#:schema ./unitgen.schema.json` (see docs/cli.md).  unitgen checks more than the
    schema can say (references between specs, values systemd would refuse), but a
    spec the schema refuses is one unitgen refuses at the same key.

    \b
    Example:
      unitgen schema > specs/unitgen.schema.json
      unitgen schema --project > specs/unitgen-project.schema.json
    """
    import json

    from unitgen.spec.schema_export import json_schema

    click.echo(json.dumps(json_schema("project" if project_file else "spec"), indent=2, ensure_ascii=False))


def _complete_unit(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Unit names from the output directory (no compile while completing)."""
    specs = Path(ctx.params.get("specs") or "specs")
    out = Path(os.path.abspath(specs)).parent / str(project_file(ctx).get("output", "out"))
    names = {p.name for p in out.rglob("*.service")} if out.is_dir() else set()
    return sorted(n for n in names if n.startswith(incomplete))


def _pick_unit(result: CompileResult, name: str) -> CompiledUnit:
    """The compiled unit NAME means: a path under out/, a unit name, or a spec-style short name."""
    wanted = {name, f"{name}.service", f"{name}@.service"}
    found = [u for u in result.units if u.path in wanted or u.name in wanted]
    if len(found) == 1:
        return found[0]
    if not found:
        stem, _, suffix = name.rpartition(".")
        prefix, at, instance = (stem or name).partition("@")
        hint = None
        if at and instance:
            hint = f"{name} is an instance; fleet builds it from the template: unitgen render {prefix}@.{suffix or 'service'}"
        candidates = {u.name for u in result.units} | {u.name.rpartition(".")[0].rstrip("@") for u in result.units}
        hint = hint or did_you_mean(name, candidates)
        raise click.UsageError(f"no compiled unit is named {name!r}" + (f" ({hint})" if hint else ""))
    environments = ", ".join(sorted(str(u.environment) for u in found))
    raise click.UsageError(
        f"{name!r} is compiled for several environments ({environments}): add --env ENV, or name it ENV/{found[0].name}"
    )


@click.command(short_help="Print one compiled unit.")
@click.argument("name", shell_complete=_complete_unit)
@specs_argument
@env_option
@set_option
def render(name: str, specs: Path, environment: str | None, sets: tuple[str, ...]) -> None:
    """Print one compiled unit to stdout (compiled in memory; out/ is not read).

    NAME is a unit name (`web.service`, `app@.service`), a spec-style short name
    (`web`), or a path under the output directory (`prod/web.service`).

    \b
    Example:
      unitgen render web --env prod
      unitgen render prod/nginx.service | diff out/prod/nginx.service -
    """
    result = compiled_or_exit(specs, environment, sets)
    click.echo(_pick_unit(result, name).text, nl=False)


@click.command(short_help="Print the dependency and placement graph (DOT, Mermaid).")
@specs_argument
@env_option
@set_option
@click.option("--format", "fmt", type=click.Choice(["dot", "mermaid"]), default="dot", show_default=True)
def graph(specs: Path, environment: str | None, sets: tuple[str, ...], fmt: str) -> None:
    """Print the dependency and placement graph of the compiled units.

    Edges: Requires, BindsTo, Wants, PartOf, After, Before (as written in each unit)
    and fleet's MachineOf; each node lists its placement (Global, MachineMetadata,
    MachineID, Conflicts, Replaces) and a template's instances.  Units no spec
    produces (docker.service) are drawn dashed.  Several environments are clusters.

    \b
    Example:
      unitgen graph --env prod | dot -Tsvg > prod.svg
      unitgen graph --env prod --format mermaid
    """
    from unitgen.fleet import graph as graphs

    result = compiled_or_exit(specs, environment, sets, keep_ir=True)
    built = graphs.build(result.units)
    click.echo(graphs.to_dot(built) if fmt == "dot" else graphs.to_mermaid(built), nl=False)
