"""Command line: thin click commands; each imports only the stages it runs.

Exit status: 0 success, 1 invalid input (specs, units or an out-of-date ``out/``),
2 usage errors.  No input produces a traceback; an internal error is reported in one
line (set UNITGEN_DEBUG=1 for the traceback).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

import click

from unitgen import __version__
from unitgen import compile_command as commands
from unitgen.compile_command import echo_formatted, summary, use_color

EXIT_INVALID = 1
EXIT_USAGE = 2


def echo_diagnostics(diagnostics: Iterable, *, fmt: str = "text") -> None:  # type: ignore[type-arg]
    items = list(diagnostics)
    if fmt == "json":
        import json

        click.echo(json.dumps([d.to_json() for d in items], indent=2, ensure_ascii=False))
        return
    echo_formatted((d.severity.value, d.format()) for d in items)


def parse_sets(values: Iterable[str]) -> dict[str, str]:
    from unitgen.entry import split_assignment

    result = {}
    for item in values:
        assignment = split_assignment(item)
        if assignment is None:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--set")
        name, value = assignment
        result[name] = value
    return result


specs_argument = click.argument("specs", type=click.Path(path_type=Path, file_okay=False), default="specs", required=False)


def _project_file(ctx: click.Context) -> dict:  # type: ignore[type-arg]
    """The project file's raw data, for shell completion (no compile, errors ignored)."""
    import tomllib

    specs = Path(ctx.params.get("specs") or "specs")
    try:
        return tomllib.loads((specs / "unitgen.toml").read_text())
    except (OSError, ValueError):
        return {}


def _complete_env(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    environments = _project_file(ctx).get("environments", {})
    return [e for e in sorted(environments) if isinstance(e, str) and e.startswith(incomplete)]


env_option = click.option(
    "--env", "environment", metavar="ENV", help="Compile only this environment.", shell_complete=_complete_env
)
set_option = click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="Pin a compile-time value ({{ vars.NAME }}, {{ runtime.NAME }}).")
no_cache_option = click.option(
    "--no-cache", is_flag=True, help="Compile even when the cache knows the result (also: UNITGEN_NO_CACHE=1)."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="unitgen")
def main() -> None:
    """Compile TOML service specs into systemd unit files for fleet.

    \b
    Example:
      unitgen compile specs/               # writes out/<env>/*.service
      unitgen check                        # pre-commit/CI: is out/ up to date?
      unitgen lint out/                    # checks any unit files
      unitgen submit --env prod --dry-run  # the fleetctl commands, safely ordered

    Exit status: 0 success, 1 invalid specs or units or an out-of-date out/,
    2 usage error.  Colour only on a terminal, never with NO_COLOR set.  Shell
    completion: eval "$(_UNITGEN_COMPLETE=bash_source unitgen)" (zsh_source,
    fish_source; see docs/cli.md).
    """


def _compile(specs: Path, environment: str | None, sets: tuple[str, ...], reading=None):  # type: ignore[no-untyped-def]
    from unitgen.compile_command import UsageError

    parse_sets(sets)  # a bad NAME=VALUE is a usage error before anything runs
    try:
        return commands.compile_specs(specs, environment, sets, reading)
    except UsageError as error:
        raise click.UsageError(str(error)) from None


@main.command(short_help="Compile the specs into the output directory.")
@specs_argument
@env_option
@set_option
@click.option("--force", is_flag=True, help="Overwrite or remove generated files that were edited by hand.")
@click.option("--verify/--no-verify", default=False, help="Also run systemd-analyze verify on the compiled units (hermetic root).")
@click.option("-q", "--quiet", is_flag=True, help="Print only problems.")
@no_cache_option
def compile(
    specs: Path, environment: str | None, sets: tuple[str, ...], force: bool, verify: bool, quiet: bool, no_cache: bool
) -> None:
    """Compile every spec in SPECS (default: specs/) into the output directory.

    Nothing is written unless every spec compiles; each file is replaced atomically;
    units unitgen generated earlier and no longer produces are removed; files it did
    not generate are never touched.

    \b
    Example:
      unitgen compile specs/ --env prod --set version=v42
    """
    from unitgen.compile_command import UsageError, run_compile

    parse_sets(sets)  # a bad NAME=VALUE is a usage error before anything runs
    try:
        run_compile(specs, environment, sets, force=force, verify=verify, quiet=quiet, no_cache=no_cache)
    except UsageError as error:
        raise click.UsageError(str(error)) from None


