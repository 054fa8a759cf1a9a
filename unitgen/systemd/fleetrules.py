"""fleet v1.0.0's reading of an ``[X-Fleet]`` section, as pure functions.

Shared by the compiler (which must never emit what fleet refuses or misreads) and by
``unitgen lint``.  Every rule cites the fleet behaviour it models; see
../shared/reference/fleet.md §1, §2 and §6.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import NamedTuple

from unitgen.diagnostics import Severity, did_you_mean
from unitgen.systemd.unitnames import split_name, systemd_name_problem

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
# Job.RequiredTarget tries these in this order and takes the first value.
_MACHINE_ID_KEYS = ("MachineID", "X-ConditionMachineID", "X-ConditionMachineBootID")
# isTruthyValue (fleet:job/job.go), compared lower-cased.
_TRUTHY = frozenset({"true", "yes", "1", "on", "t"})
_CLEARLY_FALSE = frozenset({"false", "no", "0", "off", "f", ""})
# The only specifiers unitPrintf replaces; everything else after '%' stays literal.
FLEET_SPECIFIERS = frozenset("nNpi")
# Each '%' is looked at on its own: fleet has no '%%' escape, so "%%n" still expands %n.
_PERCENT = re.compile(r"%(?=(.?))", re.S)
_WHITESPACE = re.compile(r"\s")
# unicode.IsSpace: what Go's strings.Fields and strings.TrimSpace treat as blank.
GO_SPACE_CHARS = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


# Compiled on first use, which few compiles reach: sre takes half a millisecond over the class.
@functools.cache
def _go_fields_pattern() -> re.Pattern[str]:
    return re.compile(f"[^{GO_SPACE_CHARS}]+")


def go_fields(text: str) -> list[str]:
    """Go's strings.Fields."""
    if text.isascii() and text.isprintable():  # then ' ' is the only blank in it, as for str.split
        return text.split()
    return _go_fields_pattern().findall(text)
_GLOB_CHARS = re.compile(r"[*?\[\\]")
_MACHINE_ID = re.compile(r"[0-9a-f]{32}|[0-9a-f]{8}")


# ---- Go's path.Match, byte for byte --------------------------------------------------
# fleet matches Conflicts= and Replaces= globs with it.  fnmatch differs in ways that change
# fleet's answer: '*' never crosses '/', '\\' escapes, '[^...]' negates, and a malformed
# pattern is an error (which fleet treats as "no match").  This follows Go's
# scanChunk/matchChunk/getEsc on UTF-8 bytes.

_RUNE_ERROR = 0xFFFD


class BadPattern(ValueError):
    """Go's path.ErrBadPattern: "syntax error in pattern"."""


def _decode_rune(data: bytes) -> tuple[int, int]:
    """utf8.DecodeRune: (code point, width); (RuneError, 1) for an invalid byte, (RuneError, 0) at the end."""
    if not data:
        return _RUNE_ERROR, 0
    if data[0] < 0x80:
        return data[0], 1
    for width in (2, 3, 4):
        try:
            text = data[:width].decode("utf-8")
        except UnicodeDecodeError:
            continue
        if len(text) == 1:
            return ord(text), width
    return _RUNE_ERROR, 1


def _scan_chunk(pattern: bytes) -> tuple[bool, bytes, bytes]:
    star = False
    while pattern[:1] == b"*":
        pattern = pattern[1:]
        star = True
    in_range = False
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == 0x5C:  # backslash: skip the escaped byte
            if i + 1 < len(pattern):
                i += 1
        elif c == 0x5B:  # [
            in_range = True
        elif c == 0x5D:  # ]
            in_range = False
        elif c == 0x2A and not in_range:  # *
            break
        i += 1
    return star, pattern[:i], pattern[i:]


def _get_esc(chunk: bytes) -> tuple[int, bytes]:
    if not chunk or chunk[0] in (0x2D, 0x5D):  # '-' or ']'
        raise BadPattern
    if chunk[0] == 0x5C:
        chunk = chunk[1:]
        if not chunk:
            raise BadPattern
    rune, width = _decode_rune(chunk)
    if rune == _RUNE_ERROR and width == 1:
        raise BadPattern
    rest = chunk[width:]
    if not rest:
        raise BadPattern
    return rune, rest


