"""Unit names as systemd 252 and fleet v1.0.0 see them.

The two disagree in small ways that matter for a compiler: fleet accepts ``.service``
and names of 256 bytes (systemd does not), fleet forbids ``@`` for mount/device/...
units, and fleetctl can only *submit* some suffixes.  Keeping both rule sets here lets
compile and lint report the one the user will actually hit.
"""

from __future__ import annotations

import re

# src/basic/unit-def.c unit_type_table (systemd 252).
SUFFIXES: frozenset[str] = frozenset(
    {"service", "socket", "target", "device", "mount", "automount", "swap", "timer", "path", "slice", "scope"}
)
# fleet:api/units.go validUnitTypes also knows two types systemd 252 dropped.
FLEET_SUFFIXES: frozenset[str] = SUFFIXES | {"busname", "snapshot"}
# fleet:api/units.go ValidateName: '@' is only allowed for these.
TEMPLATE_SUFFIXES: frozenset[str] = frozenset({"path", "service", "socket", "target", "timer"})
# fleetctl appends ".service" to anything else (unit.RecognizedUnitType).
FLEETCTL_SUBMITTABLE: frozenset[str] = frozenset({"service", "socket", "timer", "path", "device", "mount", "automount"})

UNIT_NAME_MAX = 256  # systemd: strlen(name) must stay below this
FLEET_UNIT_NAME_MAX = 256  # fleet: len(name) may reach this

_SYSTEMD_PREFIX_CHAR = re.compile(r"[^A-Za-z0-9:_.\\@-]")
_FLEET_PREFIX_CHAR = _SYSTEMD_PREFIX_CHAR


def _one_of(suffixes: frozenset[str]) -> str:
    return "|".join(re.escape(suffix) for suffix in sorted(suffixes))


# Names that pass every check of systemd_name_problem / fleet_name_problem, recognised in
# one match so the common valid name skips the step-by-step checks.  Only ASCII matches, so
# len() is the byte length.  A name these miss is still judged by the full checks.
_PLAIN_STEM = r"[A-Za-z0-9:_.\\-]+"  # no '@' at all
_TEMPLATE_STEM = r"[A-Za-z0-9:_.\\-][A-Za-z0-9:_.\\@-]*"  # '@' anywhere but first
_VALID_SYSTEMD_NAME = re.compile(rf"{_TEMPLATE_STEM}\.(?:{_one_of(SUFFIXES)})")
_VALID_FLEET_NAME = re.compile(  # template suffixes first: a .service name matches on the first try
    rf"{_TEMPLATE_STEM}\.(?:{_one_of(TEMPLATE_SUFFIXES)})|{_PLAIN_STEM}\.(?:{_one_of(FLEET_SUFFIXES)})"
)


def split_name(name: str) -> tuple[str, str | None, str]:
    """``foo@bar.service`` -> ("foo", "bar", "service"); a template gives instance "".

    A name without ``@`` gives instance None; a name without a dot gives suffix "".
    """
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    prefix, at, instance = stem.partition("@")
    return prefix, (instance if at else None), suffix


def is_template(name: str) -> bool:
    return split_name(name)[1] == ""


def systemd_name_problem(name: str) -> str | None:
    """Why systemd 252's unit_name_is_valid() rejects ``name``, or None if it accepts it."""
    if len(name) < UNIT_NAME_MAX and _VALID_SYSTEMD_NAME.fullmatch(name):
        return None
    if not name:
        return "unit name is empty"
    size = len(name.encode("utf-8", "surrogateescape"))
    if size >= UNIT_NAME_MAX:
        return f"unit name is {size} bytes long; systemd allows at most {UNIT_NAME_MAX - 1}"
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        return "unit name has no '.suffix' (such as .service)"
    if not stem:
        return "unit name has nothing before its '.suffix'"
    if suffix not in SUFFIXES:
        return f"'.{suffix}' is not a unit type systemd 252 knows (known: {', '.join(sorted(SUFFIXES))})"
    bad = _SYSTEMD_PREFIX_CHAR.search(stem)
    if bad:
        return f"character {bad.group()!r} is not allowed in a unit name (only A-Z a-z 0-9 : _ . - \\ @; use systemd-escape)"
    if stem.startswith("@"):
        return "unit name starts with '@' (the part before '@' must not be empty)"
    return None


def fleet_name_problem(name: str) -> str | None:
    """fleet's own ValidateName() message for ``name`` and what it means, or None.

    The checks run in fleet's order, so the message is the one fleetctl prints.
    """
    if len(name) <= FLEET_UNIT_NAME_MAX and _VALID_FLEET_NAME.fullmatch(name):
        return None
    if not name:
        return "fleet refuses it: 'unit name cannot be empty'"
    size = len(name.encode("utf-8", "surrogateescape"))
    if size > FLEET_UNIT_NAME_MAX:
        return (
            f"fleet refuses it: 'unit name exceeds maximum length ({FLEET_UNIT_NAME_MAX})' (the name is {size} bytes)"
        )
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        return "fleet refuses it: 'unit name must contain \".\"' (the unit type suffix is missing)"
    if not suffix:
        return "fleet refuses it: 'unit name cannot end in \".\"' (the unit type suffix is empty)"
    if suffix not in FLEET_SUFFIXES:
        return f"fleet refuses it: 'invalid unit type: \"{suffix}\"' (suffixes are case-sensitive)"
    if "@" in name and suffix not in TEMPLATE_SUFFIXES:
        return (
            f"fleet refuses it: 'invalid unit type for template: \"{suffix}\"' "
            f"(only {', '.join(sorted(TEMPLATE_SUFFIXES))} units may contain '@')"
        )
    bad = _FLEET_PREFIX_CHAR.search(stem)
    if bad:
        return (
            f"fleet refuses it: 'invalid character {bad.group()!r} in unit name' "
            "(only A-Z a-z 0-9 : _ . - \\ @ before the suffix)"
        )
    if name.startswith("@"):
        return "fleet refuses it: 'unit name cannot start in \"@\"'"
    return None


def fleetctl_submit_problem(name: str) -> str | None:
    """Why ``fleetctl submit FILE`` cannot submit a file of this name, or None."""
    suffix = split_name(name)[2]
    if suffix in FLEETCTL_SUBMITTABLE:
        return None
    return (
        f"fleetctl cannot submit a '.{suffix}' file: it appends '.service' and then looks for "
        f"'{name}.service' (submittable: {', '.join(sorted(FLEETCTL_SUBMITTABLE))})"
    )