@main.command(short_help="Check unit files, generated or hand-written.")
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


def _compiled_or_exit(specs: Path, environment: str | None, sets: tuple[str, ...], *, need_env: bool = False, reading=None):  # type: ignore[no-untyped-def]
    """Compile in memory; print diagnostics; exit 1 when the specs do not compile."""
    result = _compile(specs, environment, sets, reading)
    if need_env and environment is None and result.project.environments:
        known = ", ".join(result.project.environments)
        raise click.UsageError(f"this project has environments ({known}): choose one with --env")
    echo_diagnostics(result.diagnostics.sorted())
    if result.diagnostics.has_errors:
        click.echo(f"unitgen: the specs do not compile ({summary(result.diagnostics)})", err=True)
        sys.exit(EXIT_INVALID)
    return result


def _compile_command(specs: Path, environment: str | None, sets: tuple[str, ...]) -> str:
    import shlex

    words = ["unitgen", "compile", str(specs)]
    if environment:
        words += ["--env", environment]
    for item in sets:
        words += ["--set", item]
    return shlex.join(words)


_DIFF_COLORS = (("+++", {"bold": True}), ("---", {"bold": True}), ("@@", {"fg": "cyan"}), ("+", {"fg": "green"}), ("-", {"fg": "red"}))


def _echo_diff(text: str) -> None:
    color = use_color()
    for line in text.splitlines():
        style = next((s for prefix, s in _DIFF_COLORS if line.startswith(prefix)), {})
        click.secho(line, color=color, **style)  # type: ignore[arg-type]


def _drift(specs: Path, environment: str | None, sets: tuple[str, ...], *, quiet: bool, no_cache: bool) -> bool:
    """Print how out/ differs from the specs; True when it is up to date."""
    key = commands.cache_key(specs, environment, sets, no_cache=no_cache)
    memo = commands.memo_for(key)
    if commands.memo_in_sync(memo):
        echo_formatted(memo.diagnostics)
        _echo_up_to_date(commands.shown(memo.out_dir), memo.units)
        return True
    reading = commands.recalled_reading(specs, key)
    if key is not None:
        key = key._replace(inputs=None, digests=None)  # the reading's now, and let go with them
    result = _compiled_or_exit(specs, environment, sets, reading=reading)
    if memo is None:
        commands.remember(key, specs, result, commands.instances_to_start(result))
    from unitgen.output.drift import compare

    drift = compare(result.files, result.out_dir, scope=commands.env_scope(result))
    shown = commands.shown(result.out_dir)
    if not quiet:
        for change in drift.changes:
            _echo_diff(change.diff(f"{shown}/{change.path}"))
    color = use_color()
    for change in drift.changes:
        click.secho(f"{shown}/{change.path}: {change.describe()}", err=True, fg="yellow", color=color)
    if drift.in_sync:
        _echo_up_to_date(shown, len(drift.unchanged))
        return True
    click.secho(
        f"unitgen: {shown}/ is out of date ({drift.summary()}); run: {_compile_command(specs, environment, sets)}",
        err=True,
        fg="red",
        color=color,
    )
    return False


def _echo_up_to_date(shown: str, units: int) -> None:
    click.echo(f"{shown}: {units} unit(s) up to date", err=True)


@main.command(short_help="Fail when out/ is out of date; touch nothing.")
@specs_argument
@env_option
@set_option
@click.option("-q", "--quiet", is_flag=True, help="List the units that are out of date, without the diff.")
@no_cache_option
def check(specs: Path, environment: str | None, sets: tuple[str, ...], quiet: bool, no_cache: bool) -> None:
    """Fail (exit 1) when the output directory is not what SPECS compile to.

    Validates the specs, compiles them in memory exactly as `compile` does and compares
    the result with the output directory, touching nothing: every stale, missing or
    extra unit is listed, with a unified diff on stdout (from the file on disk to the
    compiled text).  Files unitgen did not generate are never "extra".  For pre-commit
    and CI; `unitgen diff` shows the same without failing.

    \b
    Example:
      unitgen check                 # specs/ against out/, all environments
      unitgen check specs/ --env prod --set version=v42 -q
    """
    if not _drift(specs, environment, sets, quiet=quiet, no_cache=no_cache):
        sys.exit(EXIT_INVALID)


