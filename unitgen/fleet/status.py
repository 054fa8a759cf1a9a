"""What fleet holds against what the specs generate: missing, different, orphaned units.

A unit is this project's when fleet's copy carries the ``[X-Unitgen]`` section with this
project's name and environment (see ``compile.header``); only such a unit is ever called
orphaned or pruned, never another project's or one written by hand.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping

import attrs

from unitgen.fleet.fleetctl import FleetUnit, fleet_hash, marker
from unitgen.systemd.gounitfile import fleet_text


@attrs.frozen
class Drift:
    in_sync: tuple[str, ...]
    missing: tuple[str, ...]
    different: tuple[str, ...]
    orphaned: tuple[str, ...]  # marked as ours, no longer generated: instances before templates

    @property
    def clean(self) -> bool:
        return not (self.missing or self.different or self.orphaned)

    def summary(self) -> str:
        return f"{len(self.missing)} missing, {len(self.different)} different, {len(self.orphaned)} orphaned"


def is_ours(text: str, project: str, environment: str | None) -> bool:
    found = marker(text)
    return found.get("Project") == project and found.get("Environment") == environment


def orphans(
    held: Mapping[str, FleetUnit],
    generated: Mapping[str, str],
    cat: Callable[[str], str | None],
    project: str,
    environment: str | None,
) -> tuple[str, ...]:
    """Units fleet holds, marked as this project's and environment's, that the specs no
    longer generate; instances first, so that a template is destroyed after them."""
    found = []
    for name in sorted(set(held) - set(generated)):
        text = cat(name)
        if text is not None and is_ours(text, project, environment):
            found.append(name)
    return tuple(sorted(found, key=lambda name: name.rpartition(".")[0].endswith("@")))


def compare(
    held: Mapping[str, FleetUnit],
    generated: Mapping[str, str],
    cat: Callable[[str], str | None],
    project: str,
    environment: str | None,
) -> Drift:
    in_sync, missing, different = [], [], []
    for name, text in generated.items():
        unit = held.get(name)
        if unit is None:
            missing.append(name)
        elif unit.hash == fleet_hash(text):
            in_sync.append(name)
        else:
            different.append(name)
    return Drift(tuple(in_sync), tuple(missing), tuple(different), orphans(held, generated, cat, project, environment))


def difference(name: str, held: str, generated: str) -> list[str]:
    """A unified diff from fleet's copy to the generated unit, both as fleet stores them."""
    wanted = fleet_text(generated.encode("utf-8", "surrogateescape")) or generated
    return list(
        difflib.unified_diff(
            held.splitlines(), wanted.splitlines(), f"{name}\tin fleet", f"{name}\tgenerated", lineterm=""
        )
    )