def _match_chunk(chunk: bytes, s: bytes) -> tuple[bytes, bool]:
    """(rest of s, ok); raises BadPattern for a malformed chunk, like Go >= 1.16."""
    failed = False
    while chunk:
        if not failed and not s:
            failed = True
        c = chunk[0]
        if c == 0x5B:  # [
            rune = 0
            if not failed:
                rune, width = _decode_rune(s)
                s = s[width:]
            chunk = chunk[1:]
            negated = False
            if chunk[:1] == b"^":
                negated = True
                chunk = chunk[1:]
            matched = False
            ranges = 0
            while True:
                if chunk[:1] == b"]" and ranges > 0:
                    chunk = chunk[1:]
                    break
                low, chunk = _get_esc(chunk)
                high = low
                if chunk[0] == 0x2D:  # '-'
                    high, chunk = _get_esc(chunk[1:])
                if low <= rune <= high:
                    matched = True
                ranges += 1
            if matched == negated:
                failed = True
        elif c == 0x3F:  # ?
            if not failed:
                if s[0] == 0x2F:
                    failed = True
                _, width = _decode_rune(s)
                s = s[width:]
            chunk = chunk[1:]
        else:
            if c == 0x5C:
                chunk = chunk[1:]
                if not chunk:
                    raise BadPattern
            if not failed:
                if chunk[0] != s[0]:
                    failed = True
                s = s[1:]
            chunk = chunk[1:]
    if failed:
        return b"", False
    return s, True


def _check_rest(pattern: bytes) -> None:
    while pattern:
        _, chunk, pattern = _scan_chunk(pattern)
        _match_chunk(chunk, b"")


def path_match(pattern: str, name: str) -> bool:
    """Go path.Match(pattern, name); raises BadPattern where Go returns ErrBadPattern."""
    pat = pattern.encode("utf-8", "surrogateescape")
    rest = name.encode("utf-8", "surrogateescape")
    while pat:
        star, chunk, pat = _scan_chunk(pat)
        if star and not chunk:
            # A trailing '*' matches the rest unless it holds a '/'.
            return b"/" not in rest
        tail, ok = _match_chunk(chunk, rest)
        if ok and (not tail or pat):
            rest = tail
            continue
        if star:
            advanced = False
            i = 0
            while i < len(rest) and rest[i] != 0x2F:
                tail, ok = _match_chunk(chunk, rest[i + 1:])
                if ok:
                    if not pat and tail:
                        i += 1
                        continue
                    rest = tail
                    advanced = True
                    break
                i += 1
            if advanced:
                continue
        _check_rest(pat)
        return False
    return not rest


def glob_matches(pattern: str, name: str) -> bool:
    """fleet's use of path.Match: a malformed pattern simply never matches."""
    try:
        return path_match(pattern, name)
    except BadPattern:
        return False


def pattern_problem(pattern: str) -> str | None:
    """Why Go rejects the glob, or None when it is well-formed."""
    if "[" not in pattern and "\\" not in pattern:
        return None  # only a '[...]' class or a '\\' escape can be malformed
    try:
        path_match(pattern, "")
    except BadPattern:
        return "syntax error in pattern"
    # path.Match stops early on a mismatch before checking the rest; matching against
    # the empty name checks only the first chunk, so scan every chunk explicitly.
    try:
        _check_rest(pattern.encode("utf-8", "surrogateescape"))
    except BadPattern:
        return "syntax error in pattern"
    return None


class FleetProblem(NamedTuple):
    code: str
    severity: Severity
    message: str
    option_index: int | None = None  # index into the options given, None: the whole section
    hint: str | None = None


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
    return value.lower() in _TRUTHY


def expand_specifiers(value: str, unit_name: str) -> str:
    """fleet's unitPrintf: successive plain replacement of %n %N %p %i (no '%%' escape)."""
    prefix, instance, suffix = split_name(unit_name)
    without_suffix = unit_name[: -len(suffix) - 1] if suffix else unit_name
    value = value.replace("%n", unit_name)
    value = value.replace("%N", without_suffix)
    value = value.replace("%p", prefix)
    return value.replace("%i", instance or "")


def conflicts_values(values: Sequence[str]) -> list[str]:
    """Job.Conflicts since v1.0.0: each value is also split on any whitespace."""
    return [word for value in values for word in go_fields(value)]


