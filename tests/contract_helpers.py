"""Validate JSON against a schema of OpenAI's published OpenAPI spec (3.1, JSON Schema 2020-12)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC = Path(__file__).resolve().parent.parent.parent / "shared" / "openai-openapi" / "openapi.yaml"


def _to_2020_12(node: Any) -> Any:
    """The spec says 3.1 but keeps some 3.0 forms: `exclusiveMinimum: true` next to
    `minimum`, and `nullable: true`. Rewrite them as JSON Schema 2020-12 means them."""
    if isinstance(node, list):
        return [_to_2020_12(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _to_2020_12(v) for k, v in node.items()}
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if out.get(exclusive) is True and bound in out:
            out[exclusive] = out.pop(bound)
        elif isinstance(out.get(exclusive), bool):
            out.pop(exclusive)
    if out.pop("nullable", False) is True:
        out = {"anyOf": [out, {"type": "null"}]}
    return out


@cache
def _spec() -> dict[str, Any]:
    if not SPEC.exists():
        pytest.skip(f"OpenAI's spec is not at {SPEC}")
    return _to_2020_12(yaml.safe_load(SPEC.read_text()))


@cache
def _validator(schema_name: str) -> jsonschema.Draft202012Validator:
    spec = _spec()
    registry = Registry().with_resource("spec.yaml", Resource(spec, specification=DRAFT202012))
    schema = {"$ref": f"spec.yaml#/components/schemas/{schema_name}"}
    return jsonschema.Draft202012Validator(schema, registry=registry)


def assert_matches_schema(instance: Any, schema_name: str) -> None:
    errors = sorted(_validator(schema_name).iter_errors(instance), key=lambda e: e.path)
    assert not errors, f"{schema_name}: " + "; ".join(
        f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:5]
    )
