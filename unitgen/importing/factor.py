"""What repeats across imported specs, said once.

Settings every imported spec shares (``Requires=docker.service``, ``User=core``) go to the
project's ``[defaults]``; list settings share their common items.  Two specs of the same
image that differ in a few keys become a base and a spec that ``extends`` it.
"""

from __future__ import annotations

from typing import Any

Data = dict[str, Any]

# Keys the defaults may hold: (table, key); lists are unions when merged, so only the
# items every spec has move, and the order of what stays is kept.
_SHARED_KEYS = (
    ("unit", "requires"),
    ("unit", "after"),
    ("unit", "wants"),
    ("service", "user"),
    ("service", "restart"),
    ("service", "restart_sec"),
    ("service", "timeout_start_sec"),
    ("service", "timeout_stop_sec"),
)
_MAX_DIFFERENCES = 3  # keys a spec may set over its base for ``extends`` to be worth it
_UNION_LISTS = {("unit", k) for k in ("after", "before", "requires", "wants", "binds_to", "part_of", "conflicts")} | {
    ("container", k) for k in ("env_files", "volumes", "ports")
}


def shared_defaults(specs: dict[str, Data]) -> Data:
    """Move what every spec sets alike into the returned defaults (specs are changed)."""
    defaults: Data = {}
    if len(specs) < 2:
        return defaults
    for table, key in _SHARED_KEYS:
        values = [spec.get(table, {}).get(key) for spec in specs.values()]
        if any(value is None for value in values):
            continue
        if isinstance(values[0], list):
            common = [item for item in values[0] if all(item in value for value in values)]
            if not common:
                continue
            defaults.setdefault(table, {})[key] = common
            for spec in specs.values():
                rest = [item for item in spec[table][key] if item not in common]
                _set_or_drop(spec, table, key, rest)
        elif all(value == values[0] for value in values):
            defaults.setdefault(table, {})[key] = values[0]
            for spec in specs.values():
                _set_or_drop(spec, table, key, None)
    return defaults


def _set_or_drop(spec: Data, table: str, key: str, value: object) -> None:
    if value:
        spec[table][key] = value
        return
    del spec[table][key]
    if not spec[table]:
        del spec[table]


def _leaves(data: Data, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], object]:
    out: dict[tuple[str, ...], object] = {}
    for key, value in data.items():
        if isinstance(value, dict) and key not in ("env", "machine_metadata", "extra"):
            out.update(_leaves(value, (*prefix, key)))
        else:
            out[(*prefix, key)] = value
    return out


def extends_pairs(specs: dict[str, Data]) -> None:
    """Turn a spec that differs from an earlier one of the same image in a few keys into
    ``extends`` of it, keeping only the keys it changes (specs are changed)."""
    names = sorted(specs)
    for name in names:
        for base in names:
            if base >= name:
                break
            if "extends" in specs[base]:
                continue
            own = _overrides(specs[base], specs[name])
            if own is not None and 0 < len(own) <= _MAX_DIFFERENCES:
                specs[name] = _nest({("extends",): base, **own})
                break


def _overrides(base: Data, spec: Data) -> dict[tuple[str, ...], object] | None:
    """The keys ``spec`` must set over ``base`` to be equal to it after merging, or None."""
    if "extends" in base or base.get("container", {}).get("image") != spec.get("container", {}).get("image"):
        return None
    mine, theirs = _leaves(spec), _leaves(base)
    if any(path not in mine for path in theirs):
        return None  # a spec cannot unset what its base sets
    own: dict[tuple[str, ...], object] = {}
    for path, value in mine.items():
        inherited = theirs.get(path)
        if value == inherited:
            continue
        if path in _UNION_LISTS and isinstance(value, list) and isinstance(inherited, list):
            if value[: len(inherited)] != inherited:
                return None
            own[path] = value[len(inherited) :]
        elif isinstance(value, dict) and isinstance(inherited, dict):
            if any(k not in value for k in inherited):
                return None
            own[path] = {k: v for k, v in value.items() if inherited.get(k) != v}
        else:
            own[path] = value
    return own


def _nest(flat: dict[tuple[str, ...], object]) -> Data:
    out: Data = {}
    for path, value in flat.items():
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return out
