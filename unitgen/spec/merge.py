"""How layers of spec data combine: project defaults, `extends`, environment overlays.

The rules (documented in docs/spec.md):
* tables merge key by key, recursively;
* name lists (relations, env files, volumes, ports, fleet lists) are unions: the base's
  items first, then the overlay's new ones;
* everything else — strings, numbers, booleans, argv lists (`command`, `docker_args`),
  arrays of tables (`secrets`) — is replaced by the overlay's value.

Origins follow the data, so a diagnostic about a merged value points at the file and line
that wrote it; a spec's name that no layer writes, its file's, is placed at that file.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from unitgen.diagnostics import Location, Where
from unitgen.spec import schema
from unitgen.spec.schema import Key
from unitgen.spec.source import KeyPath, Origins
from unitgen.spec.typecheck import Checked


@attrs.frozen
class Layer:
    data: Checked
    origins: Origins


def merge_layers(layers: Sequence[Layer], key: Key, fallback_from: Origins | None = None) -> Layer:
    """The layers merged in order, each over those before it; ``key`` is their schema.

    What no layer locates is located as the first layer's data as a whole, or as
    ``fallback_from``'s when given (a spec's own file, under the defaults it is merged over).
    """
    if len(layers) == 1 and fallback_from is None:
        return layers[0]
    data = layers[0].data
    for layer in layers[1:]:
        data = _merge_table(data, layer.data, key)
    return Layer(data, MergedOrigins(tuple(layers), key, layers[0].origins if fallback_from is None else fallback_from))


@attrs.frozen
class MergedOrigins(Origins):
    """A merged value comes from the topmost layer that holds it.

    List items are matched by value (name lists are unions, so an item's index in the
    merged list differs from its index in the layer that wrote it).  The merged data is
    merged again when a value is located, which only a diagnostic asks for: kept, the
    merged copies of every spec would outweigh the specs.
    """

    layers: tuple[Layer, ...]  # as given to ``merge_layers``, bottom first
    key: Key
    fallback_from: Origins

    def fallback(self) -> Location:
        return self.fallback_from.fallback()

    def find(self, path: KeyPath) -> Location | None:
        merged = [self.layers[0].data]  # the data after each layer
        for layer in self.layers[1:]:
            merged.append(_merge_table(merged[-1], layer.data, self.key))
        probe = path
        # From the top: the layer that holds the value, else the same value one merge lower.
        for index in range(len(self.layers) - 1, 0, -1):
            layer = self.layers[index]
            translated = _translate(probe, merged[index], layer.data)
            found = None if translated is None else layer.origins.find(translated)
            if found is not None:
                return found
            lower = _translate(probe, merged[index], merged[index - 1])
            if lower is None:
                return None
            probe = lower
        first = self.layers[0]
        translated = _translate(probe, merged[0], first.data)
        return None if translated is None else first.origins.find(translated)


@attrs.frozen
class NamedByFile(Origins):
    """The origins of a spec without ``unit.name``: its name is its file's, so a problem
    with the name is placed at the file itself (not at a [unit] table, or the project's)."""

    within: Origins
    file: str

    def find(self, path: KeyPath) -> Location | None:
        return self.within.find(path)

    def fallback(self) -> Location:
        return self.within.fallback()

    def where(self, path: KeyPath) -> Where:
        if tuple(path) == ("unit", "name"):
            return {"location": Location(self.file)}
        return self.within.where(path)


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


def _merge_table(base: dict[str, object], over: dict[str, object], key: Key) -> dict[str, object]:
    merged = dict(base)
    for name, value in over.items():
        if name in merged and name in key.fields:
            merged[name] = _merge_value(merged[name], value, key.fields[name])
        else:
            merged[name] = value
    return merged


def _merge_value(base: object, over: object, key: Key) -> object:
    kind = key.kind
    if isinstance(base, dict) and isinstance(over, dict):
        if kind == schema.TABLE:
            return _merge_table(base, over, key)
        if kind == schema.TABLE_MAP:
            merged = dict(base)
            for name, value in over.items():
                merged[name] = _merge_value(merged[name], value, key) if name in merged else value
            return merged
        if kind in (schema.STRING_MAP, schema.METADATA_MAP, schema.ENV_MAP, schema.DIRECTIVE_MAP):
            return {**base, **over}
    if kind == schema.NAMES and isinstance(base, list) and isinstance(over, list):
        return base + [item for item in over if item not in base]
    return over
