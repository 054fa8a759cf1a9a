"""The ``unitgen`` command: a cached ``unitgen check`` answers before the CLI loads.

``check`` runs on every commit.  When the cache knows the specs and ``out/`` matches it,
the answer is one line; loading click to parse the arguments would cost more than
everything else together.  So the plainest forms of ``check`` are recognised here, with
nothing but the standard library and ``cache``/``output``, and answered when the cache
can answer them.  Everything else, and any doubt, goes to the click CLI, which gives the
same answer the long way: ``tests/test_entry.py`` holds the two paths to the same output.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import NamedTuple


class CheckArguments(NamedTuple):
    specs: str
    environment: str | None
    sets: tuple[str, ...]


def main() -> None:
    if not answered_from_cache(sys.argv[1:]):
        from unitgen.cli import run

        run()


def answered_from_cache(argv: Sequence[str]) -> bool:
    """Print what ``unitgen check ARGV`` prints and return True, when the cache holds the
    answer, ``out/`` is in sync and nothing else needs saying; else print nothing."""
    if "_UNITGEN_COMPLETE" in os.environ:  # shell completion is click's
        return False
    arguments = parse_check(argv)
    if arguments is None:
        return False
    from unitgen import cache, output

    key = cache.key_for(arguments.specs, arguments.environment, arguments.sets)
    memo = None if key is None else cache.lookup(key)
    if memo is None or memo.diagnostics:  # warnings are replayed in colour by the CLI
        return False
    if not memo.matches_output():
        return False
    sys.stderr.write(f"{output.shown(memo.out_dir)}: {memo.units} unit(s) up to date\n")
    return True


def parse_check(argv: Sequence[str]) -> CheckArguments | None:
    """The arguments of ``check [SPECS] [-q] [--env ENV] [--set NAME=VALUE]...`` in the
    forms click accepts for them; None for anything else (help, other options, usage
    errors), which is left to click."""
    if not argv or argv[0] != "check":
        return None
    specs: str | None = None
    environment: str | None = None
    sets: list[str] = []
    words = list(argv[1:])
    while words:
        word = words.pop(0)
        if word in ("-q", "--quiet"):
            continue  # an in-sync check prints the same either way
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
    return CheckArguments(as_path_string(specs if specs is not None else "specs"), environment, tuple(sets))


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
