"""The command line: one click command per job, each calling ``compile_specs`` and the
stage that does the job.

Exit status: 0 success, 1 invalid input (specs, units or an out-of-date ``out/``),
2 usage errors.  No input produces a traceback; an internal error is reported in one
line (set UNITGEN_DEBUG=1 for the traceback).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from unitgen import __version__
from unitgen.diagnostics import Diagnostic, did_you_mean
from unitgen.output import cache
from unitgen.output.plan import shown

# The compiler is imported by the commands that compile: a memo answers ``check`` and an
# unchanged ``compile`` in less time than importing it takes.
if TYPE_CHECKING:
    from unitgen.compile.compiler import CompiledUnit, CompileResult

EXIT_INVALID = 1

_SEVERITY_COLORS = {"error": "red", "warning": "yellow", "note": "cyan"}


def use_color() -> bool | None:
    """Never with NO_COLOR set; else click decides (colour only on a terminal)."""
    return False if os.environ.get("NO_COLOR") else None


def echo_formatted(diagnostics: Iterable[tuple[str, str]]) -> None:
    """Diagnostics already formatted, as (severity, text): fresh ones, or a memo's."""
    for severity, text in diagnostics:
        click.secho(text, fg=_SEVERITY_COLORS[severity], err=True, color=use_color())


def echo_diagnostics(diagnostics: Iterable[Diagnostic], *, fmt: str = "text") -> None:
    items = list(diagnostics)
    if fmt == "json":
        import json

        click.echo(json.dumps([d.to_json() for d in items], indent=2, ensure_ascii=False))
        return
    echo_formatted((d.severity.value, d.format()) for d in items)


def summary(diagnostics: Iterable[Diagnostic]) -> str:
    items = list(diagnostics)
    errors = sum(1 for d in items if d.is_error)
    return f"{errors} error(s), {len(items) - errors} warning(s)"


def parse_sets(values: Iterable[str]) -> dict[str, str]:
    """``--set NAME=VALUE`` items as a mapping; a later item of the same name wins."""
    result = {}
    for item in values:
        name, equals, value = item.partition("=")
        if not name or not equals:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--set")
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


def _compile(specs: Path, environment: str | None, sets: tuple[str, ...]) -> CompileResult:
    """The one compile, with a request it cannot answer reported as a usage error."""
    from unitgen.compile.compiler import CompileRequestError, compile_specs

    overrides = parse_sets(sets)
    try:
        return compile_specs(specs, environment=environment, overrides=overrides)
    except CompileRequestError as error:
        raise click.UsageError(str(error)) from None


def _cache_key(specs: Path, environment: str | None, sets: tuple[str, ...], *, no_cache: bool) -> cache.Key | None:
    parse_sets(sets)  # a bad NAME=VALUE is a usage error before the cache is asked
    return None if no_cache else cache.key_for(specs, environment, sets)


def _remember(key: cache.Key | None, specs: Path, environment: str | None, sets: tuple[str, ...], result: CompileResult, diagnostics: list[Diagnostic]) -> None:
    """Memoise a compile without errors, unless a spec changed while it ran."""
    if key is not None and result.ok and cache.key_for(specs, environment, sets) == key:
        cache.store(key, cache.memo_of(result, specs, diagnostics))


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
    from unitgen.output import plan as output
    from unitgen.output.write import apply

    key = None if verify else _cache_key(specs, environment, sets, no_cache=no_cache)
    memo = None if key is None else cache.lookup(key)
    if memo is not None and memo.matches_output():
        echo_formatted(memo.diagnostics)
        _echo_compiled(memo.out_dir, memo.units, (0, 0, memo.units), memo.instances, quiet=quiet)
        return
    result = _compile(specs, environment, sets)
    diagnostics = result.diagnostics
    compiled_diagnostics = diagnostics.sorted()  # what a memo replays: not what plan adds below
    if verify and result.ok:
        from unitgen.compile.verify import verify_compiled

        verify_compiled(result, diagnostics)
    plan = output.plan(result.files, result.out_dir, diagnostics, force=force, scope=result.scope) if result.ok else None
    echo_diagnostics(diagnostics.sorted())
    if diagnostics.has_errors or plan is None:
        click.echo(f"unitgen: nothing written ({summary(diagnostics)})", err=True)
        sys.exit(EXIT_INVALID)
    apply(plan, result.files, result.out_dir)
    if memo is None:
        _remember(key, specs, environment, sets, result, compiled_diagnostics)
    counts = (len(plan.write), len(plan.remove), len(plan.unchanged))
    _echo_compiled(result.out_dir, len(result.units), counts, result.instances_to_start(), quiet=quiet)


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
            click.echo(f"instances to start{f' in {env}' if env else ''}: " + " ".join(f"{directory}/{n}" for n in names))


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


def _compiled_or_exit(specs: Path, environment: str | None, sets: tuple[str, ...], *, need_env: bool = False) -> CompileResult:
    """Compile in memory; print diagnostics; exit 1 when the specs do not compile."""
    result = _compile(specs, environment, sets)
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


_DIFF_COLORS: tuple[tuple[str, dict[str, str | bool]], ...] = (("+++", {"bold": True}), ("---", {"bold": True}), ("@@", {"fg": "cyan"}), ("+", {"fg": "green"}), ("-", {"fg": "red"}))


def _echo_diff(text: str) -> None:
    color = use_color()
    for line in text.splitlines():
        style = next((s for prefix, s in _DIFF_COLORS if line.startswith(prefix)), {})
        click.secho(line, color=color, **style)


def _drift(specs: Path, environment: str | None, sets: tuple[str, ...], *, quiet: bool, no_cache: bool) -> bool:
    """Print how out/ differs from the specs; True when it is up to date."""
    key = _cache_key(specs, environment, sets, no_cache=no_cache)
    memo = None if key is None else cache.lookup(key)
    if memo is not None and memo.matches_output():
        echo_formatted(memo.diagnostics)
        _echo_up_to_date(shown(memo.out_dir), memo.units)
        return True
    result = _compiled_or_exit(specs, environment, sets)
    if memo is None:
        _remember(key, specs, environment, sets, result, result.diagnostics.sorted())
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
        f"unitgen: {where}/ is out of date ({drift.summary()}); run: {_compile_command(specs, environment, sets)}",
        err=True,
        fg="red",
        color=color,
    )
    return False


def _echo_up_to_date(where: str, units: int) -> None:
    click.echo(f"{where}: {units} unit(s) up to date", err=True)


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
    where = shown(result.out_dir)
    drift = compare(result.files, result.out_dir, scope=result.scope)
    if not drift.in_sync:
        for change in drift.changes:
            click.echo(f"{where}/{change.path}: {change.kind}", err=True)
        click.echo(
            f"unitgen: {where}/ is out of date ({drift.summary()}); nothing submitted. "
            f"Run {_compile_command(specs, environment, sets)} first.",
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
    executable = fleetctl_path or fleet.resolve_fleetctl(result.project.paths.fleetctl, specs.parent)
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
    """The ``unitgen`` command: internal errors become one line, not a traceback."""
    try:
        main(standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as error:  # the last line of defence
        internal_error(error)


def internal_error(error: Exception) -> NoReturn:
    """A bug in unitgen: one line (UNITGEN_DEBUG=1 shows the traceback), exit status 3."""
    if os.environ.get("UNITGEN_DEBUG"):
        raise error
    click.echo(f"unitgen: internal error: {type(error).__name__}: {error} (set UNITGEN_DEBUG=1 for details)", err=True)
    sys.exit(3)
