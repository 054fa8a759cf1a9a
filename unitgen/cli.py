"""Command line: thin click commands; each imports only the stages it runs.

Exit status: 0 success, 1 invalid input (specs, units or an out-of-date ``out/``),
2 usage errors.  No input produces a traceback; an internal error is reported in one
line (set UNITGEN_DEBUG=1 for the traceback).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

import click

from unitgen import __version__

EXIT_INVALID = 1
EXIT_USAGE = 2


def use_color() -> bool | None:
    if os.environ.get("NO_COLOR"):
        return False
    return None  # click decides: colour only on a terminal


def echo_diagnostics(diagnostics: Iterable, *, fmt: str = "text") -> None:  # type: ignore[type-arg]
    items = list(diagnostics)
    if fmt == "json":
        import json

        click.echo(json.dumps([d.to_json() for d in items], indent=2, ensure_ascii=False))
        return
    colors = {"error": "red", "warning": "yellow", "note": "cyan"}
    for diagnostic in items:
        click.secho(diagnostic.format(), fg=colors[diagnostic.severity.value], err=True, color=use_color())


def parse_sets(values: Iterable[str]) -> dict[str, str]:
    result = {}
    for item in values:
        name, eq, value = item.partition("=")
        if not eq or not name:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--set")
        result[name] = value
    return result


def summary(diagnostics) -> str:  # type: ignore[no-untyped-def]
    errors = sum(1 for d in diagnostics if d.is_error)
    warnings = sum(1 for d in diagnostics if not d.is_error)
    return f"{errors} error(s), {warnings} warning(s)"


specs_argument = click.argument("specs", type=click.Path(path_type=Path, file_okay=False), default="specs", required=False)
env_option = click.option("--env", "environment", metavar="ENV", help="Compile only this environment.")
set_option = click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="Pin a compile-time value ({{ vars.NAME }}, {{ runtime.NAME }}).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="unitgen")
def main() -> None:
    """Compile TOML service specs into systemd unit files for fleet.

    \b
    Example:
      unitgen compile specs/        # writes out/*.service
      unitgen lint out/             # checks any unit files
    """


def _compile(specs: Path, environment: str | None, sets: tuple[str, ...]):  # type: ignore[no-untyped-def]
    from unitgen.compiler import UsageError, compile_specs

    try:
        return compile_specs(specs, environment=environment, overrides=parse_sets(sets))
    except UsageError as error:
        raise click.UsageError(str(error)) from None


@main.command()
@specs_argument
@env_option
@set_option
@click.option("--force", is_flag=True, help="Overwrite or remove generated files that were edited by hand.")
@click.option("--verify/--no-verify", default=False, help="Also run systemd-analyze verify on the compiled units (hermetic root).")
@click.option("-q", "--quiet", is_flag=True, help="Print only problems.")
def compile(specs: Path, environment: str | None, sets: tuple[str, ...], force: bool, verify: bool, quiet: bool) -> None:
    """Compile every spec in SPECS (default: specs/) into the output directory.

    Nothing is written unless every spec compiles; each file is replaced atomically;
    units unitgen generated earlier and no longer produces are removed; files it did
    not generate are never touched.

    \b
    Example:
      unitgen compile specs/ --env prod --set version=v42
    """
    from unitgen import output

    result = _compile(specs, environment, sets)
    diagnostics = result.diagnostics
    if verify and result.ok:
        from unitgen.verify import verify_compiled

        verify_compiled(result, diagnostics)
    files = result.files
    plan = None
    if result.ok:
        plan = output.plan(files, result.out_dir, diagnostics, force=force)
        plan = _scope_plan(plan, result)
    echo_diagnostics(diagnostics.sorted())
    if diagnostics.has_errors or plan is None:
        click.echo(f"unitgen: nothing written ({summary(diagnostics)})", err=True)
        sys.exit(EXIT_INVALID)
    output.apply(plan, files, result.out_dir)
    if not quiet:
        shown = _shown(result.out_dir)
        click.echo(
            f"{shown}: {len(files)} unit(s), {len(plan.write)} written, {len(plan.remove)} removed, "
            f"{len(plan.unchanged)} unchanged"
        )
        for env, names in result.instances.items():
            if names:
                where = f"{shown}/{env}" if env else shown
                click.echo(f"instances to start{f' in {env}' if env else ''}: " + " ".join(f"{where}/{n}" for n in names))


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _scope_plan(plan, result):  # type: ignore[no-untyped-def]
    """With --env, files of other environments are neither ours to remove nor stale."""
    from unitgen.output import Plan

    if result.project.environments and len(result.environments) == 1:
        prefix = f"{result.environments[0]}/"
        return Plan(plan.write, tuple(p for p in plan.remove if p.startswith(prefix)), plan.unchanged)
    return plan


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=str))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--select", default="", metavar="CODES", help="Only these codes (prefixes, comma-separated), e.g. L4,L501.")
@click.option("--ignore", default="", metavar="CODES", help="Skip these codes (prefixes, comma-separated).")
@click.option("--verify/--no-verify", default=False, help="Also run systemd-analyze verify on the files (hermetic root).")
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
        from unitgen.verify import verify_files

        findings = sorted([*findings, *verify_files(files)], key=lambda d: d.sort_key())
    if fmt == "json":
        echo_diagnostics(findings, fmt="json")
    else:
        for diagnostic in findings:
            click.echo(diagnostic.format())
        click.echo(f"{len(files)} file(s) checked, {summary(findings)}", err=True)
    if any(d.is_error for d in findings):
        sys.exit(EXIT_INVALID)


def run() -> None:
    """Entry point wrapper: internal errors become one line, not a traceback."""
    try:
        main(standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as error:  # noqa: BLE001 - the last line of defence
        if os.environ.get("UNITGEN_DEBUG"):
            raise
        click.echo(f"unitgen: internal error: {type(error).__name__}: {error} (set UNITGEN_DEBUG=1 for details)", err=True)
        sys.exit(3)
