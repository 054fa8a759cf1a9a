"""``unitgen compile`` and the helpers it shares with ``check`` and ``diff``, without click.

The click command and the console entry point's fast path (``entry``) both run
``run_compile``: compiling never waits for click to load, which costs about as much as
compiling a hundred specs.  Click is loaded here only to print diagnostics, which it
colours on a terminal.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from pathlib import Path

EXIT_INVALID = 1


class UsageError(Exception):
    """A problem with how unitgen was called (exit status 2), not with the specs."""


def use_color() -> bool | None:
    if os.environ.get("NO_COLOR"):
        return False
    return None  # click decides: colour only on a terminal


_SEVERITY_COLORS = {"error": "red", "warning": "yellow", "note": "cyan"}


def echo(text: str, *, err: bool = False) -> None:
    """``click.echo`` of plain text: one line, flushed."""
    stream = sys.stderr if err else sys.stdout
    stream.write(text + "\n")
    stream.flush()


def internal_error(error: Exception) -> NoReturn:
    """The last line of defence: one line, not a traceback (UNITGEN_DEBUG=1 shows it)."""
    if os.environ.get("UNITGEN_DEBUG"):
        raise error
    echo(f"unitgen: internal error: {type(error).__name__}: {error} (set UNITGEN_DEBUG=1 for details)", err=True)
    sys.exit(3)


def echo_formatted(diagnostics: Iterable[tuple[str, str]]) -> None:
    """Diagnostics already formatted, as (severity, text): fresh ones, or a cache's."""
    items = list(diagnostics)
    if not items:
        return
    import click

    for severity, text in items:
        click.secho(text, fg=_SEVERITY_COLORS[severity], err=True, color=use_color())


def summary(diagnostics) -> str:  # type: ignore[no-untyped-def]
    errors = sum(1 for d in diagnostics if d.is_error)
    warnings = sum(1 for d in diagnostics if not d.is_error)
    return f"{errors} error(s), {warnings} warning(s)"


def compile_specs(specs: Path, environment: str | None, sets: tuple[str, ...], reading=None):  # type: ignore[no-untyped-def]
    """The compile; raises UsageError.  ``sets`` are valid NAME=VALUE items; ``reading``:
    the reading of the spec files, if the caller started it (``start_reading``)."""
    import gc

    from unitgen.entry import split_assignment

    overrides = dict(split_assignment(item) for item in sets)  # type: ignore[misc]
    # What the compile builds lives until the command ends: the cyclic collector need not
    # walk it, neither at once when it is switched back on (everything the compile made
    # counts as new then) nor for every batch of small objects that comparing and writing
    # create.  So it stays off until all of it is frozen out of its sight.
    collecting = gc.isenabled()
    gc.disable()
    reading = reading or start_reading(specs)
    try:
        from unitgen.compile.compiler import compile_specs

        return compile_specs(specs, environment=environment, overrides=overrides, reading=reading)
    finally:
        if reading is not None:
            reading.abandon()  # a compile that failed before it took the files read
        gc.freeze()
        if collecting:
            gc.enable()


def start_reading(specs: str | os.PathLike[str], *, memoised: bool = False):  # type: ignore[no-untyped-def]
    """Start reading the spec files (see ``reading``), so that it overlaps with loading
    the compiler and computing the cache key; None when SPECS is no directory (the
    compile says so).  ``memoised``: for a compile whose parses will be memoised."""
    from unitgen.spec.reading import start_reading

    return start_reading(specs, memoised=memoised) if os.path.isdir(specs) else None


def recalled_reading(specs: Path, key):  # type: ignore[no-untyped-def]
    """After a memo missed (an edit): the reading of the files the key read, parsing
    only those the memo of parses does not know, which it then learns; None without a
    key.  (The key's ``inputs`` and ``digests`` are the reading's now: the caller should
    drop them.)"""
    if key is None or key.inputs is None:
        return None
    from unitgen import parse_memo

    reading = parse_memo.reading(os.fspath(specs), key.inputs, key.digests, parse_memo.recall(key.slot, key.context))
    keep_parses(reading, key.slot, key.context)
    return reading


