"""fleet v1.0.0's reading of an ``[X-Fleet]`` section: its keys, how a line splits into values,
truthiness, and the specifiers it expands.

Shared by the compiler (which must never emit what fleet refuses or misreads) and by
``unitgen lint``.  Every rule cites the fleet behaviour it models; see
../shared/reference/fleet.md §1, §2 and §6.  What fleet then refuses or misreads is in
``fleetproblems``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import attrs

from unitgen.diagnostics import Severity, did_you_mean
from unitgen.systemd.unitnames import split_name

# Deprecated spellings fleet still reads, mapped to the requirement they feed.
XFLEET_ALIASES: dict[str, str] = {
    "X-ConditionMachineID": "MachineID",
    "X-ConditionMachineBootID": "MachineID",
    "X-ConditionMachineOf": "MachineOf",
    "X-ConditionMachineMetadata": "MachineMetadata",
    "X-Conflicts": "Conflicts",
}
XFLEET_CANONICAL: frozenset[str] = frozenset(
    {"MachineID", "MachineOf", "MachineMetadata", "Conflicts", "Global", "Replaces"}
)
XFLEET_KEYS: frozenset[str] = XFLEET_CANONICAL | frozenset(XFLEET_ALIASES)
# isTruthyValue (fleet:job/job.go), compared lower-cased.
TRUTHY = frozenset({"true", "yes", "1", "on", "t"})
# The only specifiers unitPrintf replaces; everything else after '%' stays literal.
FLEET_SPECIFIERS = frozenset("nNpi")
# Each '%' is looked at on its own: fleet has no '%%' escape, so "%%n" still expands %n.
_PERCENT = re.compile(r"%(?=(.?))", re.S)
_WHITESPACE = re.compile(r"\s")


@attrs.frozen
class FleetProblem:
    code: str
    severity: Severity
    message: str
    option_index: int | None = None  # index into the options given, None: the whole section
    hint: str | None = None

    @classmethod
    def warning(cls, code: str, message: str, option_index: int | None, hint: str | None = None) -> FleetProblem:
        return cls(code, Severity.WARNING, message, option_index, hint)


@attrs.frozen
class FleetValue:
    """One value fleet reads from an [X-Fleet] line (a quoted line can hold several)."""

    key: str  # canonical key
    value: str
    option_index: int


def split_value(raw: str) -> list[str]:
    """fleet's mapOptions + parseMultivalueLine: the values one ``Key=raw`` line yields.

    Only a raw value that starts *and* ends with '"' is split, on single ASCII spaces
    outside quotes, and every '"' is dropped; anything else is one value.
    """
    if not (raw.startswith('"') and raw.endswith('"')):
        return [raw]
    values: list[str] = []
    current: list[str] = []
    quoted = False
    # Split on '"' first so the loop runs per quoted/unquoted run, not per character.
    for index, run in enumerate(raw.split('"')):
        if index:
            quoted = not quoted
        if quoted:
            current.append(run)
            continue
        pieces = run.split(" ")
        current.append(pieces[0])
        for piece in pieces[1:]:
            values.append("".join(current))
            current = [piece]
    values.append("".join(current))
    return values


def is_truthy(value: str) -> bool:
    """fleet's isTruthyValue: Global=y and Global=enabled are false."""
    return value.lower() in TRUTHY


def expand_specifiers(value: str, unit_name: str) -> str:
    """fleet's unitPrintf: successive plain replacement of %n %N %p %i (no '%%' escape)."""
    prefix, instance, suffix = split_name(unit_name)
    without_suffix = unit_name[: -len(suffix) - 1] if suffix else unit_name
    value = value.replace("%n", unit_name)
    value = value.replace("%N", without_suffix)
    value = value.replace("%p", prefix)
    return value.replace("%i", instance or "")


def read_lines(options: Sequence[tuple[str, str]]) -> tuple[dict[str, list[FleetValue]], list[FleetProblem]]:
    """One pass over the lines: the values fleet reads, and the problems each line shows on its own.

    The values are grouped by canonical key, each group in line order: every later rule looks
    at one or a few keys.  The problems are unknown keys, then misleading splits, then literal '%'.
    """
    grouped: dict[str, list[FleetValue]] = {}
    unknown: list[FleetProblem] = []
    splitting: list[FleetProblem] = []
    specifiers: list[FleetProblem] = []
    for index, (key, raw) in enumerate(options):
        canonical = XFLEET_ALIASES.get(key, key)
        if canonical not in XFLEET_CANONICAL:
            unknown.append(_unknown_key(index, key))
            continue  # fleet neither reads, splits nor expands a key it does not know
        grouped.setdefault(canonical, []).extend(FleetValue(canonical, value, index) for value in split_value(raw))
        if canonical != "Conflicts":  # Conflicts is also split on any whitespace, so lists work there
            split = _line_splitting(index, key, raw, canonical)
            if split:
                splitting.append(split)
        literal = _literal_specifiers(index, key, raw)
        if literal:
            specifiers.append(literal)
    return grouped, unknown + splitting + specifiers


def _unknown_key(index: int, key: str) -> FleetProblem:
    return FleetProblem.warning(
        "L404",
        f"fleet does not know [X-Fleet] key '{key}': fleetctl only warns "
        f"'unrecognized requirement in [X-Fleet] section: \"{key}\"' and the scheduler ignores it",
        index,
        did_you_mean(key, XFLEET_KEYS) or f"known keys: {', '.join(sorted(XFLEET_CANONICAL))}",
    )


def _line_splitting(index: int, key: str, raw: str, canonical: str) -> FleetProblem | None:
    """Whether fleet splits this line differently from how it reads."""
    if '"' in raw:
        if raw.startswith('"') and raw.endswith('"') and len(raw) > 1:  # a quoted list
            if "\t" in raw:
                return _split_problem(index, key, "a TAB never separates values: fleet keeps it inside one value")
            return None
        return _split_problem(
            index,
            key,
            "fleet splits only a value that starts and ends with '\"'; here the quotes stay part of the value",
        )
    if _WHITESPACE.search(raw) and canonical != "MachineOf":  # MachineOf has its own L408
        if canonical == "MachineMetadata" and raw.count("=") > 1:
            return None  # already dropped as a whole: L406 says so
        return _split_problem(
            index,
            key,
            f'\'{raw}\' is read as ONE value; write one value per line or quote each: "v1" "v2"',
        )
    return None


def _split_problem(index: int, key: str, why: str) -> FleetProblem:
    return FleetProblem.warning("L407", f"{key}=: {why}", index)


def _literal_specifiers(index: int, key: str, raw: str) -> FleetProblem | None:
    literal = sorted({"%" + m.group(1) for m in _PERCENT.finditer(raw) if m.group(1) not in FLEET_SPECIFIERS})
    if not literal:
        return None
    return FleetProblem.warning(
        "L409",
        f"{key}=: fleet expands only %n %N %p %i in [X-Fleet]; {', '.join(repr(s) for s in literal)} stays literal"
        + (" ('%%' is not an escape there)" if "%%" in literal else ""),
        index,
    )
