"""What fleet v1.0.0 refuses, or silently misreads, in an ``[X-Fleet]`` section.

``xfleet_problems`` serves the compiler (on each unit it is about to write) and ``unitgen
lint`` (on unit files).  How fleet reads the lines is in ``fleetrules``; see
../shared/reference/fleet.md §1, §2 and §6.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from unitgen.diagnostics import Severity
from unitgen.systemd.fleetrules import TRUTHY, FleetProblem, FleetValue, expand_specifiers, is_truthy, read_lines
from unitgen.systemd.golib import glob_matches, go_fields, pattern_problem
from unitgen.systemd.unitnames import split_name, systemd_name_problem

_CLEARLY_FALSE = frozenset({"false", "no", "0", "off", "f", ""})
_WHITESPACE = re.compile(r"\s")
_GLOB_CHARS = re.compile(r"[*?\[\\]")
_MACHINE_ID = re.compile(r"[0-9a-f]{32}|[0-9a-f]{8}")


def xfleet_problems(options: Sequence[tuple[str, str]], unit_name: str | None) -> list[FleetProblem]:
    """Everything fleet v1.0.0 refuses or silently misreads in these [X-Fleet] lines.

    ``options`` are the section's (key, raw value) lines in order; ``unit_name`` (or None)
    is the unit's file name, used to expand %n %N %p %i as fleet does when it schedules.
    """
    grouped, problems = read_lines(options)
    machine_ids = grouped.get("MachineID", [])
    peers = grouped.get("MachineOf", [])
    conflicts = [(v, pattern) for v in grouped.get("Conflicts", ()) for pattern in go_fields(v.value)]
    replaces = grouped.get("Replaces", [])
    global_values = grouped.get("Global", [])
    metadata = grouped.get("MachineMetadata", [])
    problems += _machine_id(machine_ids)
    problems += _machine_of(peers)
    problems += _metadata(metadata)
    problems += _globs(conflicts, replaces)
    problems += _global(global_values)
    problems += _refused(machine_ids, peers, conflicts, replaces, global_values)
    if unit_name and peers:  # without MachineOf peers nothing can be unsatisfiable
        refused_peers = {p.option_index for p in problems if p.code in ("L402", "L403")}
        unsatisfiable = _unsatisfiable(peers, [pattern for _, pattern in conflicts], replaces, unit_name)
        problems += [p for p in unsatisfiable if p.option_index not in refused_peers]
    return problems


def _machine_id(ids: Sequence[FleetValue]) -> list[FleetProblem]:
    problems = []
    for position, v in enumerate(ids):
        if position > 0:
            problems.append(
                FleetProblem.warning(
                    "L414",
                    f"only the first MachineID value counts; '{v.value}' is ignored",
                    v.option_index,
                )
            )
        elif "%" not in v.value and not _MACHINE_ID.fullmatch(v.value):
            problems.append(
                FleetProblem.warning(
                    "L414",
                    f"MachineID '{v.value}' is neither a 32-hex-digit machine ID nor its first 8 digits: no machine will match",
                    v.option_index,
                    "use the value of /etc/machine-id",
                )
            )
    return problems


def _machine_of(peers: Sequence[FleetValue]) -> list[FleetProblem]:
    problems = []
    for v in peers:
        why = None
        if not v.value.strip():
            why = "an empty peer name"
        elif _WHITESPACE.search(v.value):
            why = f"one peer named '{v.value}' (MachineOf is never split on blanks)"
        elif _GLOB_CHARS.search(v.value):
            why = f"a glob '{v.value}', but MachineOf takes exact unit names only"
        elif "%" not in v.value and systemd_name_problem(v.value):
            why = f"'{v.value}', which is not a valid unit name"
        if why:
            problems.append(
                FleetProblem.warning(
                    "L408",
                    f"MachineOf= names {why}: no such unit is ever scheduled, so this unit never is either",
                    v.option_index,
                    "one MachineOf= line per peer unit",
                )
            )
    return problems


def _metadata(values: Sequence[FleetValue]) -> list[FleetProblem]:
    problems = []
    for v in values:
        parts = v.value.split("=")
        if len(parts) == 2 and parts[0] and parts[1]:
            if parts[0][-1] in "<>!":
                problems.append(
                    FleetProblem.warning(
                        "L406",
                        f"MachineMetadata={v.value} is no comparison: fleet v1.0.0 matches exactly, so this requires "
                        f"a metadata key '{parts[0]}' with the value '{parts[1]}'",
                        v.option_index,
                        "list the accepted values, one key=value each (same key: any of them)",
                    )
                )
            continue
        if v.value == "":
            continue  # an empty item between two spaces: dropped and harmless
        problems.append(
            FleetProblem.warning(
                "L406",
                f"MachineMetadata value '{v.value}' is not exactly key=value with both sides non-empty: fleet drops it silently, so the constraint vanishes",
                v.option_index,
                'one key=value per line, or "k1=v1" "k2=v2"',
            )
        )
    return problems


def _globs(conflicts: Sequence[tuple[FleetValue, str]], replaces: Sequence[FleetValue]) -> list[FleetProblem]:
    problems = []
    patterns = [*conflicts, *((v, v.value) for v in replaces)]
    for v, pattern in patterns:
        problem = pattern_problem(pattern)
        if problem:
            problems.append(
                FleetProblem.warning(
                    "L412",
                    f"{v.key} pattern '{pattern}' is not a valid glob (Go path.Match: {problem}): fleet treats it as matching nothing",
                    v.option_index,
                )
            )
    return problems


def _global(values: Sequence[FleetValue]) -> list[FleetProblem]:
    problems = []
    for v in values:
        lowered = v.value.lower()
        if lowered in TRUTHY or lowered in _CLEARLY_FALSE:
            continue
        problems.append(
            FleetProblem.warning(
                "L410",
                f"fleet reads Global={v.value} as false (it accepts only true, yes, 1, on, t)",
                v.option_index,
                "write Global=true",
            )
        )
    return problems


def _refused(
    machine_ids: Sequence[FleetValue],
    peers: Sequence[FleetValue],
    conflicts: Sequence[tuple[FleetValue, str]],
    replaces: Sequence[FleetValue],
    global_values: Sequence[FleetValue],
) -> list[FleetProblem]:
    """api.ValidateOptions: compared literally, since fleet checks a nameless job."""
    problems = []
    for peer in peers:
        for _, pattern in conflicts:
            if glob_matches(pattern, peer.value):
                problems.append(
                    _refusal(
                        "L402",
                        f'unresolvable requirements: peer "{peer.value}" matches conflict "{pattern}"',
                        "the unit must run beside a unit it conflicts with",
                        peer.option_index,
                    )
                )
        for v in replaces:
            if glob_matches(v.value, peer.value):
                problems.append(
                    _refusal(
                        "L403",
                        f'unresolvable requirements: peer "{peer.value}" matches replace "{v.value}"',
                        "the unit must run beside the unit it pushes off its machine",
                        peer.option_index,
                    )
                )
    # The placement rules present, each with the line it is blamed on.  Every MachineID
    # alias line is a MachineID value, so machine_ids[0] is the first such line.
    first_line: dict[str, int] = {}
    if machine_ids:
        first_line["MachineID"] = machine_ids[0].option_index
    if peers:
        first_line["Peers"] = peers[0].option_index
    if conflicts:
        first_line["Conflicts"] = conflicts[0][0].option_index
    if global_values and is_truthy(global_values[-1].value):
        first_line["Global"] = global_values[-1].option_index
    if replaces:
        first_line["Replaces"] = replaces[0].option_index
    if len(first_line) < 2:
        return problems  # each exclusive rule needs two of them
    for (first, second), why in _EXCLUSIVE_RULES.items():
        if first in first_line and second in first_line:
            line = max(first_line[first], first_line[second])
            problems.append(_refusal("L401", f"{first} cannot be used with {second}", why, line))
    return problems


_EXCLUSIVE_RULES = {
    ("MachineID", "Peers"): "a unit pinned to one machine cannot also follow its MachineOf peers",
    ("MachineID", "Conflicts"): "a unit pinned to one machine cannot also avoid others",
    ("MachineID", "Global"): "a global unit runs everywhere, not on one machine",
    ("MachineID", "Replaces"): "a unit pinned to one machine cannot move to where another runs",
    ("Global", "Peers"): "a global unit runs everywhere, so it cannot follow MachineOf peers",
    ("Global", "Replaces"): "a global unit runs everywhere, so it cannot replace another",
    ("Conflicts", "Replaces"): "fleet forbids combining these two placement rules",
}


def _refusal(code: str, fleet_message: str, meaning: str, index: int | None) -> FleetProblem:
    return FleetProblem(code, Severity.ERROR, f"fleet refuses the unit: '{fleet_message}' ({meaning})", index)


def _sample_names(unit_name: str) -> list[str]:
    """The names fleet will expand specifiers with: the unit itself, or instances of a template."""
    prefix, instance, suffix = split_name(unit_name)
    if instance == "":
        return [f"{prefix}@{sample}.{suffix}" for sample in ("1", "x")]
    return [unit_name]


def _unsatisfiable(
    peers: Sequence[FleetValue], conflicts: Sequence[str], replaces: Sequence[FleetValue], unit_name: str
) -> list[FleetProblem]:
    """Requirements that pass fleet's literal check but can never hold once expanded.

    fleet validates a nameless job, then expands %n %N %p %i per unit when it schedules.
    ``conflicts`` are the Conflicts patterns, already split on blanks.
    """
    patterns = [*conflicts, *(v.value for v in replaces)]
    patterns_expand = any("%" in p for p in patterns)
    samples = _sample_names(unit_name)
    problems = []
    for peer in peers:
        if "%" not in peer.value and not patterns_expand:
            continue  # nothing to expand: the literal check already decided
        reasons = []
        for name in samples:
            expanded = expand_specifiers(peer.value, name)
            if expanded == name:
                reasons.append(
                    f"for {name} MachineOf={peer.value} names the unit itself, which cannot run before it runs"
                )
                continue
            clash = next(
                (pattern for pattern in patterns if glob_matches(expand_specifiers(pattern, name), expanded)),
                None,
            )
            if clash is not None:
                reasons.append(
                    f"for {name} peer '{expanded}' matches Conflicts/Replaces '{expand_specifiers(clash, name)}'"
                )
        if reasons and len(reasons) == len(samples):
            problems.append(
                FleetProblem.warning(
                    "L411",
                    "MachineOf can never be satisfied once fleet expands the specifiers: "
                    + reasons[0]
                    + "; fleet accepts the unit but never schedules it",
                    peer.option_index,
                )
            )
    return problems
