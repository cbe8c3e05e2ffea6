"""Validate JSON values against the published solver-protocol schemas (docs/schemas/), in tests.

A small JSON Schema checker for exactly the keywords pydantic writes into those files ($ref into $defs, anyOf,
oneOf, const, enum, type, properties, required, additionalProperties, pattern, items, prefixItems, min/max
items, minimum): the project has no JSON Schema package, and a keyword it does not know fails loudly here
instead of passing silently. Annotations (title, description, default, discriminator) are ignored.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

SCHEMAS = Path(__file__).resolve().parents[1] / "docs" / "schemas"
_ANNOTATIONS = frozenset({"title", "description", "default", "discriminator", "$defs"})
_CHECKED = frozenset({
    "$ref", "anyOf", "oneOf", "const", "enum", "type", "properties", "required", "additionalProperties", "pattern",
    "items", "prefixItems", "minItems", "maxItems", "minimum",
})  # fmt: skip


class SchemaViolation(AssertionError):
    pass


def published(name: str) -> dict[str, Any]:
    """A schema file of docs/schemas, e.g. "venue-to-solver"."""
    schema: dict[str, Any] = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    return schema


def check_venue_message(message: Any) -> None:
    """`message` is valid against the published venue-to-solver schema, as the definition its `type` names
    (the file's top level is a plain union, under which a message could pass as another type)."""
    schema = published("venue-to-solver")
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise SchemaViolation(f"not a typed message: {message!r}")
    defs = schema["$defs"].values()
    named = [d for d in defs if d.get("properties", {}).get("type", {}).get("const") == message["type"]]
    if len(named) != 1:
        raise SchemaViolation(f"the schema defines no message of type {message['type']!r}")
    check(message, named[0], schema)
    check(message, schema, schema)


def check(value: Any, schema: dict[str, Any], root: dict[str, Any], path: str = "$") -> None:
    """Raise SchemaViolation (with the JSON path) unless `value` satisfies `schema`."""
    unknown = set(schema) - _CHECKED - _ANNOTATIONS
    if unknown:
        raise SchemaViolation(f"{path}: schema keywords this checker does not know: {sorted(unknown)}")
    if "$ref" in schema:
        check(value, _resolve(schema["$ref"], root), root, path)
    if "anyOf" in schema and not any(_passes(value, s, root, path) for s in schema["anyOf"]):
        raise SchemaViolation(f"{path}: {value!r} matches none of anyOf")
    if "oneOf" in schema and sum(_passes(value, s, root, path) for s in schema["oneOf"]) != 1:
        raise SchemaViolation(f"{path}: {value!r} does not match exactly one of oneOf")
    if "const" in schema and value != schema["const"]:
        raise SchemaViolation(f"{path}: {value!r} is not {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        raise SchemaViolation(f"{path}: {value!r} is not one of {schema['enum']}")
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is(value, t) for t in types):
            raise SchemaViolation(f"{path}: {value!r} is not of type {schema['type']}")
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        raise SchemaViolation(f"{path}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, int | float) and not isinstance(value, bool) and value < schema.get("minimum", value):
        raise SchemaViolation(f"{path}: {value!r} is below {schema['minimum']}")
    if isinstance(value, dict):
        _check_object(value, schema, root, path)
    if isinstance(value, list):
        _check_array(value, schema, root, path)


def _check_object(value: dict[str, Any], schema: dict[str, Any], root: dict[str, Any], path: str) -> None:
    missing = [name for name in schema.get("required", ()) if name not in value]
    if missing:
        raise SchemaViolation(f"{path}: missing {missing}")
    properties: dict[str, Any] = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        if name in properties:
            check(item, properties[name], root, f"{path}.{name}")
        elif extra is False:
            raise SchemaViolation(f"{path}: unexpected property {name!r}")
        elif isinstance(extra, dict):
            check(item, extra, root, f"{path}.{name}")


def _check_array(value: list[Any], schema: dict[str, Any], root: dict[str, Any], path: str) -> None:
    if not schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", len(value)):
        raise SchemaViolation(f"{path}: {len(value)} items")
    prefix = schema.get("prefixItems", [])
    for i, item in enumerate(value):
        if i < len(prefix):
            check(item, prefix[i], root, f"{path}[{i}]")
        elif "items" in schema:
            check(item, schema["items"], root, f"{path}[{i}]")


def _passes(value: Any, schema: dict[str, Any], root: dict[str, Any], path: str) -> bool:
    try:
        check(value, schema, root, path)
    except SchemaViolation as exc:
        if "does not know" in str(exc):
            raise
        return False
    return True


def _resolve(ref: str, root: dict[str, Any]) -> dict[str, Any]:
    if not ref.startswith("#/"):
        raise SchemaViolation(f"only local references are supported: {ref}")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part]
    return node  # type: ignore[no-any-return]


def _is(value: Any, kind: str) -> bool:
    return {
        "object": isinstance(value, dict), "array": isinstance(value, list), "string": isinstance(value, str),
        "boolean": isinstance(value, bool), "null": value is None,
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
    }[kind]  # fmt: skip
