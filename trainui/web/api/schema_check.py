"""The check of a request body against the schema the OpenAPI document publishes for its route.

The document is the one source: a handler never repeats a type, a length, a pattern or the list of
fields it takes, so what a client reads in /api/v1/openapi.json is exactly what the server refuses
(schemathesis holds it to that). Only the JSON Schema keywords below exist here; a test walks every
request schema of the document and fails on a keyword this module would ignore.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

KEYWORDS = frozenset({"type", "nullable", "enum", "minLength", "maxLength", "pattern", "minimum", "maximum",
                      "required", "properties", "patternProperties", "additionalProperties", "propertyNames",
                      "items", "maxItems", "anyOf", "$ref", "description", "minProperties",
                      "maxProperties"})
TYPES = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,), "object": (dict,),
         "array": (list,)}


def violation(value: Any, schema: dict, schemas: dict, field: str = "") -> str | None:
    """Why ``value`` does not match ``schema`` (``$ref`` resolved in ``schemas``), naming the field
    (``a.b[2]``; "" is the whole body); or None."""
    schema = _resolved(schema, schemas)
    if value is None and "anyOf" not in schema:
        return None if schema.get("nullable") or "type" not in schema else f"{_named(field)} must not be null"
    if "anyOf" in schema:
        problems = [violation(value, option, schemas, field) for option in schema["anyOf"]]
        if all(problems):
            # the option of the value's own type says best what is wrong (a number out of range)
            fitting = [p for o, p in zip(schema["anyOf"], problems) if _fits(value, _resolved(o, schemas).get("type"))]
            if len(fitting) == 1:
                return fitting[0]
            return f"{_named(field)} is not {schema.get('description') or 'accepted'}"
        return None
    kind = schema.get("type")
    if kind and not _fits(value, kind):
        return f"{_named(field)} must be {'an' if kind[0] in 'aeiou' else 'a'} {kind}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{_named(field)} must be one of {', '.join(map(str, schema['enum']))}"
    if isinstance(value, str):
        return _text_violation(value, schema, field)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            return f"{_named(field)} must be at least {schema['minimum']}"
        if "maximum" in schema and value > schema["maximum"]:
            return f"{_named(field)} must be at most {schema['maximum']}"
    if isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            return f"{_named(field)} holds more than {schema['maxItems']} items"
        for index, item in enumerate(value):
            problem = violation(item, schema.get("items", {}), schemas, f"{field}[{index}]")
            if problem:
                return problem
    if isinstance(value, dict):
        return _object_violation(value, schema, schemas, field)
    return None


def _text_violation(value: str, schema: dict, field: str) -> str | None:
    if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", len(value)):
        low, high = schema.get("minLength", 0), schema.get("maxLength")
        return f"{_named(field)} must be {low} to {high} characters" if high else \
            f"{_named(field)} must be at least {low} characters"
    if "pattern" in schema and not _compiled(schema["pattern"]).search(value):
        return f"{_named(field)} must be {schema.get('description') or 'text matching ' + schema['pattern']}"
    return None


def _object_violation(value: dict, schema: dict, schemas: dict, field: str) -> str | None:
    missing = [name for name in schema.get("required", ()) if name not in value]
    if missing:
        return f"{_named(field)} needs {', '.join(repr(name) for name in missing)}"
    if not schema.get("minProperties", 0) <= len(value) <= schema.get("maxProperties", len(value)):
        return (f"{_named(field)} must hold {schema.get('minProperties', 0)} to "
                f"{schema.get('maxProperties', 'any number of')} fields")
    properties, patterns = schema.get("properties", {}), schema.get("patternProperties", {})
    extra = schema.get("additionalProperties", True)
    if extra is False:
        unknown = sorted(name for name in value if name not in properties
                         and not any(_compiled(p).search(name) for p in patterns))
        if unknown:
            names = ", ".join(map(repr, unknown))
            return (f"unknown field{'s' if len(unknown) > 1 else ''} {names} in {_named(field)}; "
                    f"it takes {', '.join(map(repr, properties)) or 'no fields'}")
    for name, item in value.items():
        inner = f"{field}.{name}" if field else name
        if "propertyNames" in schema:
            problem = violation(name, schema["propertyNames"], schemas, f"{inner} (the key)")
            if problem:
                return problem
        item_schema = properties.get(name) or next(
            (s for p, s in patterns.items() if _compiled(p).search(name)), extra if isinstance(extra, dict) else {})
        problem = violation(item, item_schema, schemas, inner)
        if problem:
            return problem
    return None


def _fits(value: Any, kind: str | None) -> bool:
    return kind is None or (isinstance(value, TYPES[kind]) and (kind == "boolean") == isinstance(value, bool))


def _resolved(schema: dict, schemas: dict) -> dict:
    return schemas[schema["$ref"].rsplit("/", 1)[-1]] if "$ref" in schema else schema


def _named(field: str) -> str:
    return f"'{field}'" if field else "the request body"


@lru_cache(maxsize=None)
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def keywords_in(schema: Any, schemas: dict, seen: set | None = None) -> set[str]:
    """Every keyword ``schema`` uses, through its references (for the test that none is ignored)."""
    seen = set() if seen is None else seen
    found: set[str] = set()
    if not isinstance(schema, dict):
        return found
    found |= set(schema)
    if "$ref" in schema and schema["$ref"] not in seen:
        seen.add(schema["$ref"])
        found |= keywords_in(schemas[schema["$ref"].rsplit("/", 1)[-1]], schemas, seen)
    for key in ("items", "additionalProperties", "propertyNames"):
        found |= keywords_in(schema.get(key), schemas, seen)
    for option in schema.get("anyOf", ()):
        found |= keywords_in(option, schemas, seen)
    for item in (*schema.get("properties", {}).values(), *schema.get("patternProperties", {}).values()):
        found |= keywords_in(item, schemas, seen)
    return found
