"""The schema is the contract: committed as SDL, and described everywhere."""

from __future__ import annotations

from pathlib import Path

from graphql import GraphQLInputObjectType, GraphQLObjectType

from gateway.schema import schema, sdl

SDL = Path(__file__).resolve().parents[2] / "schemas" / "gateway.graphql"


def test_the_committed_sdl_is_current():
    assert SDL.read_text() == sdl(), (
        "schemas/gateway.graphql is stale: run `python -m gateway sdl > schemas/gateway.graphql`"
    )


def test_every_type_field_and_argument_has_a_description():
    missing = []
    for name, kind in schema.graphql_schema.type_map.items():
        if name.startswith("__") or name in ("String", "Int", "Float", "Boolean", "ID"):
            continue
        if not kind.description:
            missing.append(name)
        if isinstance(kind, (GraphQLObjectType, GraphQLInputObjectType)):
            for field_name, field in kind.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{field_name}({arg_name})")
    assert missing == []
