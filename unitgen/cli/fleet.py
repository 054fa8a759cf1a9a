"""``submit``: one environment's units handed to fleet with fleetctl, safely ordered."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import time
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import click

from unitgen.cli.common import (
    EXIT_INVALID,
    compile_command_line,
    compiled_or_exit,
    env_option,
    output_held,
    set_option,
    specs_argument,
    use_color,
)
from unitgen.compile.header import project_id
from unitgen.fleet.fleetctl import Fleetctl, FleetUnit, TimedOut
from unitgen.fleet.status import compare as compare_with_fleet
from unitgen.fleet.status import difference, orphans
from unitgen.output.interrupt import Interrupted, catching_signals
from unitgen.output.ondisk import shown

if TYPE_CHECKING:  # the compiler is loaded only by the commands that compile
    from unitgen.compile.compiler import CompileResult
    from unitgen.fleet import apply
    from unitgen.fleet.submit import Node

DEFAULT_TIMEOUT = 600.0
SETTLE_TIMEOUT = 15.0  # to read fleet's units once the run's own timeout passed


def fleet_options(function: Callable[..., None]) -> Callable[..., None]:
    """How to reach fleet: fleetctl and its global flags (shared by submit and status)."""
    for option in reversed(
        (
            click.option(
                "--endpoint", metavar="URL", help="fleetctl --endpoint (else fleetctl's default or $FLEETCTL_ENDPOINT)."
            ),
            click.option("--tunnel", metavar="HOST[:PORT]", help="fleetctl --tunnel (else $FLEETCTL_TUNNEL)."),
            click.option(
                "--driver",
                type=click.Choice(["API", "etcd"], case_sensitive=False),
                help="fleetctl --driver (else fleetctl's default, API, or $FLEETCTL_DRIVER).",
            ),
            click.option(
                "--fleetctl",
                "fleetctl_path",
                metavar="PATH",
                help="Run this fleetctl (default: [paths] fleetctl in unitgen.toml, else fleetctl on PATH).",
            ),
        )
    ):
        function = option(function)
    return function


@attrs.frozen
class Prepared:
    result: CompileResult
    order: list[Node]
    executable: str
    flags: list[str]
    where: str  # the output directory as shown


def prepare(
    specs: Path,
    environment: str | None,
    sets: tuple[str, ...],
    options: dict[str, str | None],
    fleetctl_path: str | None,
    doing: str,
) -> Prepared:
    """Compile, check out/ matches, order the units and find fleetctl; exit 1 (``doing`` untouched) if not."""
    from unitgen.compile.compiler import project_root
    from unitgen.fleet import submit as fleet
    from unitgen.output.drift import compare

    result = compiled_or_exit(specs, environment, sets, need_env=True, keep_ir=True)
    where = shown(result.out_dir)
    with output_held(result.out_dir, create=False, writing=False):  # an interrupted compile first
        drift = compare(result.files, result.out_dir, scope=result.scope)
    if not drift.in_sync:
        for change in drift.changes:
            click.echo(f"{where}/{change.path}: {change.kind}", err=True)
        click.echo(
            f"unitgen: {where}/ is out of date ({drift.summary()}); {doing}. "
            f"Run {compile_command_line(specs, environment, sets)} first.",
            err=True,
        )
        sys.exit(EXIT_INVALID)
    order = fleet.submission_order(result.units)
    executable = fleetctl_path or fleet.resolve_fleetctl(
        result.project.paths.fleetctl, Path(os.path.relpath(project_root(specs)))
    )
    return Prepared(result, order, executable, fleet.global_flags(options), where)


def fleetctl_or_exit(prepared: Prepared, specs: Path, doing: str, deadline: float | None = None) -> Fleetctl:
    if shutil.which(prepared.executable) is None:
        click.echo(
            f"unitgen: fleetctl not found: {prepared.executable!r} (set [paths] fleetctl in {specs}/unitgen.toml, "
            f"pass --fleetctl, or put fleetctl on PATH); {doing}",
            err=True,
        )
        sys.exit(EXIT_INVALID)
    return Fleetctl((prepared.executable, *prepared.flags), deadline)


def registry_or_exit(fleetctl: Fleetctl, doing: str) -> dict[str, FleetUnit]:
    """fleet's units, or exit 1 when fleetctl cannot list them (fleet unreachable)."""
    try:
        units, ran = fleetctl.unit_files()
    except TimedOut:
        click.echo(f"unitgen: fleetctl list-unit-files did not answer in time; {doing}", err=True)
        sys.exit(EXIT_INVALID)
    except OSError as error:
        click.echo(f"unitgen: cannot run {fleetctl.command[0]}: {error.strerror or error}; {doing}", err=True)
        sys.exit(EXIT_INVALID)
    if ran.status != 0:
        click.echo(ran.stderr.rstrip(), err=True)
        click.echo(f"unitgen: cannot read fleet's units (fleetctl exit status {ran.status}); {doing}", err=True)
        sys.exit(EXIT_INVALID)
    return units


