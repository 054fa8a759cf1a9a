"""``compose``: a Compose file of an environment from the specs; and the part of ``check``
and ``diff`` that compares the Compose files the project declares (``[compose.ENV] file``)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import click

from unitgen.cli.common import (
    EXIT_INVALID,
    compile_or_usage_error,
    compiled_or_exit,
    complete_env,
    echo_diagnostics,
    parse_sets,
    raw_project,
    set_option,
    specs_argument,
    summary,
    use_color,
)
from unitgen.output.ondisk import shown

# The compiler and the spec reader are imported by the commands that use them (see ``common``).
if TYPE_CHECKING:
    from unitgen.compose.files import ComposeRequest
    from unitgen.spec.model import ComposeTarget


def _request(target: ComposeTarget, specs: Path, pins: dict[str, str], secrets_dir: str | None) -> ComposeRequest:
    from unitgen.compile.compiler import project_root
    from unitgen.compose.files import ComposeRequest

    return ComposeRequest.of(target, project_root(specs), pins, secrets_dir)


def _declared(specs: Path, environment: str | None) -> list[ComposeRequest]:
    """The Compose files the project declares (of ``environment`` only, when given)."""
    from unitgen.spec.project import load_project

    targets = load_project(specs).compose
    return [
        _request(target, specs, {}, None)
        for target in targets
        if target.file is not None and environment in (None, target.environment)
    ]


def _text(specs: Path, request: ComposeRequest, *, with_units: bool) -> str:
    """The Compose file's text; exit 1 when the specs or the Compose file have errors.

    ``with_units``: the command compiled and reported the specs already; only errors
    that the Compose file's own pins bring are shown."""
    from unitgen.compose.files import compose_text
    from unitgen.diagnostics import Diagnostics

    sets = tuple(f"{name}={value}" for name, value in request.pins.items())
    if with_units:
        result = compile_or_usage_error(specs, request.environment, sets, keep_specs=True)
        found = result.diagnostics if result.diagnostics.has_errors else Diagnostics()
    else:
        result = compiled_or_exit(specs, request.environment, sets, keep_specs=True)
        found = Diagnostics()
    text = compose_text(result, request, f"{specs.resolve().name}/", found) if result.ok else ""
    echo_diagnostics(found.sorted())
    if found.has_errors:
        click.echo(
            f"unitgen: {shown(request.file) if request.file else 'the Compose file'}: not written ({summary(found)})",
            err=True,
        )
        sys.exit(EXIT_INVALID)
    return text


def compose_drift(specs: Path, environment: str | None, *, quiet: bool, echo_diff: Callable[[str], None]) -> bool:
    """Print how the project's Compose files differ from the specs; True when they do not.

    Each file is compared with what ``unitgen compose`` writes for it, with its own pins
    (``--set`` pins units, not these files)."""
    tables = raw_project(specs).get("compose")
    if not (isinstance(tables, dict) and any(isinstance(t, dict) and "file" in t for t in tables.values())):
        return True  # no Compose file declared: a memo's answer needs no spec reader
    from unitgen.compose.files import compare

    in_sync = True
    for request in _declared(specs, environment):
        assert request.file is not None
        change = compare(request.file, _text(specs, request, with_units=True))
        where = shown(request.file)
        if change is None:
            click.echo(f"{where}: up to date", err=True)
            continue
        in_sync = False
        if not quiet:
            echo_diff(change.diff(where))
        color = use_color()
        click.secho(f"{where}: {change.describe()}", err=True, fg="yellow", color=color)
        click.secho(f"unitgen: {where} is out of date; run: {request.command}", err=True, fg="red", color=color)
    return in_sync


def _requests(
    specs: Path, environment: str | None, sets: tuple[str, ...], secrets_dir: str | None, output: str | None
) -> list[ComposeRequest]:
    """The files asked for: one environment's, or every file the project declares."""
    from unitgen.spec.model import ComposeTarget
    from unitgen.spec.project import load_project

    project = load_project(specs)
    pins = parse_sets(sets)
    if environment is not None or not project.environments:
        declared = {target.environment: target for target in project.compose}
        request = _request(declared.get(environment) or ComposeTarget(environment), specs, pins, secrets_dir)
        if output is not None:
            request = attrs.evolve(request, file=None if output == "-" else Path(output).absolute())
        return [request]
    if output is not None:
        raise click.UsageError("-o names one file: choose its environment with --env")
    targets = [target for target in project.compose if target.file is not None]
    if not targets:
        known = ", ".join(project.environments)
        raise click.UsageError(
            f"choose an environment with --env ({known}): unitgen.toml declares no [compose.ENV] file"
        )
    return [_request(target, specs, pins, secrets_dir) for target in targets]


@click.command(short_help="Write a Compose file of an environment from the specs.")
@specs_argument
@click.option(
    "--env",
    "environment",
    metavar="ENV",
    help="The environment (default: every [compose.ENV] file).",
    shell_complete=complete_env,
)
@set_option
@click.option(
    "--secrets-dir",
    metavar="DIR",
    help="Local copies of the secret env files, as DIR/BUCKET/KEY (default: [compose.ENV] secrets_dir).",
)
@click.option(
    "-o", "--output", metavar="FILE", help="Write this file ('-': standard output; default: [compose.ENV] file)."
)
@click.option("--force", is_flag=True, help="Replace a file unitgen did not generate.")
def compose(
    specs: Path,
    environment: str | None,
    sets: tuple[str, ...],
    secrets_dir: str | None,
    output: str | None,
    force: bool,
) -> None:
    """Write the Compose file of an environment: the same specs, on a laptop.

    One service per spec (one per instance of a template, NAME-INSTANCE), with its
    image, command (an exact list), environment, volumes, ports, restart policy and
    depends_on (from requires, binds_to and after).  A runtime value needs a pin
    (--set or [compose.ENV] pins); a secret env file becomes an env_file: naming its
    local copy, never its contents.  What only the cluster has (fleet placement,
    presence sidekicks, the etcd reads) is left out and listed at the top of the file.
    The file is replaced in one rename; without a file to write, it goes to stdout.
    Without --env, every file unitgen.toml declares ([compose.ENV] file) is written;
    `unitgen check` fails when one of them is out of date.

    \b
    Example:
      unitgen compose --env dev                        # [compose.dev] file, e.g. fig.yml
      unitgen compose --env prod --set version=v42 -o -
    """
    from unitgen.compose.files import in_the_way, write
    from unitgen.diagnostics import Diagnostics

    for request in _requests(specs, environment, sets, secrets_dir, output):
        found = Diagnostics()
        if request.file is not None and in_the_way(request.file, found, force=force):
            echo_diagnostics(found.sorted())
            sys.exit(EXIT_INVALID)
        text = _text(specs, request, with_units=False)
        if request.file is None:
            click.echo(text, nl=False)
        else:
            click.echo(f"{shown(request.file)}: {write(request.file, text)}")
