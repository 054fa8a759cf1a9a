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

from collections.abc import Sequence
from typing import NamedTuple

from unitgen.diagnostics import Location
from unitgen.spec import schema
from unitgen.spec.schema import Key
from unitgen.spec.source import KeyPath, Origins


class Layer(NamedTuple):
    data: dict[str, object]
    origins: Origins


def merge_layers(layers: Sequence[Layer], key: Key) -> Layer:
    result = layers[0]
    for layer in layers[1:]:
        result = merge(result, layer, key)
    return result


def merge_traced_on_demand(layers: Sequence[Layer], key: Key, fallback_from: Origins) -> Layer:
    """The layers merged as by ``merge_layers``, but with ``DeferredOrigins``: most merged
    data is never reported on, and tracing origins costs objects at every merge step."""
    data = layers[0].data
    for layer in layers[1:]:
        data = _merge_value(data, layer.data, key)  # type: ignore[assignment]
    return Layer(data, DeferredOrigins(data, layers, key, fallback_from))


def merge(base: Layer, over: Layer, key: Key) -> Layer:
    data = _merge_value(base.data, over.data, key)
    return Layer(data, MergedOrigins(data, [base, over], base.origins))  # type: ignore[arg-type]


class MergedOrigins(Origins):
    """A merged value comes from the topmost layer that holds it.

    List items are matched by value (name lists are unions, so an item's index in the
    merged list differs from its index in the layer that wrote it).
    """

    def __init__(self, data: dict[str, object], layers: list[Layer], fallback_from: Origins) -> None:
        self._data = data
        self._layers = layers
        self._fallback_from = fallback_from

    @property
    def fallback(self) -> Location:  # type: ignore[override]
        return self._fallback_from.fallback

    def find(self, path: KeyPath) -> Location | None:
        for layer in reversed(self._layers):
            translated = _translate(path, self._data, layer.data)
            if translated is not None:
                found = layer.origins.find(translated)
                if found is not None:
                    return found
        return None


class DeferredOrigins(Origins):
    """The origins of ``layers`` merged, traced by ``merge_layers`` on the first lookup;
    ``fallback_from`` gives the location of the merged data as a whole."""

    def __init__(self, data: dict[str, object], layers: Sequence[Layer], key: Key, fallback_from: Origins) -> None:
        self._data = data
        self._layers = layers
        self._key = key
        self._fallback_from = fallback_from
        self._traced: MergedOrigins | None = None

    @property
    def fallback(self) -> Location:  # type: ignore[override]
        return self._fallback_from.fallback

    def find(self, path: KeyPath) -> Location | None:
        if self._traced is None:
            traced = merge_layers(self._layers, self._key)
            self._traced = MergedOrigins(self._data, [traced], self._fallback_from)
        return self._traced.find(path)


def _translate(path: KeyPath, merged: object, layer: object) -> KeyPath | None:
    """The path of the same value in one layer's data, or None when the layer lacks it."""
    translated: list[str | int] = []
    for step in path:
        if isinstance(step, int):
            if not (isinstance(merged, list) and isinstance(layer, list) and step < len(merged)):
                return None
            if merged == layer:
                index = step
            elif merged[step] in layer:
                index = layer.index(merged[step])
            else:
                return None
            merged, layer = merged[step], layer[index]
            translated.append(index)
        else:
            if not (isinstance(merged, dict) and isinstance(layer, dict) and step in layer):
                return None
            merged, layer = merged.get(step), layer[step]
            translated.append(step)
    return tuple(translated)


def _merge_value(base: object, over: object, key: Key) -> object:
    kind = key.kind
    if kind == schema.TABLE and isinstance(base, dict) and isinstance(over, dict):
        fields = schema.fields_of(key)
        merged = dict(base)
        for name, value in over.items():
            if name in merged and name in fields:
                merged[name] = _merge_value(merged[name], value, fields[name])
            else:
                merged[name] = value
        return merged
    if kind == schema.TABLE_MAP and isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for name, value in over.items():
            merged[name] = _merge_value(merged[name], value, key) if name in merged else value
        return merged
    if kind in (schema.STRING_MAP, schema.METADATA_MAP, schema.ENV_MAP, schema.DIRECTIVE_MAP):
        if isinstance(base, dict) and isinstance(over, dict):
            return {**base, **over}
    if kind == schema.NAMES and isinstance(base, list) and isinstance(over, list):
        merged_list = list(base)
        merged_list.extend(item for item in over if item not in base)
        return merged_list
    return over
