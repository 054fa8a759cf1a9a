"""A unit's [X-Fleet] lines as the spec's ``[fleet]`` table: every option fleet knows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from unitgen.importing import spectext
from unitgen.importing.reader import FleetLine
from unitgen.systemd.fleetrules import XFLEET_ALIASES, is_truthy, split_value
from unitgen.systemd.golib import go_fields

FLEET_LISTS = {"MachineOf": "machine_of", "Conflicts": "conflicts", "Replaces": "replaces"}


def fleet_table(lines: Sequence[FleetLine], report: Callable[[str, int, str], None]) -> dict[str, Any]:
    """The [fleet] data of ``lines``; what fleet does not know, or a value the format cannot
    say, is reported (``report(code, line, message)``) and left out."""
    fleet: dict[str, Any] = {}
    for line in lines:
        try:
            _fleet_line(fleet, line, report)
        except spectext.NotSpecText as error:
            report("I103", line.line, f"[X-Fleet] {line.key}= not understood, left out: {error}")
    metadata = fleet.get("machine_metadata", {})
    for name, values in metadata.items():
        metadata[name] = values[0] if len(values) == 1 else values
    return fleet


def _fleet_line(fleet: dict[str, Any], line: FleetLine, report: Callable[[str, int, str], None]) -> None:
    key = XFLEET_ALIASES.get(line.key, line.key)
    values = split_value(line.value)
    if key == "Global":
        fleet["global"] = any(is_truthy(v) for v in values)
    elif key == "MachineID":
        fleet["machine_id"] = spectext.plain(values[-1])
    elif key == "MachineMetadata":
        metadata = fleet.setdefault("machine_metadata", {})
        for value in values:
            name, _, wanted = value.partition("=")
            metadata.setdefault(name, []).append(spectext.plain(wanted))
    elif key in FLEET_LISTS:
        items = [w for v in values for w in (go_fields(v) if key == "Conflicts" else [v])]
        fleet.setdefault(FLEET_LISTS[key], []).extend(spectext.plain(item) for item in items)
    else:
        report("I102", line.line, f"[X-Fleet] {line.key}= left out: fleet does not know it")