def project_name(result: CompileResult, specs: Path) -> tuple[str, bool]:
    """(the name in the units' marker, whether unitgen.toml names it)."""
    return project_id(result.project.name, specs.resolve().name), result.project.name is not None


@click.command(short_help="Submit an environment's units with fleetctl, safely ordered, and say what fleet did.")
@specs_argument
@env_option
@set_option
@click.option("--start", is_flag=True, help="Also start the units (fleetctl start --replace), not only submit them.")
@click.option(
    "--no-block", is_flag=True, help="With --start: pass --no-block, so fleetctl does not wait for each unit to run."
)
@click.option(
    "--block-attempts",
    type=click.IntRange(min=1),
    metavar="N",
    help="With --start: fleetctl start --block-attempts=N (check N times whether each unit runs, then fail).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="Stop the whole run after this long (fleetctl start waits for a unit no machine may ever run).",
)
@click.option(
    "--prune",
    is_flag=True,
    help="Then destroy the units fleet holds that these specs generated for this environment and no longer do.",
)
@click.option("--dry-run", is_flag=True, help="Print the fleetctl commands, one per line, and run nothing.")
@fleet_options
def submit(
    specs: Path,
    environment: str | None,
    sets: tuple[str, ...],
    start: bool,
    no_block: bool,
    block_attempts: int | None,
    timeout: float,
    prune: bool,
    dry_run: bool,
    endpoint: str | None,
    tunnel: str | None,
    driver: str | None,
    fleetctl_path: str | None,
) -> None:
    """Hand one environment's units to fleet with fleetctl, in a safe order, and report
    what fleet did with each: created, replaced, unchanged, or refused.

    SPECS are compiled in memory and must match the output directory (run `unitgen
    compile` first): fleetctl reads the files there.  Order: every template first
    (`submit --replace out/ENV/app@.service`), then each unit after the units it
    requires, binds to, wants, follows or is MachineOf (so a service before its
    sidekicks); an instance is named beside its template (`out/ENV/app@1.service`, no
    instance file), so fleetctl rebuilds a changed instance from the new template.
    One unit per fleetctl call; the first failure stops the run.

    Without --start each unit is `fleetctl submit --replace`: fleet replaces a changed
    unit only while it is inactive and keeps the old text of a loaded or launched one,
    which unitgen reports as refused (exit status 1).  --start uses `fleetctl start
    --replace`, which replaces a unit in any state (a running one restarts with its new
    text) and waits for it to run unless --no-block; --block-attempts N bounds each
    wait, --timeout the whole run.  Each unit's state is read back from fleet: a unit
    is called running only when fleet reports it launched on a machine.

    --prune then destroys the units fleet holds whose [X-Unitgen] section names this
    project and environment and which the specs no longer generate; it needs `project`
    set in unitgen.toml.  `unitgen status` shows the same drift without changing it.

    --endpoint, --tunnel and --driver go to fleetctl as global flags; without them
    fleetctl reads FLEETCTL_ENDPOINT, FLEETCTL_TUNNEL, FLEETCTL_DRIVER (and its other
    FLEETCTL_* variables) from the environment, which unitgen passes on untouched.
    SIGINT or SIGTERM stops the run with the summary of what was done (exit 130, 143).

    \b
    Example:
      unitgen submit --env prod --dry-run
      unitgen submit --env prod --start --block-attempts 30 --tunnel bastion.example.com
      unitgen submit --env prod --start --prune
    """
    from unitgen.fleet import apply
    from unitgen.fleet import submit as fleet

    if no_block and not start:
        raise click.UsageError("--no-block applies to fleetctl start: use it with --start")
    if block_attempts is not None and (not start or no_block):
        raise click.UsageError("--block-attempts applies to a blocking fleetctl start: use it with --start")
    options = {"endpoint": endpoint, "tunnel": tunnel, "driver": driver}
    prepared = prepare(specs, environment, sets, options, fleetctl_path, "nothing submitted")
    where = prepared.where
    stray = fleet.instance_files(prepared.order, prepared.result.out_dir)
    if stray:
        click.echo(
            f"unitgen: instance files beside their templates ({', '.join(f'{where}/{p}' for p in stray)}): "
            "fleetctl would submit them as they are instead of building them from the template; "
            "remove them. Nothing submitted.",
            err=True,
        )
        sys.exit(EXIT_INVALID)
    project, named = project_name(prepared.result, specs)
    if prune and not named:
        raise click.UsageError(
            f'--prune destroys the units marked as this project\'s: name it first (project = "..." in '
            f"{specs}/unitgen.toml); without it the marker is the specs directory's name ({project}), "
            "which another project may share"
        )
    calls = fleet.plan_calls(
        prepared.order,
        fleetctl=prepared.executable,
        flags=prepared.flags,
        start=start,
        no_block=no_block,
        block_attempts=block_attempts,
        shown_dir=where,
    )
    if dry_run and not prune:
        for call in calls:
            click.echo(call.shell())
        return
    if not calls:
        click.echo("unitgen: no units to submit", err=True)
        return
    fleetctl = fleetctl_or_exit(prepared, specs, "nothing submitted", time.monotonic() + timeout)
    progress = apply.Progress.of(prepared.order)
    progress.before = registry_or_exit(fleetctl, "nothing submitted")
    if dry_run:
        for call in calls:
            click.echo(call.shell())
        for name in prune_targets(fleetctl, progress.before, prepared, project, environment):
            click.echo(shlex.join((*fleetctl.command, "destroy", name)))
        return
    echo = partial(click.echo, err=True)
    try:
        with catching_signals():
            apply.run(calls, progress, fleetctl, echo)
            if progress.stopped:  # the timeout ended a wait: fleet can still say what it holds
                fleetctl.deadline = time.monotonic() + SETTLE_TIMEOUT
            after, ran = fleetctl.unit_files()
            if ran.status == 0:
                progress.settle(after)
            if prune and progress.complete:
                for name in prune_targets(fleetctl, progress.after or {}, prepared, project, environment):
                    echo(f"+ {shlex.join((*fleetctl.command, 'destroy', name))}")
                    destroyed = fleetctl.run("destroy", name)
                    progress.pruned.append((name, destroyed.status == 0))
    except TimedOut:
        progress.stopped = "timeout"
    except Interrupted as stop:
        progress.stopped = str(stop)
        report_submit(progress, environment, timeout, specs, sets)
        sys.exit(stop.exit_status)
    sys.exit(report_submit(progress, environment, timeout, specs, sets))


