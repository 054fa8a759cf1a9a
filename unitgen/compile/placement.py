"""The [X-Fleet] section: where fleet may schedule the unit."""

from __future__ import annotations

from unitgen.compile.encoding import SpecRenderer
from unitgen.compile.ir import UnitBuilder
from unitgen.spec.names import unit_reference_parts
from unitgen.spec.source import KeyPath
from unitgen.systemd import quoting
from unitgen.systemd.quoting import Part


def add_placement(renderer: SpecRenderer, out: UnitBuilder) -> None:
    spec = renderer.spec
    placement = spec.placement

    def line(key: str, text: str, path: KeyPath, prefix: str = "") -> None:
        word = renderer.encode(text, path, lambda parts: quoting.fleet_value(_fleet_parts(key, parts, prefix), key))
        if word is not None:
            out.add("X-Fleet", key, (word,), renderer.origin(path))

    if placement.global_:
        out.add("X-Fleet", "Global", "true", renderer.origin(("fleet", "global")))
    if placement.machine_id:
        line("MachineID", placement.machine_id, ("fleet", "machine_id"))
    for key, values in placement.machine_metadata:
        for value in values:
            line("MachineMetadata", value, ("fleet", "machine_metadata", key), key + "=")
    for i, name in enumerate(placement.machine_of):
        line("MachineOf", name, ("fleet", "machine_of", i))
    conflicts = placement.conflicts
    if spec.is_template and spec.spread_instances:
        own = f"{spec.name}@*.service"
        if own not in conflicts:
            conflicts = (own, *conflicts)
    for i, pattern in enumerate(conflicts):
        line("Conflicts", pattern, ("fleet", "conflicts", i))
    for i, pattern in enumerate(placement.replaces):
        line("Replaces", pattern, ("fleet", "replaces", i))


def _fleet_parts(key: str, parts: tuple[Part, ...], prefix: str) -> tuple[Part, ...]:
    """MachineOf names a unit as relations do; MachineMetadata is ``key=value``."""
    if key == "MachineOf":
        return unit_reference_parts(parts)
    return (prefix, *parts) if prefix else parts
