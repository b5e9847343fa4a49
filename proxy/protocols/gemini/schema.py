"""Gemini `Schema` (an OpenAPI 3.0 subset: upper-case types, `nullable`) as JSON Schema.

https://ai.google.dev/api/caching#Schema. Types become lower-case, `nullable: true` becomes a
type union with "null" (or a null branch of `anyOf`), `defs`/`ref` become `$defs`/`$ref`,
int64 limits sent as strings become integers; `propertyOrdering` and `example`, which JSON
Schema does not have, are dropped. Everything else is kept as it is.
"""

from __future__ import annotations

from proxy.protocols.gemini.casing import snake

_RENAMED = {"defs": "$defs", "ref": "$ref"}
_INTEGERS = {"minItems", "maxItems", "minLength", "maxLength", "minProperties", "maxProperties"}
_NESTED_MAPS = {"properties", "$defs", "patternProperties"}
_NESTED_LISTS = {"anyOf", "oneOf", "allOf", "prefixItems"}
_NESTED_ONE = {"items", "additionalProperties", "not"}
_DROPPED = {"nullable", "propertyOrdering", "example"}
_CAMEL = {
    snake(name): name
    for name in (
        *_INTEGERS,
        *_NESTED_LISTS,
        *_DROPPED,
        "additionalProperties",
        "patternProperties",
        "maxLength",
    )
}


def json_schema(schema) -> dict:
    """`schema` (a Gemini Schema object, in either spelling) as a JSON Schema object."""
    if not isinstance(schema, dict):
        return {}
    out: dict = {}
    for raw_key, value in schema.items():
        key = _RENAMED.get(raw_key, _CAMEL.get(raw_key, raw_key))
        if key in _DROPPED:
            continue
        if key == "type":
            if isinstance(value, str) and value.upper() != "TYPE_UNSPECIFIED":
                out["type"] = value.lower()
            elif isinstance(value, list):
                out["type"] = [str(t).lower() for t in value]
        elif key in _NESTED_MAPS and isinstance(value, dict):
            out[key] = {name: json_schema(sub) for name, sub in value.items()}
        elif key in _NESTED_LISTS and isinstance(value, list):
            out[key] = [json_schema(sub) for sub in value]
        elif key in _NESTED_ONE and isinstance(value, dict):
            out[key] = json_schema(value)
        elif key in _INTEGERS and isinstance(value, str) and value.isdigit():
            out[key] = int(value)
        elif key == "$ref" and isinstance(value, str):
            out[key] = value.replace("#/defs/", "#/$defs/")
        else:
            out[key] = value
    if schema.get("nullable") is True:
        _allow_null(out)
    return out


def _allow_null(out: dict) -> None:
    kind = out.get("type")
    if isinstance(kind, str) and kind != "null":
        out["type"] = [kind, "null"]
    elif isinstance(kind, list) and "null" not in kind:
        out["type"] = [*kind, "null"]
    elif "anyOf" in out:
        out["anyOf"] = [*out["anyOf"], {"type": "null"}]
    if isinstance(out.get("enum"), list) and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
