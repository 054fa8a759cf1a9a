"""Handing the compiled units of one environment to fleet with ``fleetctl``, safely ordered.

The order follows fleet v1.0.0's rules (``fleetctl`` §5 of the fleet notes):

1. every template first, ``fleetctl submit --replace out/ENV/app@.service``: templates are
   always inactive, so ``--replace`` always applies and the registry holds the new text;
2. then every unit that runs, dependencies before dependents: a plain unit is
   ``fleetctl submit --replace FILE`` (``start --replace FILE`` with ``--start``); an
   instance is named by a path beside its template, ``out/ENV/app@1.service``, with no
   instance file there, so fleetctl rebuilds a changed instance from the registry's
   template, which step 1 updated (the reverse order rebuilds from the stale one).

"Before" comes from the units themselves: ``After=`` and ``Before=`` order; ``Requires=``,
``BindsTo=``, ``Wants=`` and fleet's ``MachineOf=`` put the unit they name first unless an
explicit ordering says otherwise.  Sidekicks are ``BindsTo=`` their service, so they follow
it.  Ties keep the compile order (spec files by name, a service before its sidekicks); a
cycle the spec checks let through is broken at the earliest unit in that order.

One unit per fleetctl call, so that a failure says exactly which units fleet has.
"""

from __future__ import annotations

import heapq
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import attrs

from unitgen.compile.compiler import CompiledUnit

ORDERING_AFTER = ("After",)
ORDERING_BEFORE = ("Before",)
REQUIREMENTS = ("Requires", "BindsTo", "Wants")
GLOBAL_FLAGS = ("endpoint", "tunnel", "driver")


@attrs.frozen
class Node:
    """A unit fleetctl is asked about: a compiled file or an instance of a template."""

    name: str  # unit name, e.g. "app@1.service"
    path: str  # what fleetctl is given: the file, or the instance's name beside its template
    template: bool
    unit: CompiledUnit
    rank: tuple[int, int, int]  # compile order: (spec, instance, unit)


@attrs.frozen
class Call:
    argv: tuple[str, ...]
    units: tuple[str, ...]  # unit names this call submits or starts

    def shell(self) -> str:
        return shlex.join(self.argv)


_SPECIFIER = re.compile(r"%(.)")


def expand(value: str, name: str) -> str:
    """``%i %I %p %P %n %N %%`` of unit ``name`` in a relation value (a template's %i is empty)."""
    stem = name.rpartition(".")[0]
    prefix, _, instance = stem.partition("@")
    table = {"i": instance, "I": instance, "p": prefix, "P": prefix, "n": name, "N": stem, "%": "%"}
    return _SPECIFIER.sub(lambda m: table.get(m.group(1), m.group(0)), value)


def _names(unit: CompiledUnit, section: str, keys: Iterable[str], name: str) -> set[str]:
    found: set[str] = set()
    for key in keys:
        for value in unit.unit.values(section, key):
            found.update(expand(word, name) for word in value.split())
    return found


def nodes(units: Sequence[CompiledUnit]) -> tuple[list[Node], list[Node]]:
    """(templates, units that run) of one environment.

    Their rank keeps the compile order, with a spec's instances grouped by instance:
    ``app@1``, its sidekicks ``app-announce@1``…, then ``app@2``…
    """
    templates: list[Node] = []
    running: list[Node] = []
    first_of_spec: dict[str, int] = {}
    for index, unit in enumerate(units):
        spec_rank = first_of_spec.setdefault(unit.spec_name, index)
        if unit.unit.name.rpartition(".")[0].endswith("@"):
            templates.append(Node(unit.unit.name, unit.path, True, unit, (spec_rank, 0, index)))
            directory = unit.path.rpartition("/")[0]
            for i, name in enumerate(unit.instance_names(), start=1):
                running.append(
                    Node(name, f"{directory}/{name}" if directory else name, False, unit, (spec_rank, i, index))
                )
        else:
            running.append(Node(unit.unit.name, unit.path, False, unit, (spec_rank, 0, index)))
    return templates, running