class _Value(NamedTuple):  # a tuple: thousands are made per compile
    key: str  # canonical key
    value: str
    option_index: int


def xfleet_problems(options: Sequence[tuple[str, str]], unit_name: str | None) -> list[FleetProblem]:
    """Everything fleet v1.0.0 refuses or silently misreads in these [X-Fleet] lines.

    ``options`` are the section's (key, raw value) lines in order; ``unit_name`` (or None)
    is the unit's file name, used to expand %n %N %p %i as fleet does when it schedules.
    """
    grouped, problems = _read_lines(options)
    machine_ids = grouped.get("MachineID", [])
    peers = grouped.get("MachineOf", [])
    conflicts = [(v, pattern) for v in grouped.get("Conflicts", ()) for pattern in go_fields(v.value)]
    replaces = grouped.get("Replaces", [])
    global_values = grouped.get("Global", [])
    metadata = grouped.get("MachineMetadata", [])
    # A rule finds nothing without values of its keys, and most units use only a few keys.
    if machine_ids:
        problems += _machine_id(machine_ids)
    if peers:
        problems += _machine_of(peers)
    if metadata:
        problems += _metadata(metadata)
    if conflicts or replaces:
        problems += _globs(conflicts, replaces)
    if global_values:
        problems += _global(global_values)
    problems += _refused(machine_ids, peers, conflicts, replaces, global_values)
    if unit_name and peers:  # without MachineOf peers nothing can be unsatisfiable
        refused_peers = {p.option_index for p in problems if p.code in ("L402", "L403")}
        unsatisfiable = _unsatisfiable(peers, [pattern for _, pattern in conflicts], replaces, unit_name)
        problems += [p for p in unsatisfiable if p.option_index not in refused_peers]
    return problems


def _read_lines(options: Sequence[tuple[str, str]]) -> tuple[dict[str, list[_Value]], list[FleetProblem]]:
    """One pass over the lines: the values fleet reads, and the problems each line shows on its own.

    The values are grouped by canonical key, each group in line order: every later rule looks
    at one or a few keys.  The problems are unknown keys, then misleading splits, then literal '%'.
    """
    grouped: dict[str, list[_Value]] = {}
    unknown: list[FleetProblem] = []
    splitting: list[FleetProblem] = []
    specifiers: list[FleetProblem] = []
    for index, (key, raw) in enumerate(options):
        canonical = XFLEET_ALIASES.get(key, key)
        if canonical not in XFLEET_CANONICAL:
            unknown.append(_unknown_key(index, key))
            continue  # fleet neither reads, splits nor expands a key it does not know
        group = grouped.setdefault(canonical, [])
        if '"' in raw:
            group += [_Value(canonical, value, index) for value in split_value(raw)]
        else:  # only a quoted value is split: this is split_value's answer, without the call
            group.append(_Value(canonical, raw, index))
        if canonical != "Conflicts":  # Conflicts is also split on any whitespace, so lists work there
            split = _line_splitting(index, key, raw, canonical)
            if split:
                splitting.append(split)
        if "%" in raw:
            literal = _literal_specifiers(index, key, raw)
            if literal:
                specifiers.append(literal)
    return grouped, unknown + splitting + specifiers


def _unknown_key(index: int, key: str) -> FleetProblem:
    return FleetProblem(
        "L404",
        Severity.WARNING,
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
            f"'{raw}' is read as ONE value; write one value per line or quote each: \"v1\" \"v2\"",
        )
    return None


def _split_problem(index: int, key: str, why: str) -> FleetProblem:
    return FleetProblem("L407", Severity.WARNING, f"{key}=: {why}", index)


def _literal_specifiers(index: int, key: str, raw: str) -> FleetProblem | None:
    literal = sorted({"%" + m.group(1) for m in _PERCENT.finditer(raw) if m.group(1) not in FLEET_SPECIFIERS})
    if not literal:
        return None
    return FleetProblem(
        "L409",
        Severity.WARNING,
        f"{key}=: fleet expands only %n %N %p %i in [X-Fleet]; {', '.join(repr(s) for s in literal)} stays literal"
        + (" ('%%' is not an escape there)" if "%%" in literal else ""),
        index,
    )


