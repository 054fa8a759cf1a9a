"""The schema rendered for people (the key reference in docs/spec.md) and editors (JSON Schema)."""

from __future__ import annotations

from unitgen.spec import schema
from unitgen.spec.schema import Key

_TYPE_TEXT = {
    schema.STRING: "string",
    schema.INTEGER: "integer",
    schema.BOOLEAN: "boolean",
    schema.NAMES: "array of strings (merged by union)",
    schema.ARGV: "array of strings (argv; replaced)",
    schema.STRING_MAP: "table of strings",
    schema.METADATA_MAP: "table of string or array of strings",
    schema.ENV_MAP: "table of string or { value, secret }",
    schema.DIRECTIVE_MAP: "table of string or array of strings",
    schema.TABLE: "table",
    schema.TABLE_LIST: "array of tables",
    schema.TABLE_MAP: "table of tables",
    schema.COMMANDS: "array of argv arrays or { argv, ignore_failure } (replaced)",
}


def _rows(key: Key, prefix: str) -> list[str]:
    rows = []
    for name, sub in key.fields.items():
        path = f"{prefix}.{name}" if prefix else name
        kind = _TYPE_TEXT[sub.kind]
        if sub.enum:
            kind += ": " + ", ".join(f"`{v}`" for v in sub.enum)
        example = f" Example: `{sub.example}`." if sub.example else ""
        rows.append(f"| `{path}` | {kind} | {sub.doc}{example} |")
        if sub.kind in (schema.TABLE, schema.TABLE_LIST, schema.COMMANDS):
            rows.extend(_rows(sub, path if sub.kind == schema.TABLE else f"{path}[]"))
        elif sub.kind == schema.TABLE_MAP:
            rows.extend(_rows(sub, f"{path}.<name>"))
    return rows


def key_reference(key: Key) -> str:
    header = "| Key | Type | Meaning |\n|---|---|---|\n"
    return header + "\n".join(_rows(key, "")) + "\n"


def _json(key: Key) -> dict[str, object]:
    string_list = {"type": "array", "items": {"type": "string"}}
    kind = key.kind
    node: dict[str, object]
    if kind == schema.STRING:
        node = {"type": "string"}
        if key.enum:
            node["enum"] = list(key.enum)
        if key.nonempty:
            node["minLength"] = 1
    elif kind == schema.INTEGER:
        node = {"type": "integer"}
    elif kind == schema.BOOLEAN:
        node = {"type": "boolean"}
    elif kind in (schema.NAMES, schema.ARGV):
        node = dict(string_list)
    elif kind == schema.STRING_MAP:
        node = {"type": "object", "additionalProperties": {"type": "string"}}
    elif kind in (schema.METADATA_MAP, schema.DIRECTIVE_MAP):
        node = {"type": "object", "additionalProperties": {"anyOf": [{"type": "string"}, string_list]}}
    elif kind == schema.ENV_MAP:
        env_table = {
            "type": "object",
            "properties": {"value": {"type": "string"}, "secret": {"type": "boolean"}},
            "required": ["value"],
            "additionalProperties": False,
        }
        node = {"type": "object", "additionalProperties": {"anyOf": [{"type": "string"}, env_table]}}
    elif kind == schema.TABLE:
        node = _object(key)
    elif kind == schema.TABLE_LIST:
        node = {"type": "array", "items": _object(key)}
    elif kind == schema.TABLE_MAP:
        node = {"type": "object", "additionalProperties": _object(key)}
    elif kind == schema.COMMANDS:
        node = {"type": "array", "items": {"anyOf": [string_list, {**_object(key), "required": ["argv"]}]}}
    else:  # pragma: no cover - every kind is listed above
        raise AssertionError(kind)
    if key.doc:
        node["description"] = key.doc
    return node


def _object(key: Key) -> dict[str, object]:
    return {
        "type": "object",
        "properties": {name: _json(sub) for name, sub in key.fields.items()},
        "additionalProperties": False,
    }


def json_schema(which: str = "spec") -> dict[str, object]:
    key = schema.SPEC if which == "spec" else schema.PROJECT
    document = _json(key)
    title = "unitgen service spec" if which == "spec" else "unitgen project file (unitgen.toml)"
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title, **document}