@attrs.frozen
class Links:
    after: frozenset[str]  # After=: these first
    before: frozenset[str]  # Before=: these later
    needed: frozenset[str]  # Requires=, BindsTo=, Wants=, MachineOf=: these first, unless ordered otherwise


def links(node: Node) -> Links:
    unit, name = node.unit, node.name
    return Links(
        frozenset(_names(unit, "Unit", ORDERING_AFTER, name)),
        frozenset(_names(unit, "Unit", ORDERING_BEFORE, name)),
        frozenset(_names(unit, "Unit", REQUIREMENTS, name) | _names(unit, "X-Fleet", ("MachineOf",), name)),
    )


def dependencies(items: Sequence[Node]) -> dict[str, set[str]]:
    """For each unit of ``items``, the units of ``items`` to hand to fleet before it."""
    of = {node.name: links(node) for node in items}
    first: dict[str, set[str]] = {name: set(own.after) for name, own in of.items()}
    for name, own in of.items():
        for later in own.before:
            if later in first:
                first[later].add(name)
        for needed in own.needed - own.before:
            if needed in of and name not in of[needed].after:
                first[name].add(needed)
    return {name: {n for n in deps if n in of and n != name} for name, deps in first.items()}


def topological(items: Sequence[Node]) -> list[Node]:
    """Dependencies first; ties and cycles resolved by compile order."""
    known = {node.name: node for node in items}
    waiting = dependencies(items)
    ready = [(known[n].rank, n) for n, deps in waiting.items() if not deps]
    heapq.heapify(ready)
    ordered: list[Node] = []
    while waiting:
        # With none ready, a cycle: start it at the earliest unit.
        name = heapq.heappop(ready)[1] if ready else min(waiting, key=lambda n: known[n].rank)
        del waiting[name]
        ordered.append(known[name])
        for other, deps in waiting.items():
            if name in deps:
                deps.discard(name)
                if not deps:
                    heapq.heappush(ready, (known[other].rank, other))
    return ordered


def submission_order(units: Sequence[CompiledUnit]) -> list[Node]:
    templates, running = nodes(units)
    return [*topological(templates), *topological(running)]


def global_flags(options: Mapping[str, str | None]) -> list[str]:
    """fleetctl's global flags the user gave, in a fixed order; fleetctl reads FLEETCTL_* itself."""
    return [f"--{flag}={options[flag]}" for flag in GLOBAL_FLAGS if options.get(flag)]


def plan_calls(
    order: Sequence[Node],
    *,
    fleetctl: str,
    flags: Sequence[str] = (),
    start: bool = False,
    no_block: bool = False,
    block_attempts: int | None = None,
    shown_dir: str = "",
) -> list[Call]:
    """The fleetctl command lines for ``order``; paths are ``shown_dir/<relative path>``."""
    calls: list[Call] = []
    for node in order:
        path = f"{shown_dir}/{node.path}" if shown_dir else node.path
        if node.template or not start:
            command = ["submit", "--replace"]
        else:
            wait = ["--no-block"] if no_block else [f"--block-attempts={block_attempts}"] if block_attempts else []
            command = ["start", *wait, "--replace"]
        calls.append(Call((fleetctl, *flags, *command, path), (node.name,)))
    return calls


def resolve_fleetctl(setting: str, base: Path) -> str:
    """The fleetctl to run: a bare name stays a name (PATH lookup); a relative path is under ``base``."""
    if "/" not in setting:
        return setting
    path = Path(setting).expanduser()
    return str(path if path.is_absolute() else base / path)


def instance_files(order: Sequence[Node], out_dir: Path) -> list[str]:
    """Instance files beside their templates: fleetctl would use them as they are."""
    return [
        node.path
        for node in order
        if not node.template and node.unit.unit.name != node.name and (out_dir / node.path).exists()
    ]