def _machine_id(ids: Sequence[_Value]) -> list[FleetProblem]:
    problems = []
    for position, v in enumerate(ids):
        if position > 0:
            problems.append(
                FleetProblem(
                    "L414",
                    Severity.WARNING,
                    f"only the first MachineID value counts; '{v.value}' is ignored",
                    v.option_index,
                )
            )
        elif "%" not in v.value and not _MACHINE_ID.fullmatch(v.value):
            problems.append(
                FleetProblem(
                    "L414",
                    Severity.WARNING,
                    f"MachineID '{v.value}' is neither a 32-hex-digit machine ID nor its first 8 digits: no machine will match",
                    v.option_index,
                    "use the value of /etc/machine-id",
                )
            )
    return problems


def _machine_of(peers: Sequence[_Value]) -> list[FleetProblem]:
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
                FleetProblem(
                    "L408",
                    Severity.WARNING,
                    f"MachineOf= names {why}: no such unit is ever scheduled, so this unit never is either",
                    v.option_index,
                    "one MachineOf= line per peer unit",
                )
            )
    return problems


def _metadata(values: Sequence[_Value]) -> list[FleetProblem]:
    problems = []
    for v in values:
        parts = v.value.split("=")
        if len(parts) == 2 and parts[0] and parts[1]:
            if parts[0][-1] in "<>!":
                problems.append(
                    FleetProblem(
                        "L406",
                        Severity.WARNING,
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
            FleetProblem(
                "L406",
                Severity.WARNING,
                f"MachineMetadata value '{v.value}' is not exactly key=value with both sides non-empty: fleet drops it silently, so the constraint vanishes",
                v.option_index,
                'one key=value per line, or "k1=v1" "k2=v2"',
            )
        )
    return problems


def _globs(conflicts: Sequence[tuple[_Value, str]], replaces: Sequence[_Value]) -> list[FleetProblem]:
    problems = []
    patterns = [*conflicts, *((v, v.value) for v in replaces)]
    for v, pattern in patterns:
        problem = pattern_problem(pattern)
        if problem:
            problems.append(
                FleetProblem(
                    "L412",
                    Severity.WARNING,
                    f"{v.key} pattern '{pattern}' is not a valid glob (Go path.Match: {problem}): fleet treats it as matching nothing",
                    v.option_index,
                )
            )
    return problems


def _global(values: Sequence[_Value]) -> list[FleetProblem]:
    problems = []
    for v in values:
        lowered = v.value.lower()
        if lowered in _TRUTHY or lowered in _CLEARLY_FALSE:
            continue
        problems.append(
            FleetProblem(
                "L410",
                Severity.WARNING,
                f"fleet reads Global={v.value} as false (it accepts only true, yes, 1, on, t)",
                v.option_index,
                "write Global=true",
            )
        )
    return problems


def _refused(
    machine_ids: Sequence[_Value],
    peers: Sequence[_Value],
    conflicts: Sequence[tuple[_Value, str]],
    replaces: Sequence[_Value],
    global_values: Sequence[_Value],
) -> list[FleetProblem]:
    """api.ValidateOptions: compared literally, since fleet checks a nameless job."""
    problems = []
    for peer in peers:
        for v, pattern in conflicts:
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
    # The placement rules present, each with the line it is blamed on.  Every line of
    # _MACHINE_ID_KEYS is a MachineID value, so machine_ids[0] is the first such line.
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
    peers: Sequence[_Value], conflicts: Sequence[str], replaces: Sequence[_Value], unit_name: str
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
                reasons.append(f"for {name} MachineOf={peer.value} names the unit itself, which cannot run before it runs")
                continue
            clash = next(
                (
                    pattern
                    for pattern in patterns
                    if glob_matches(expand_specifiers(pattern, name), expanded)
                ),
                None,
            )
            if clash is not None:
                reasons.append(
                    f"for {name} peer '{expanded}' matches Conflicts/Replaces '{expand_specifiers(clash, name)}'"
                )
        if reasons and len(reasons) == len(samples):
            problems.append(
                FleetProblem(
                    "L411",
                    Severity.WARNING,
                    "MachineOf can never be satisfied once fleet expands the specifiers: "
                    + reasons[0]
                    + "; fleet accepts the unit but never schedules it",
                    peer.option_index,
                )
            )
    return problems
