"""``submit``: one environment's units handed to fleet with fleetctl, safely ordered."""

from __future__ import annotations

import os
import sys
from pathlib import Path

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
from unitgen.output.plan import shown


@click.command(short_help="Submit an environment's units with fleetctl, safely ordered.")
@specs_argument
@env_option
@set_option
@click.option("--start", is_flag=True, help="Also start the units (fleetctl start --replace), not only submit them.")
@click.option(
    "--no-block", is_flag=True, help="With --start: pass --no-block, so fleetctl does not wait for each unit to run."
)
@click.option("--dry-run", is_flag=True, help="Print the fleetctl commands, one per line, and run nothing.")
@click.option("--endpoint", metavar="URL", help="fleetctl --endpoint (else fleetctl's default or $FLEETCTL_ENDPOINT).")
@click.option("--tunnel", metavar="HOST[:PORT]", help="fleetctl --tunnel (else $FLEETCTL_TUNNEL).")
@click.option(
    "--driver",
    type=click.Choice(["API", "etcd"], case_sensitive=False),
    help="fleetctl --driver (else fleetctl's default, API, or $FLEETCTL_DRIVER).",
)
@click.option(
    "--fleetctl",
    "fleetctl_path",
    metavar="PATH",
    help="Run this fleetctl (default: [paths] fleetctl in unitgen.toml, else fleetctl on PATH).",
)
def submit(
    specs: Path,
    environment: str | None,
    sets: tuple[str, ...],
    start: bool,
    no_block: bool,
    dry_run: bool,
    endpoint: str | None,
    tunnel: str | None,
    driver: str | None,
    fleetctl_path: str | None,
) -> None:
    """Hand one environment's units to fleet with fleetctl, in a safe order.

    SPECS are compiled in memory and must match the output directory (run `unitgen
    compile` first): fleetctl reads the files there.  Order: every template first
    (`submit --replace out/ENV/app@.service`), then each unit after the units it
    requires, binds to, wants, follows or is MachineOf (so a service before its
    sidekicks); an instance is named beside its template (`out/ENV/app@1.service`, no
    instance file), so fleetctl rebuilds a changed instance from the new template.
    One unit per fleetctl call; the first failure stops the run and reports which
    units were submitted and which were not.

    Without --start each unit is `fleetctl submit --replace`: fleet replaces a
    changed unit only while it is inactive, and leaves a running one as it is with a
    warning.  --start uses `fleetctl start --replace`, which replaces a unit in any
    state (a running one restarts with its new text) and waits for it to run unless
    --no-block.

    --endpoint, --tunnel and --driver go to fleetctl as global flags; without them
    fleetctl reads FLEETCTL_ENDPOINT, FLEETCTL_TUNNEL, FLEETCTL_DRIVER (and its other
    FLEETCTL_* variables) from the environment, which unitgen passes on untouched.

    \b
    Example:
      unitgen submit --env prod --dry-run
      unitgen submit --env prod --start --tunnel bastion.example.com
    """
    import shutil

    from unitgen.compile.compiler import project_root
    from unitgen.fleet import submit as fleet
    from unitgen.output.drift import compare

    if no_block and not start:
        raise click.UsageError("--no-block applies to fleetctl start: use it with --start")
    result = compiled_or_exit(specs, environment, sets, need_env=True, keep_ir=True)
    where = shown(result.out_dir)
    with output_held(result.out_dir, create=False, writing=False):  # an interrupted compile first
        drift = compare(result.files, result.out_dir, scope=result.scope)
    if not drift.in_sync:
        for change in drift.changes:
            click.echo(f"{where}/{change.path}: {change.kind}", err=True)
        click.echo(
            f"unitgen: {where}/ is out of date ({drift.summary()}); nothing submitted. "
            f"Run {compile_command_line(specs, environment, sets)} first.",
            err=True,
        )
        sys.exit(EXIT_INVALID)
    order = fleet.submission_order(result.units)
    stray = fleet.instance_files(order, result.out_dir)
    if stray:
        click.echo(
            f"unitgen: instance files beside their templates ({', '.join(f'{where}/{p}' for p in stray)}): "
            "fleetctl would submit them as they are instead of building them from the template; "
            "remove them. Nothing submitted.",
            err=True,
        )
        sys.exit(EXIT_INVALID)
    executable = fleetctl_path or fleet.resolve_fleetctl(
        result.project.paths.fleetctl, Path(os.path.relpath(project_root(specs)))
    )
    calls = fleet.plan_calls(
        order,
        fleetctl=executable,
        flags=fleet.global_flags({"endpoint": endpoint, "tunnel": tunnel, "driver": driver}),
        start=start,
        no_block=no_block,
        shown_dir=where,
    )
    if dry_run:
        for call in calls:
            click.echo(call.shell())
        return
    if not calls:
        click.echo("unitgen: no units to submit", err=True)
        return
    if shutil.which(executable) is None:
        click.echo(
            f"unitgen: fleetctl not found: {executable!r} (set [paths] fleetctl in {specs}/unitgen.toml, "
            "pass --fleetctl, or put fleetctl on PATH); nothing submitted",
            err=True,
        )
        sys.exit(EXIT_INVALID)
    outcome = fleet.run_calls(calls, before=lambda call: click.echo(f"+ {call.shell()}", err=True))
    where = f" ({environment})" if environment else ""
    verb = "submitted and started" if start else "submitted"
    if outcome.ok:
        click.echo(f"{len(outcome.submitted)} unit(s) {verb}{where}: {' '.join(outcome.submitted)}")
        return
    assert outcome.failed is not None
    reason = outcome.error or f"exit status {outcome.status}"
    color = use_color()
    click.secho(f"unitgen: fleetctl failed ({reason}): {outcome.failed.shell()}", err=True, fg="red", color=color)
    click.echo(f"{verb}{where}: {' '.join(outcome.submitted) or 'none'}", err=True)
    click.echo(f"not {verb}: {' '.join(outcome.not_submitted)}", err=True)
    sys.exit(130 if outcome.error == "interrupted" else EXIT_INVALID)


# --- schema, render, graph --------------------------------------------------------------
