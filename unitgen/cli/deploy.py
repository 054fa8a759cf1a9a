"""``deploy``: set the version key of an environment's deployed services, and follow the
deploy the updater units do (docs/deploy.md); ``deploy status`` and ``deploy rollback``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from unitgen.cli.common import EXIT_INVALID, compiled_or_exit, env_option

ACTIONS = ("status", "rollback")


def _host(value: str | None) -> str | None:
    if value is not None and (not value or value.startswith("-")):
        raise click.BadParameter(f"{value!r} is not a host name", param_hint="--tunnel")
    return value


@click.command(short_help="Deploy a version (or: deploy status, deploy rollback) through etcd.")
@click.argument("version", metavar="VERSION|status|rollback")
@env_option
@click.option("--specs", type=click.Path(path_type=Path, file_okay=False), default="specs", help="The specs directory.")
@click.option("--endpoint", metavar="URL", help="etcdctl --endpoints (else etcdctl's default or $ETCDCTL_ENDPOINTS).")
@click.option(
    "--tunnel",
    metavar="HOST",
    callback=lambda ctx, param, value: _host(value),
    help="Run etcdctl on HOST through ssh, as fleetctl --tunnel reaches a cluster.",
)
@click.option(
    "--etcdctl", "etcdctl_path", metavar="PATH", default="etcdctl", help="The etcdctl to run (default: on PATH)."
)
@click.option("--dry-run", is_flag=True, help="Print the etcdctl writes, one per line, and write nothing.")
@click.option("--no-wait", is_flag=True, help="Set the key and return, without following the deploy.")
@click.option("--timeout", type=float, default=1800, metavar="SECONDS", help="How long to follow (default 1800).")
def deploy(
    version: str,
    environment: str | None,
    specs: Path,
    endpoint: str | None,
    tunnel: str | None,
    etcdctl_path: str,
    dry_run: bool,
    no_wait: bool,
    timeout: float,
) -> None:
    """Deploy VERSION of an environment's services that have [deploy]: their etcd
    version key is set to it (after recording the version it replaces), and the updater
    units on the machines pull, run the maintenance once and restart (docs/deploy.md).
    A live progress line follows the deploy unless --no-wait.

    `unitgen deploy status` prints, per service and machine, what is pulled, restarted,
    healthy or failed, the maintenance and the leader.  `unitgen deploy rollback`
    deploys the version the last deploy replaced.

    Exit status: 0 deployed (status: nothing failed), 1 the deploy failed, timed out or
    etcd could not be asked, 2 usage errors.

    \b
    Example:
      unitgen deploy v42 --env prod --endpoint http://10.0.0.5:2379
      unitgen deploy status --env prod
      unitgen deploy rollback --env prod --no-wait
    """
    from unitgen.fleet import deploy as steps

    result = compiled_or_exit(specs, environment, (), need_env=True)
    plans = [plan for plan in result.deploys if plan.environment == environment]
    if not plans:
        raise click.UsageError("no spec of this environment has a [deploy] section: nothing deploys")
    if version not in ACTIONS and not _is_version(version):
        raise click.BadParameter(f"{version!r} is not a version (letters, digits, '.', '_', '-')", param_hint="VERSION")
    etcd = steps.Etcdctl(etcdctl_path, plans[0].etcd_api, endpoint, tunnel)
    try:
        if version == "status":
            statuses = [steps.read_status(etcd, plan) for plan in plans]
            for status in statuses:
                click.echo("\n".join(steps.describe(status)))
            sys.exit(EXIT_INVALID if any(status.failed for status in statuses) else 0)
        if version == "rollback":
            version = steps.rollback_version([steps.read_status(etcd, plan) for plan in plans])
            click.echo(f"rolling back to {version}", err=True)
        writes = steps.deploy_writes(etcd, plans, version)
        for write in writes:
            if dry_run:
                click.echo(etcd.shell(*write.argv))
            else:
                etcd.checked(*write.argv)
        if dry_run or no_wait:
            return
        try:
            statuses = steps.follow(etcd, plans, timeout, _progress_line())
        finally:
            if sys.stderr.isatty():
                click.echo(err=True)  # below the progress line
    except steps.DeployError as error:
        click.echo(f"unitgen: {error}", err=True)
        sys.exit(EXIT_INVALID)
    failed = [status for status in statuses if status.failed]
    for status in failed:
        click.echo(f"unitgen: {status.plan.service}: the deploy of {version} stopped: {status.state}", err=True)
    if failed:
        click.echo(
            "the machines that had not restarted keep the version they ran; see: unitgen deploy status", err=True
        )
        sys.exit(EXIT_INVALID)
    click.echo(f"deployed {version}", err=True)


def _is_version(text: str) -> bool:
    return bool(text) and all(c.isascii() and (c.isalnum() or c in "._-") for c in text)


def _progress_line() -> Callable[[str], None]:
    """Show progress in place on a terminal, else a line each time it changes."""
    terminal = sys.stderr.isatty()
    last = [""]

    def show(text: str) -> None:
        if text == last[0]:
            return
        last[0] = text
        if terminal:
            click.echo(f"\r\x1b[K{text}", err=True, nl=False)
        else:
            click.echo(text, err=True)

    return show