def keep_parses(reading, slot: str, context: str) -> None:  # type: ignore[no-untyped-def]
    """Have a memoised reading store what it parsed in the memo of parses as soon as it is
    done: an entry is right for its file's bytes whether or not the compile succeeds."""
    if reading is None:
        return
    from unitgen import parse_memo

    reading.keep = lambda entries: parse_memo.store(slot, context, entries)


# --- the cache: a memo of the last successful compile per specs and arguments -------------


def cache_key(specs: Path, environment: str | None, sets: tuple[str, ...], *, no_cache: bool):  # type: ignore[no-untyped-def]
    if no_cache:
        return None
    from unitgen.output import cache

    return cache.key_for(specs, environment, sets)


def caching(*, verify: bool, no_cache: bool) -> bool:
    """Whether compile looks for and stores memos (--verify runs systemd-analyze, which a
    memo knows nothing about)."""
    if verify or no_cache:
        return False
    from unitgen.memo_slot import disabled_by_environment  # not the cache: loading it is the cost of a miss

    return not disabled_by_environment()


def memo_may_answer(specs: str | os.PathLike[str], environment: str | None, sets: tuple[str, ...]) -> bool:
    from unitgen.memo_slot import may_answer

    return may_answer(specs, environment, sets)


def cache_context(specs: Path, environment: str | None, sets: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """All of the key but the spec files (``cache.Context``): found while the readers
    read, when no memo may answer; the key is completed once they are done."""
    from unitgen.output import cache

    return cache.context_for(specs, environment, sets)


def key_from_reading(context, specs: Path, reading):  # type: ignore[no-untyped-def]
    """The key completed with the digests the readers took of the very bytes they parsed
    (and the project file's); None when a file has none (it could not be read)."""
    digests = None if context is None or reading is None else reading.digests
    if digests is None:
        return None
    import hashlib

    from unitgen.output import cache
    from unitgen.files import read_bytes
    from unitgen.spec.reading import PROJECT_FILE

    project = os.path.join(specs, PROJECT_FILE)
    if os.path.lexists(project):
        try:
            digests = {**digests, PROJECT_FILE: hashlib.sha256(read_bytes(project)).digest()}
        except OSError:
            return None
    return cache.key_from_digests(context, digests)


def memo_for(key):  # type: ignore[no-untyped-def]
    if key is None:
        return None
    from unitgen.output import cache

    return cache.lookup(key)


def memo_in_sync(memo) -> bool:  # type: ignore[no-untyped-def]
    return memo is not None and memo.matches_output()


def remember(key, specs: Path, result, instances, diagnostics=None, files=None) -> None:  # type: ignore[no-untyped-def]
    """Memoise a compile without errors.  ``diagnostics``: the compile's own, sorted; by
    default what the result holds now, so call it before anything adds to them.
    ``files``: ``result.files``, if the caller has it."""
    if key is None or not result.ok:
        return
    from unitgen.output import cache

    cache.store(key, cache.entry_for(result, specs, instances, result.diagnostics.sorted() if diagnostics is None else diagnostics, files))


def instances_to_start(result) -> list[tuple[str | None, list[str]]]:  # type: ignore[no-untyped-def]
    """Per environment, the instances of its templates."""
    instances: dict[str | None, list[str]] = {env: [] for env in result.environments}
    for unit in result.units:  # a template's sidekicks run per instance too
        if "@." in unit.name:  # what every template's name holds: most units are not asked
            instances.setdefault(unit.environment, []).extend(unit.instance_names())
    return list(instances.items())


def env_scope(result) -> str | None:  # type: ignore[no-untyped-def]
    """With --env, only that environment's directory is compared for extra files."""
    return f"{result.selected}/" if result.selected else None


def shown(path: str | os.PathLike[str]) -> str:
    from unitgen.output.plan import shown

    return shown(path)  # type: ignore[arg-type]


def run_compile(
    specs: str | os.PathLike[str],
    environment: str | None,
    sets: tuple[str, ...],
    *,
    force: bool,
    verify: bool,
    quiet: bool,
    no_cache: bool,
) -> None:
    """Compile SPECS into the output directory and report; exits 1 on invalid input."""
    # Unless a memo may answer, the files are read from the start, and the key is made
    # after the compile from the digests the readers take (a first compile).  Where a memo
    # exists, its key is computed first: a worker would only compete with checking it, and
    # on a miss (an edit) the bytes the key read are parsed where the memo of parses does
    # not know them.  Whatever the compile needs besides reading is loaded after the
    # workers are forked, pathlib included.
    memoised = caching(verify=verify, no_cache=no_cache)
    may_answer = memoised and memo_may_answer(specs, environment, sets)
    reading = None if may_answer else start_reading(specs, memoised=memoised)
    try:
        from pathlib import Path

        from unitgen.output import plan as output

        directory = Path(specs)
        # Only a memo that may answer is looked for before compiling.  Otherwise the key
        # is made after the compile, of the digests its readers took of the bytes parsed.
        key = cache_key(directory, environment, sets, no_cache=False) if may_answer else None
        context = cache_context(directory, environment, sets) if memoised and not may_answer else None
        if context is not None:
            keep_parses(reading, context.slot, context.digest)
        memo = memo_for(key)
        if memo_in_sync(memo):
            _echo_compiled(memo.diagnostics, memo.out_dir, memo.units, (0, 0, memo.units), memo.instances, quiet=quiet)
            return
        if reading is None:
            reading = recalled_reading(directory, key)
        if key is not None:
            key = key._replace(inputs=None, digests=None)  # the reading's now, and let go with them
        result = compile_specs(directory, environment, sets, reading)
    finally:
        if reading is not None:
            reading.abandon()
    diagnostics = result.diagnostics
    compiled_diagnostics = diagnostics.sorted()  # what a memo replays: not what plan adds below
    if verify and result.ok:
        from unitgen.compile.verify import verify_compiled

        verify_compiled(result, diagnostics)
    files = result.files
    instances = instances_to_start(result)
    plan = None
    if result.ok:
        plan = output.plan(files, result.out_dir, diagnostics, force=force, scope=env_scope(result))
    echo_formatted((d.severity.value, d.format()) for d in diagnostics.sorted())
    if diagnostics.has_errors or plan is None:
        echo(f"unitgen: nothing written ({summary(diagnostics)})", err=True)
        sys.exit(EXIT_INVALID)

    def memoise() -> None:
        if memoised and memo is None:
            remember(key or key_from_reading(context, directory, reading), directory, result, instances, compiled_diagnostics, files)

    # The memo is stored while workers write out/ (when there is much to write): of what
    # follows the compile, only writing takes longer.  Not while plan's workers compare:
    # what storing builds would then add to what comparing holds, at 10,000 specs beyond
    # the memory a compile may take.
    output.apply(plan, files, result.out_dir, alongside=memoise)
    counts = (len(plan.write), len(plan.remove), len(plan.unchanged))
    _echo_compiled([], result.out_dir, len(files), counts, instances, quiet=quiet)
    global _left_to_exit
    _left_to_exit = (result, files, plan)


# What the last compile built, left for the end of the process to drop: freed object by
# object as run_compile returns, it took 15-25 ms after 1,000 specs, and the fast path
# ends the process without freeing anything (``entry.exit_at_once``).  One compile's worth:
# the next compile in the same process replaces it.
_left_to_exit: object = None


def _echo_compiled(diagnostics, out_dir, units: int, counts: tuple[int, int, int], instances, *, quiet: bool) -> None:  # type: ignore[no-untyped-def]
    """What compile prints once the plan is carried out (``diagnostics``: not printed yet)."""
    echo_formatted(diagnostics)
    if quiet:
        return
    where = shown(out_dir)
    written, removed, unchanged = counts
    echo(f"{where}: {units} unit(s), {written} written, {removed} removed, {unchanged} unchanged")
    for env, names in instances:
        if names:
            directory = f"{where}/{env}" if env else where
            echo(f"instances to start{f' in {env}' if env else ''}: " + " ".join(f"{directory}/{n}" for n in names))
