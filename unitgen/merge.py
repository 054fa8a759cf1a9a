"""How layers of spec data combine: project defaults, `extends`, environment overlays.

The rules (documented in docs/spec.md):
* tables merge key by key, recursively;
* name lists (relations, env files, volumes, ports, fleet lists) are unions: the base's
  items first, then the overlay's new ones;
* everything else — strings, numbers, booleans, argv lists (`command`, `docker_args`),
  arrays of tables (`secrets`) — is replaced by the overlay's value.

Origins follow the data, so a diagnostic about a merged value points at the file and line
that wrote it.
"""

from __future__ import annotations

import attrs

from unitgen import schema
from unitgen.diagnostics import Location
from unitgen.schema import Key
from unitgen.source import KeyPath, Origins


@attrs.frozen
class Layer:
    data: dict[str, object]
    origins: Origins


def merge_layers(layers: list[Layer], key: Key) -> Layer:
    result = layers[0]
    for layer in layers[1:]:
        result = merge(result, layer, key)
    return result


def merge(base: Layer, over: Layer, key: Key) -> Layer:
    index_maps: dict[KeyPath, dict[int, int]] = {}
    data = _merge_value(base.data, over.data, key, (), index_maps)
    by_path: dict[KeyPath, Location] = dict(base.origins.by_path)
    for path, location in over.origins.by_path.items():
        mapped = _remap(path, index_maps)
        if mapped is not None:
            by_path[mapped] = location
    return Layer(data, Origins(by_path, base.origins.fallback))  # type: ignore[arg-type]


def _remap(path: KeyPath, index_maps: dict[KeyPath, dict[int, int]]) -> KeyPath | None:
    """Where an overlay's path lands in the merged data (None: a duplicate list item)."""
    for cut in range(len(path)):
        mapping = index_maps.get(path[:cut])
        if mapping is not None and isinstance(path[cut], int):
            new_index = mapping.get(path[cut])  # type: ignore[arg-type]
            if new_index is None:
                return None
            return (*path[:cut], new_index, *path[cut + 1 :])
    return path


def _merge_value(base: object, over: object, key: Key, path: KeyPath, index_maps: dict[KeyPath, dict[int, int]]) -> object:
    kind = key.kind
    if kind == schema.TABLE and isinstance(base, dict) and isinstance(over, dict):
        fields = schema.fields_of(key)
        merged = dict(base)
        for name, value in over.items():
            if name in merged and name in fields:
                merged[name] = _merge_value(merged[name], value, fields[name], (*path, name), index_maps)
            else:
                merged[name] = value
        return merged
    if kind == schema.TABLE_MAP and isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for name, value in over.items():
            merged[name] = _merge_value(merged[name], value, key, (*path, name), index_maps) if name in merged else value
        return merged
    if kind in (schema.STRING_MAP, schema.METADATA_MAP, schema.ENV_MAP, schema.DIRECTIVE_MAP):
        if isinstance(base, dict) and isinstance(over, dict):
            return {**base, **over}
    if kind == schema.NAMES and isinstance(base, list) and isinstance(over, list):
        merged_list = list(base)
        mapping: dict[int, int] = {}
        for i, item in enumerate(over):
            if item in merged_list:
                continue
            mapping[i] = len(merged_list)
            merged_list.append(item)
        index_maps[path] = mapping
        return merged_list
    return over
