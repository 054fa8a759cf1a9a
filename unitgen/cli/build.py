"""``compile``, ``check`` and ``diff``: the specs against the output directory."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from unitgen.cli.common import (
    EXIT_INVALID,
    cached,
    compile_command_line,
    compile_or_usage_error,
    compiled_or_exit,
    echo_diagnostics,
    echo_formatted,
    env_option,
    no_cache_option,
    output_held,
    remember,
    set_option,
    specs_argument,
    summary,
    use_color,
)
from unitgen.cli.compose import compose_drift
from unitgen.output.ondisk import shown

if TYPE_CHECKING:
    from unitgen.output import cache


@click.command(short_help="Compile the specs into the output directory.")
@specs_argument
@env_option
@set_option
@click.option("--force", is_flag=True, help="Overwrite or remove generated files that were edited by hand.")
@click.option(
    "--verify/--no-verify", default=False, help="Also run systemd-analyze verify on the compiled units (hermetic root)."
)
@click.option("-q", "--quiet", is_flag=True, help="Print only problems.")
@no_cache_option
def compile(
    specs: Path, environment: str | None, sets: tuple[str, ...], force: bool, verify: bool, quiet: bool, no_cache: bool
) -> None:
    """Compile every spec in SPECS (default: specs/) into the output directory.

    Nothing is written unless every spec compiles, and then out/ is written as one
    transaction: it ends as it was or as the specs say, whatever fails or interrupts
    the write (a later compile or check finishes or undoes a write cut short by kill -9
    or a power cut).  Units these specs generated earlier and no longer produce are
    removed; files unitgen did not generate, or generated from another specs
    directory, are never touched.  One compile writes out/ at a time: another waits
    up to UNITGEN_LOCK_TIMEOUT seconds (default 10).

    \b
    Example:
      unitgen compile specs/ --env prod --set version=v42
    """
    key, memo = cached(specs, environment, sets, no_cache=no_cache or verify)
    if memo is not None:
        with output_held(memo.out_dir, create=False, writing=True):
            if memo.matches_output():
                echo_formatted(memo.diagnostics)
                _echo_compiled(memo.out_dir, memo.units, (0, 0, memo.units), memo.instances, quiet=quiet)
                return
    from unitgen.output import plan as output
    from unitgen.output.write import apply

    result = compile_or_usage_error(specs, environment, sets, keep_ir=verify)
    if environment in result.project.local_environments:
        raise click.UsageError(
            f"{environment} is a local environment (cluster = false): it has no units; "
            f"its Compose file: unitgen compose --env {environment}"
        )
    diagnostics = result.diagnostics
    compiled_diagnostics = diagnostics.sorted()  # what a memo replays: not what plan adds below
    if verify and result.ok:
        from unitgen.compile.verify import verify_compiled

        verify_compiled(result, diagnostics)
    with output_held(result.out_dir, create=result.ok, writing=True) as signals:
        plan = (
            output.plan(result.files, result.out_dir, diagnostics, force=force, scope=result.scope)
            if result.ok
            else None
        )
        echo_diagnostics(diagnostics.sorted())
        if diagnostics.has_errors or plan is None:
            click.echo(f"unitgen: nothing written ({summary(diagnostics)})", err=True)
            sys.exit(EXIT_INVALID)
        apply(plan, result.files, result.out_dir, signals)
    if memo is None:
        remember(key, specs, environment, sets, result, compiled_diagnostics)
    counts = (len(plan.write), len(plan.remove), len(plan.unchanged))
    _echo_compiled(result.out_dir, len(result.units), counts, result.instances_to_start(), quiet=quiet)
    if plan.leftovers and not quiet:
        click.echo(f"removed {len(plan.leftovers)} temporary file(s) an interrupted older unitgen left", err=True)
    if signals.pending is not None:
        name = signal.Signals(signals.pending).name
        click.echo(f"unitgen: interrupted by {name} once {shown(result.out_dir)}/ was written in full", err=True)
        sys.exit(128 + signals.pending)


def _echo_compiled(
    out_dir: str | os.PathLike[str],
    units: int,
    counts: tuple[int, int, int],
    instances: Iterable[tuple[str | None, Iterable[str]]],
    *,
    quiet: bool,
) -> None:
    """What compile prints once out/ is in sync."""
    if quiet:
        return
    where = shown(out_dir)
    written, removed, unchanged = counts
    click.echo(f"{where}: {units} unit(s), {written} written, {removed} removed, {unchanged} unchanged")
    for env, names in instances:
        names = list(names)
        if names:
            directory = f"{where}/{env}" if env else where
            click.echo(
                f"instances to start{f' in {env}' if env else ''}: " + " ".join(f"{directory}/{n}" for n in names)
            )


# Prefix of a unified diff's line -> (colour, bold); the first that matches applies.
_DIFF_STYLES: tuple[tuple[str, str | None, bool], ...] = (
    ("+++", None, True),
    ("---", None, True),
    ("@@", "cyan", False),
    ("+", "green", False),
    ("-", "red", False),
)


def _echo_diff(text: str) -> None:
    color = use_color()
    for line in text.splitlines():
        fg, bold = next(((fg, bold) for prefix, fg, bold in _DIFF_STYLES if line.startswith(prefix)), (None, False))
        click.secho(line, fg=fg, bold=bold or None, color=color)


def _drift(specs: Path, environment: str | None, sets: tuple[str, ...], *, quiet: bool, no_cache: bool) -> bool:
    """Print how out/ and the declared Compose files differ from the specs; True when
    they are up to date."""
    key, memo = cached(specs, environment, sets, no_cache=no_cache)
    if memo is not None:
        with output_held(memo.out_dir, create=False, writing=False):
            pass  # an interrupted compile finished or undone before out/ is read
        if memo.matches_output():
            echo_formatted(memo.diagnostics)
            _echo_up_to_date(shown(memo.out_dir), memo.units)
            return not memo.compose_files or _compose_drift(specs, environment, quiet=quiet)
    units_in_sync = _compiled_drift(specs, environment, sets, key, memo, quiet=quiet)
    return _compose_drift(specs, environment, quiet=quiet) and units_in_sync


def _compose_drift(specs: Path, environment: str | None, *, quiet: bool) -> bool:
    return compose_drift(specs, environment, quiet=quiet, echo_diff=_echo_diff)


def _compiled_drift(
    specs: Path,
    environment: str | None,
    sets: tuple[str, ...],
    key: cache.Key | None,
    memo: cache.Memo | None,
    *,
    quiet: bool,
) -> bool:
    """Compile in memory and print how out/ differs; True when it is up to date."""
    result = compiled_or_exit(specs, environment, sets)
    if memo is None:  # else out/ was recovered above: a memo names the out/ this compile has
        remember(key, specs, environment, sets, result, result.diagnostics.sorted())
        with output_held(result.out_dir, create=False, writing=False):
            pass
    from unitgen.output.drift import compare

    drift = compare(result.files, result.out_dir, scope=result.scope)
    where = shown(result.out_dir)
    if not quiet:
        for change in drift.changes:
            _echo_diff(change.diff(f"{where}/{change.path}"))
    color = use_color()
    for change in drift.changes:
        click.secho(f"{where}/{change.path}: {change.describe()}", err=True, fg="yellow", color=color)
    if drift.in_sync:
        _echo_up_to_date(where, len(drift.unchanged))
        return True
    click.secho(
        f"unitgen: {where}/ is out of date ({drift.summary()}); run: {compile_command_line(specs, environment, sets)}",
        err=True,
        fg="red",
        color=color,
    )
    return False


def _echo_up_to_date(where: str, units: int) -> None:
    click.echo(f"{where}: {units} unit(s) up to date", err=True)


@click.command(short_help="Fail when out/ is out of date; touch nothing.")
@specs_argument
@env_option
@set_option
@click.option("-q", "--quiet", is_flag=True, help="List the units that are out of date, without the diff.")
@no_cache_option
def check(specs: Path, environment: str | None, sets: tuple[str, ...], quiet: bool, no_cache: bool) -> None:
    """Fail (exit 1) when the output directory is not what SPECS compile to.

    Validates the specs, compiles them in memory exactly as `compile` does and compares
    the result with the output directory, touching nothing (but first it finishes or
    undoes a compile that was interrupted while writing): every stale, missing or
    extra unit is listed, with a unified diff on stdout (from the file on disk to the
    compiled text).  Files unitgen did not generate are never "extra".  The Compose
    files unitgen.toml declares ([compose.ENV] file) are compared too.  For pre-commit
    and CI; `unitgen diff` shows the same without failing.

    \b
    Example:
      unitgen check                 # specs/ against out/, all environments
      unitgen check specs/ --env prod --set version=v42 -q
    """
    if not _drift(specs, environment, sets, quiet=quiet, no_cache=no_cache):
        sys.exit(EXIT_INVALID)


@click.command(short_help="Show how out/ differs from the compiled specs.")
@specs_argument
@env_option
@set_option
@no_cache_option
def diff(specs: Path, environment: str | None, sets: tuple[str, ...], no_cache: bool) -> None:
    """Show how the output directory differs from what SPECS compile to.

    The same unified diff as `unitgen check`, but out-of-date units are not a failure:
    the exit status is 0 unless the specs themselves do not compile (1).

    \b
    Example:
      unitgen diff --env stage | less -R
    """
    _drift(specs, environment, sets, quiet=False, no_cache=no_cache)


# --- submit -----------------------------------------------------------------------------
