"""The ``unitgen`` command: ``compile`` and a cached ``check`` run before the CLI loads.

Loading click costs about as much as compiling a hundred specs, and ``check`` runs on
every commit.  So the plainest forms of ``compile`` and ``check`` are recognised here,
with nothing but the standard library: ``compile`` runs the same code the click command
runs (``compile_command``), and ``check`` is answered when the cache can answer it.
Everything else, and any doubt, goes to the click CLI, which gives the same answer the
long way: ``tests/test_entry.py`` holds the two paths to the same output.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence
from typing import NamedTuple


class CheckArguments(NamedTuple):
    specs: str
    environment: str | None
    sets: tuple[str, ...]


class CompileArguments(NamedTuple):
    specs: str
    environment: str | None
    sets: tuple[str, ...]
    quiet: bool = False
    force: bool = False
    no_cache: bool = False


def main() -> None:
    """The ``unitgen`` command: the console script and ``python -m unitgen``."""
    argv = sys.argv[1:]
    # One command, then the process ends: the cyclic collector would only walk what the
    # imports and the compile create (about a tenth of what importing costs), and it
    # frees nothing they need freed.  Commands that run long under click get it back.
    gc.disable()
    if answered_from_cache(argv) or compiled_without_click(argv):
        exit_at_once()
        return
    gc.enable()
    from unitgen.cli import run

    run()


def exit_at_once() -> None:
    """End the process with status 0 once its output is out, without the interpreter's
    teardown, which frees every object of the compile one by one (12 ms after 1,000
    specs, 20 ms after 10,000).  Nothing is left to do: files are written and closed,
    and no exit hook is registered on these paths.  If the output cannot be flushed
    (a closed pipe), return and let the interpreter report that as it always does."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    os._exit(0)


def answered_from_cache(argv: Sequence[str]) -> bool:
    """Print what ``unitgen check ARGV`` prints and return True, when the cache holds the
    answer, ``out/`` is in sync and nothing else needs saying; else print nothing."""
    if "_UNITGEN_COMPLETE" in os.environ:  # shell completion is click's
        return False
    arguments = parse_check(argv)
    if arguments is None:
        return False
    from unitgen.output import cache
    from unitgen.output import plan as output

    key = cache.key_for(arguments.specs, arguments.environment, arguments.sets)
    memo = None if key is None else cache.lookup(key)
    if memo is None or memo.diagnostics:  # warnings are replayed in colour by the CLI
        return False
    if not memo.matches_output():
        return False
    sys.stderr.write(f"{output.shown(memo.out_dir)}: {memo.units} unit(s) up to date\n")
    return True


def compiled_without_click(argv: Sequence[str]) -> bool:
    """Run ``unitgen compile ARGV`` and return True, for the plain forms of compile; on a
    usage error, return False having printed nothing, so that click explains it."""
    if "_UNITGEN_COMPLETE" in os.environ:
        return False
    arguments = parse_compile(argv)
    if arguments is None:
        return False
    from unitgen.compile_command import UsageError, run_compile

    try:
        run_compile(
            arguments.specs,
            arguments.environment,
            arguments.sets,
            force=arguments.force,
            verify=False,
            quiet=arguments.quiet,
            no_cache=arguments.no_cache,
        )
    except UsageError:  # raised before anything is printed
        return False
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as error:  # noqa: BLE001 - as the CLI's last line of defence
        from unitgen.compile_command import internal_error

        internal_error(error)
    return True


def parse_check(argv: Sequence[str]) -> CheckArguments | None:
    """The arguments of ``check [SPECS] [-q] [--env ENV] [--set NAME=VALUE]...`` in the
    forms click accepts for them; None for anything else (help, other options, usage
    errors), which is left to click."""
    parsed = _parse("check", argv, {"-q": "quiet", "--quiet": "quiet"})
    if parsed is None:
        return None
    specs, environment, sets, _ = parsed  # an in-sync check prints the same, quiet or not
    return CheckArguments(specs, environment, sets)


def parse_compile(argv: Sequence[str]) -> CompileArguments | None:
    """The arguments of ``compile [SPECS] [-q] [--force] [--no-cache] [--no-verify]
    [--env ENV] [--set NAME=VALUE]...``, as ``parse_check`` does for check."""
    flags = {"-q": "quiet", "--quiet": "quiet", "--force": "force", "--no-cache": "no_cache", "--no-verify": "no_verify"}
    parsed = _parse("compile", argv, flags)
    if parsed is None:
        return None
    specs, environment, sets, given = parsed
    return CompileArguments(specs, environment, sets, "quiet" in given, "force" in given, "no_cache" in given)


def _parse(command: str, argv: Sequence[str], flags: dict[str, str]) -> tuple[str, str | None, tuple[str, ...], set[str]] | None:
    if not argv or argv[0] != command:
        return None
    specs: str | None = None
    environment: str | None = None
    sets: list[str] = []
    given: set[str] = set()
    words = list(argv[1:])
    while words:
        word = words.pop(0)
        if word in flags:
            given.add(flags[word])
            continue
        name, equals, value = word.partition("=")
        if name in ("--env", "--set"):
            if not equals:
                if not words or words[0].startswith("-"):
                    return None
                value = words.pop(0)
            if name == "--env":
                environment = value
            elif split_assignment(value) is not None:
                sets.append(value)
            else:
                return None
            continue
        if word.startswith("-") or specs is not None:
            return None
        specs = word
    return as_path_string(specs if specs is not None else "specs"), environment, tuple(sets), given


def as_path_string(word: str) -> str:
    """``str(pathlib.Path(word))``, as click's Path type hands SPECS to the CLI ("specs/"
    becomes "specs"), so both paths compute the same cache key, without importing
    pathlib.  POSIX keeps exactly two leading slashes; "." parts and repeated slashes go,
    ".." stays (it is not "go up" where a symlink is involved)."""
    root = "//" if word.startswith("//") and not word.startswith("///") else "/" if word.startswith("/") else ""
    parts = [part for part in word.split("/") if part and part != "."]
    return root + "/".join(parts) or "."


def split_assignment(item: str) -> tuple[str, str] | None:
    """``--set NAME=VALUE`` as (NAME, VALUE); None when it is not one (no "=", no name)."""
    name, equals, value = item.partition("=")
    return (name, value) if name and equals else None
