"""What the commands share: options, printing diagnostics, the one compile, and holding
the output directory.

Exit status: 0 success, 1 invalid input (specs, units or an out-of-date ``out/``) or an
operating-system error in the output directory, 2 usage errors, 3 a bug in unitgen,
128 + N when signal N (SIGINT: 130, SIGTERM: 143) stopped a command holding ``out/``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from unitgen.output.ondisk import shown

# The compiler is imported by the commands that compile: a memo answers ``check`` and an
# unchanged ``compile`` in less time than importing it takes.
if TYPE_CHECKING:
    from unitgen.compile.compiler import CompileResult
    from unitgen.diagnostics import Diagnostic
    from unitgen.output import cache
    from unitgen.output.interrupt import Signals

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


specs_argument = click.argument(
    "specs", type=click.Path(path_type=Path, file_okay=False), default="specs", required=False
)


def raw_project(specs: Path) -> dict[str, Any]:
    """The project file's raw data, without the spec reader (no compile, errors ignored)."""
    import tomllib

    try:
        return tomllib.loads((specs / "unitgen.toml").read_text())
    except (OSError, ValueError):
        return {}


def project_file(ctx: click.Context) -> dict[str, Any]:
    """The project file's raw data, for shell completion."""
    return raw_project(Path(ctx.params.get("specs") or "specs"))


def complete_env(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    environments = project_file(ctx).get("environments", {})
    # A local environment (cluster = false) has no units: only compose offers it.
    everything = ctx.command.name == "compose"
    return [
        e
        for e in sorted(environments)
        if isinstance(e, str)
        and e.startswith(incomplete)
        and (everything or not (isinstance(environments[e], dict) and environments[e].get("cluster") is False))
    ]


env_option = click.option(
    "--env", "environment", metavar="ENV", help="Compile only this environment.", shell_complete=complete_env
)
set_option = click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="NAME=VALUE",
    help="Pin a compile-time value ({{ vars.NAME }}, {{ runtime.NAME }}).",
)
no_cache_option = click.option(
    "--no-cache", is_flag=True, help="Compile even when the cache knows the result (also: UNITGEN_NO_CACHE=1)."
)


def compile_or_usage_error(
    specs: Path, environment: str | None, sets: tuple[str, ...], *, keep_ir: bool = False, keep_specs: bool = False
) -> CompileResult:
    """The one compile, with a request it cannot answer reported as a usage error."""
    from unitgen.compile.compiler import CompileRequestError, compile_specs

    overrides = parse_sets(sets)
    try:
        return compile_specs(
            specs, environment=environment, overrides=overrides, keep_ir=keep_ir, keep_specs=keep_specs
        )
    except CompileRequestError as error:
        raise click.UsageError(str(error)) from None


def cached(
    specs: Path, environment: str | None, sets: tuple[str, ...], *, no_cache: bool
) -> tuple[cache.Key | None, cache.Memo | None]:
    """The cache's key for this compile (None when the cache is off) and the memo stored
    under it, if any."""
    parse_sets(sets)  # a bad NAME=VALUE is a usage error before the cache is asked
    if no_cache:
        return None, None
    from unitgen.output import cache

    key = cache.key_for(specs, environment, sets)
    return key, None if key is None else cache.lookup(key)


def remember(
    key: cache.Key | None,
    specs: Path,
    environment: str | None,
    sets: tuple[str, ...],
    result: CompileResult,
    diagnostics: list[Diagnostic],
) -> None:
    """Memoise a compile without errors, unless a spec changed while it ran."""
    if key is None or not result.ok:
        return
    from unitgen.output import cache

    if cache.key_for(specs, environment, sets) == key:
        cache.store(key, cache.memo_of(result, specs, diagnostics))


def compiled_or_exit(
    specs: Path,
    environment: str | None,
    sets: tuple[str, ...],
    *,
    need_env: bool = False,
    keep_ir: bool = False,
    keep_specs: bool = False,
) -> CompileResult:
    """Compile in memory; print diagnostics; exit 1 when the specs do not compile."""
    result = compile_or_usage_error(specs, environment, sets, keep_ir=keep_ir, keep_specs=keep_specs)
    if need_env and environment is None and result.project.environments:
        known = ", ".join(e for e in result.project.environments if e not in result.project.local_environments)
        raise click.UsageError(f"this project has environments ({known}): choose one with --env")
    echo_diagnostics(result.diagnostics.sorted())
    if result.diagnostics.has_errors:
        click.echo(f"unitgen: the specs do not compile ({summary(result.diagnostics)})", err=True)
        sys.exit(EXIT_INVALID)
    return result


def compile_command_line(
    specs: Path, environment: str | None, sets: tuple[str, ...], command: str = "compile", *extra: str
) -> str:
    import shlex

    words = ["unitgen", command, str(specs), *extra]
    if environment:
        words += ["--env", environment]
    for item in sets:
        words += ["--set", item]
    return shlex.join(words)


def lock_timeout() -> float:
    """How long to wait for another process writing out/: UNITGEN_LOCK_TIMEOUT seconds."""
    from unitgen.output.lock import DEFAULT_TIMEOUT

    given = os.environ.get("UNITGEN_LOCK_TIMEOUT", "")
    try:
        seconds = float(given) if given else DEFAULT_TIMEOUT
    except ValueError:
        raise click.UsageError(f"UNITGEN_LOCK_TIMEOUT={given!r} is not a number of seconds") from None
    if not seconds >= 0:
        raise click.UsageError(f"UNITGEN_LOCK_TIMEOUT={given!r} is not a number of seconds")
    return seconds


@contextmanager
def output_held(out_dir: str | os.PathLike[str], *, create: bool, writing: bool) -> Iterator[Signals]:
    """Hold out/ (see ``unitgen.output.guard``): an interrupted compile finished or undone
    and said so; a busy lock, an operating-system error or a signal reported, with the
    exit status that goes with it."""
    from unitgen.output import guard, lock
    from unitgen.output.failure import OutputFailure
    from unitgen.output.interrupt import Interrupted

    where = shown(out_dir)
    untouched = f"nothing written: {where}/ is as it was" if writing else f"{where}/ not checked"

    def tell(text: str) -> None:
        click.echo(f"unitgen: {where}/: {text}", err=True)

    try:
        with guard.holding(out_dir, create=create, timeout=lock_timeout(), tell=tell) as signals:
            yield signals
    except lock.Busy as busy:
        click.echo(
            f"unitgen: {where}/ {busy} (waited {busy.waited:.0f} s; UNITGEN_LOCK_TIMEOUT sets how long)", err=True
        )
        sys.exit(EXIT_INVALID)
    except OutputFailure as failure:
        from unitgen.diagnostics import Diagnostics

        found = Diagnostics()
        failure.report(found)
        echo_diagnostics(found)
        outcome = untouched if failure.undone else f"{where}/ is half-written: the next compile or check undoes it"
        click.echo(f"unitgen: {outcome}", err=True)
        sys.exit(EXIT_INVALID)
    except Interrupted as stop:
        click.echo(f"unitgen: interrupted by {stop}: {untouched}", err=True)
        sys.exit(stop.exit_status)
