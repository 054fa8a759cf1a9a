"""``unitgen import``: hand-written unit files → specs."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

from unitgen.cli.common import EXIT_INVALID, echo_diagnostics


@click.command("import", short_help="Turn hand-written unit files into specs.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=str))
@click.option(
    "--into", "into", required=True, type=click.Path(file_okay=False, path_type=Path), help="Specs directory."
)
@click.option("--dry-run", is_flag=True, help="Print the specs instead of writing them.")
@click.option("--force", is_flag=True, help="Replace specs of the same name in --into.")
@click.option(
    "--allow-secret-placeholders",
    is_flag=True,
    help="Exit 0 even when inline credentials were replaced by placeholders.",
)
def import_units(
    paths: tuple[str, ...], into: Path, dry_run: bool, force: bool, allow_secret_placeholders: bool
) -> None:
    """Write one spec per docker service found in UNIT_FILE|DIR..., plus the project file.

    Every directive without a spec key is reported with its file:line; a credential
    written in a unit is never copied (a placeholder stands in, exit status 1 unless
    --allow-secret-placeholders).

    \b
    Example:
      unitgen import legacy/ --into specs/ --dry-run
    """
    from unitgen.diagnostics import Diagnostic, Location, Severity
    from unitgen.importing.session import ProjectConflict
    from unitgen.importing.session import import_units as run_import
    from unitgen.spec.project import PROJECT_FILE

    project = into / PROJECT_FILE
    existing = project.read_text(encoding="utf-8") if project.is_file() else None
    try:
        result = run_import(list(paths), allow_secret_placeholders=allow_secret_placeholders, existing_project=existing)
    except ProjectConflict as error:
        raise click.ClickException(str(error)) from None
    findings = list(result.findings)
    taken = [name for name in result.files if name != PROJECT_FILE and (into / name).exists()]
    if taken and not force and not dry_run:
        findings += [
            Diagnostic(
                "I301", Severity.ERROR, "a spec of this name exists already: not overwritten", Location(str(into / n))
            )
            for n in taken
        ]
    echo_diagnostics(findings)
    if dry_run:
        for name, text in result.files.items():
            click.echo(f"# {into / name}\n{text}")
    elif not any(d.is_error and d.code == "I301" for d in findings):
        into.mkdir(parents=True, exist_ok=True)
        for name, text in result.files.items():
            _write_atomically(into / name, text)
        specs = len([name for name in result.files if name != PROJECT_FILE])
        click.echo(
            f"{into}: {specs} spec(s) written from {len(result.imported)} unit file(s), {len(result.skipped)} not imported"
        )
    if any(d.is_error for d in findings):
        sys.exit(EXIT_INVALID)


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