@main.command(short_help="Show how out/ differs from the compiled specs.")
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


@main.command(short_help="Submit an environment's units with fleetctl, safely ordered.")
@specs_argument
@env_option
@set_option
@click.option("--start", is_flag=True, help="Also start the units (fleetctl start --replace), not only submit them.")
@click.option("--no-block", is_flag=True, help="With --start: pass --no-block, so fleetctl does not wait for each unit to run.")
@click.option("--dry-run", is_flag=True, help="Print the fleetctl commands, one per line, and run nothing.")
@click.option("--endpoint", metavar="URL", help="fleetctl --endpoint (else fleetctl's default or $FLEETCTL_ENDPOINT).")
@click.option("--tunnel", metavar="HOST[:PORT]", help="fleetctl --tunnel (else $FLEETCTL_TUNNEL).")
@click.option(
    "--driver",
    type=click.Choice(["API", "etcd"], case_sensitive=False),
    help="fleetctl --driver (else fleetctl's default, API, or $FLEETCTL_DRIVER).",
)
@click.option("--fleetctl", "fleetctl_path", metavar="PATH", help="Run this fleetctl (default: [paths] fleetctl in unitgen.toml, else fleetctl on PATH).")
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

    from unitgen.fleet import submit as fleet
    from unitgen.output.drift import compare

    if no_block and not start:
        raise click.UsageError("--no-block applies to fleetctl start: use it with --start")
    result = _compiled_or_exit(specs, environment, sets, need_env=True)
    shown = commands.shown(result.out_dir)
    drift = compare(result.files, result.out_dir, scope=commands.env_scope(result))
    if not drift.in_sync:
        for change in drift.changes:
            click.echo(f"{shown}/{change.path}: {change.kind}", err=True)
        click.echo(
            f"unitgen: {shown}/ is out of date ({drift.summary()}); nothing submitted. "
            f"Run {_compile_command(specs, environment, sets)} first.",
            err=True,
        )
        sys.exit(EXIT_INVALID)
    order = fleet.submission_order(result.units)
    stray = fleet.instance_files(order, result.out_dir)
    if stray:
        click.echo(
            f"unitgen: instance files beside their templates ({', '.join(f'{shown}/{p}' for p in stray)}): "
            "fleetctl would submit them as they are instead of building them from the template; "
            "remove them. Nothing submitted.",
            err=True,
        )
        sys.exit(EXIT_INVALID)
    executable = fleetctl_path or fleet.resolve_fleetctl(result.project.paths.fleetctl, specs.parent)
    calls = fleet.plan_calls(
        order,
        fleetctl=executable,
        flags=fleet.global_flags({"endpoint": endpoint, "tunnel": tunnel, "driver": driver}),
        start=start,
        no_block=no_block,
        shown_dir=shown,
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


@main.command(short_help="Print the JSON Schema of the spec format.")
@click.option("--project", "project_file", is_flag=True, help="The schema of the project file (unitgen.toml) instead of a spec.")
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
    out = specs.parent / str(_project_file(ctx).get("output", "out"))
    names = {p.name for p in out.rglob("*.service")} if out.is_dir() else set()
    return sorted(n for n in names if n.startswith(incomplete))


def _pick_unit(result, name: str):  # type: ignore[no-untyped-def]
    """The compiled unit NAME means: a path under out/, a unit name, or a spec-style short name."""
    from unitgen.diagnostics import did_you_mean

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
    raise click.UsageError(f"{name!r} is compiled for several environments ({environments}): add --env ENV, or name it ENV/{found[0].unit.name}")


@main.command(short_help="Print one compiled unit.")
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
    result = _compiled_or_exit(specs, environment, sets)
    click.echo(_pick_unit(result, name).text, nl=False)


@main.command(short_help="Print the dependency and placement graph (DOT, Mermaid).")
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

    result = _compiled_or_exit(specs, environment, sets)
    built = graphs.build(result.units)
    click.echo(graphs.to_dot(built) if fmt == "dot" else graphs.to_mermaid(built), nl=False)


def run() -> None:
    """Entry point wrapper: internal errors become one line, not a traceback."""
    try:
        main(standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as error:  # noqa: BLE001 - the last line of defence
        commands.internal_error(error)
