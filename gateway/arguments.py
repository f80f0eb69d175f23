"""The longest text each argument may carry, checked before anything runs.

Arguments become parts of upstream URLs and filters; an overlong one would otherwise reach a
service as a 414 or a slow scan. Each name below is checked wherever it appears (as an argument
or an input field, literal or variable); any other text may be at most ``OTHER`` characters.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from graphql.language import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
)

LIMITS = {
    "slug": 80,
    "slugs": 80,
    "clinic": 80,
    "reference": 16,
    "id": 64,
    "ids": 64,
    "packageId": 64,
    "quoteId": 64,
    "slotId": 64,
    "after": 512,
    "lang": 35,
    "search": 100,
    "currency": 3,
    "idempotencyKey": 255,
    "email": 254,
}
OTHER = 4000


def overlong(document: DocumentNode, operation: OperationDefinitionNode, variables: dict | None) -> GraphQLError | None:
    """The first argument longer than its limit, as an error naming it; None when all fit."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    for path, name, text in _texts(operation.selection_set, fragments, variables or {}, set()):
        limit = LIMITS.get(name, OTHER)
        if len(text) > limit:
            return GraphQLError(
                f"'{path}' is at most {limit} characters.",
                extensions={"code": "BAD_USER_INPUT", "argument": path, "maxLength": limit},
            )
    return None


def _texts(
    selection: SelectionSetNode | None, fragments: dict, variables: dict, seen: set
) -> Iterator[tuple[str, str, str]]:
    for node in selection.selections if selection else ():
        if isinstance(node, FieldNode):
            for argument in node.arguments:
                yield from _values(argument.value, argument.name.value, argument.name.value, variables)
            yield from _texts(node.selection_set, fragments, variables, seen)
        elif isinstance(node, InlineFragmentNode):
            yield from _texts(node.selection_set, fragments, variables, seen)
        elif isinstance(node, FragmentSpreadNode) and node.name.value not in seen and node.name.value in fragments:
            seen.add(node.name.value)
            yield from _texts(fragments[node.name.value].selection_set, fragments, variables, seen)


def _values(value: ValueNode | Any, path: str, name: str, variables: dict) -> Iterator[tuple[str, str, str]]:
    if isinstance(value, VariableNode):
        yield from _plain(variables.get(value.name.value), path, name)
    elif isinstance(value, StringValueNode):
        yield path, name, value.value
    elif isinstance(value, ListValueNode):
        for item in value.values:
            yield from _values(item, path, name, variables)
    elif isinstance(value, ObjectValueNode):
        for field in value.fields:
            yield from _values(field.value, f"{path}.{field.name.value}", field.name.value, variables)


def _plain(value: Any, path: str, name: str) -> Iterator[tuple[str, str, str]]:
    if isinstance(value, str):
        yield path, name, value
    elif isinstance(value, list):
        for item in value:
            yield from _plain(item, path, name)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _plain(item, f"{path}.{key}", key)