def prune_targets(
    fleetctl: Fleetctl, held: Mapping[str, FleetUnit], prepared: Prepared, project: str, environment: str | None
) -> tuple[str, ...]:
    from unitgen.fleet.apply import expected_texts

    generated = expected_texts(prepared.order)
    return orphans(held, generated, fleetctl.cat, project, environment)


def report_submit(
    progress: apply.Progress, environment: str | None, timeout: float, specs: Path, sets: tuple[str, ...]
) -> int:
    """Print each unit's outcome and the problems; the exit status."""
    from unitgen.fleet import apply

    for line in apply.summary_lines(progress, f" ({environment})" if environment else ""):
        click.echo(line)
    way_out = compile_command_line(specs, environment, sets, "submit", "--start")
    problems = apply.problems(progress, way_out, timeout)
    if progress.stopped and progress.stopped != "timeout":
        problems.append(f"interrupted by {progress.stopped}: the units above are what was done")
    for problem in problems:
        click.secho(f"unitgen: {problem}", err=True, fg="red", color=use_color())
    return EXIT_INVALID if problems else 0


@click.command(short_help="Compare what fleet holds with the compiled units: missing, different, orphaned.")
@specs_argument
@env_option
@set_option
@fleet_options
def status(
    specs: Path,
    environment: str | None,
    sets: tuple[str, ...],
    endpoint: str | None,
    tunnel: str | None,
    driver: str | None,
    fleetctl_path: str | None,
) -> None:
    """Compare the units fleet holds with one environment's units in the output directory.

    A unit is missing when fleet does not have it, different when fleet holds other text
    (compared as fleet stores it: comments dropped, values trimmed; a diff is printed),
    orphaned when fleet holds it marked as this project's and environment's ([X-Unitgen])
    but the specs no longer generate it (`unitgen submit --prune` destroys those).
    Exit status 0 when fleet is in sync, 1 on drift.

    \b
    Example:
      unitgen status --env prod --tunnel bastion.example.com
    """
    from unitgen.fleet import apply

    options = {"endpoint": endpoint, "tunnel": tunnel, "driver": driver}
    prepared = prepare(specs, environment, sets, options, fleetctl_path, "nothing compared")
    fleetctl = fleetctl_or_exit(prepared, specs, "nothing compared")
    held = registry_or_exit(fleetctl, "nothing compared")
    project, _ = project_name(prepared.result, specs)
    generated = apply.expected_texts(prepared.order)
    drift = compare_with_fleet(held, generated, fleetctl.cat, project, environment)
    for name in drift.missing:
        click.echo(f"{name}: missing (fleet does not have it)")
    for name in drift.different:
        click.echo(f"{name}: different (fleet holds other text)")
        held_text = fleetctl.cat(name)
        if held_text is not None:
            for line in difference(name, held_text, generated[name]):
                click.echo(line)
    for name in drift.orphaned:
        click.echo(f"{name}: orphaned (marked Project={project}, no longer generated)")
    where = f"{prepared.where}/{environment}" if environment else prepared.where
    if drift.clean:
        click.echo(f"{where}: {len(drift.in_sync)} unit(s) in sync with fleet")
        return
    click.echo(f"unitgen: fleet differs from {where}/: {drift.summary()}", err=True)
    sys.exit(EXIT_INVALID)
