"""How deep and how costly a query is, counted before it runs.

Depth counts every field, introspection ones too (graphene's own depth rule skips them, so a
25-level ``__schema`` query passed it). Its default is the schema's deepest real path, or
GraphiQL's introspection query where introspection is on. Cost multiplies each field by the
list it asks for: its ``first``, or else the longest list it is given (``ids``, ``slugs``,
``filter.clinic``), so aliases and large pages add up instead of hiding behind a depth limit.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLError,
    GraphQLSchema,
    get_introspection_query,
    get_named_type,
    is_object_type,
    parse,
)
from graphql.language import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)

MAX_FIRST = 100


def _fields(selection: SelectionSetNode | None, fragments: dict, seen: frozenset = frozenset()):
    """The fields of a selection, with fragments spread in place (each fragment once per path)."""
    for node in selection.selections if selection else ():
        if isinstance(node, FieldNode):
            yield node, seen
        elif isinstance(node, InlineFragmentNode):
            yield from _fields(node.selection_set, fragments, seen)
        elif isinstance(node, FragmentSpreadNode) and node.name.value in fragments and node.name.value not in seen:
            yield from _fields(fragments[node.name.value].selection_set, fragments, seen | {node.name.value})


def _fragments(document: DocumentNode) -> dict:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def depth(document: DocumentNode, operation: OperationDefinitionNode | None = None) -> int:
    """How many fields deep the operation (the first one when not named) nests."""
    fragments = _fragments(document)
    operation = operation or next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))

    def nested(selection, seen) -> int:
        return max(
            (
                1 + nested(field.selection_set, fields_seen)
                for field, fields_seen in _fields(selection, fragments, seen)
            ),
            default=0,
        )

    return nested(operation.selection_set, frozenset())


def deepest_path(schema: GraphQLSchema) -> int:
    """The most fields a query can nest without meeting a type twice on one path (introspection aside)."""

    def longest(type_, path: frozenset) -> int:
        named = get_named_type(type_)
        if not is_object_type(named) or named.name in path:
            return 0
        return max(
            (
                1 + longest(field.type, path | {named.name})
                for name, field in named.fields.items()
                if not name.startswith("__")
            ),
            default=0,
        )

    roots = [root for root in (schema.query_type, schema.mutation_type) if root]
    return max(longest(root, frozenset()) for root in roots)


def default_depth(schema: GraphQLSchema, introspection: bool) -> int:
    deepest = deepest_path(schema)
    return max(deepest, depth(parse(get_introspection_query()))) if introspection else deepest


def cost(document: DocumentNode, operation: OperationDefinitionNode, variables: dict | None) -> int:
    """Each field counts 1 plus its selection's cost, times the list it asks for."""
    fragments, variables = _fragments(document), variables or {}

    def of(selection, seen) -> int:
        return sum(
            _times(field, variables) * (1 + of(field.selection_set, fields_seen))
            for field, fields_seen in _fields(selection, fragments, seen)
        )

    return of(operation.selection_set, frozenset())


def _times(field: FieldNode, variables: dict) -> int:
    sizes = []
    for argument in field.arguments:
        value = _value(argument.value, variables)
        if argument.name.value == "first" and isinstance(value, int):
            return min(max(value, 1), MAX_FIRST)  # a larger first is refused by name when the field runs
        sizes.append(_longest_list(value))
    return max(sizes + [1])


def _value(node: Any, variables: dict) -> Any:
    if isinstance(node, VariableNode):
        return variables.get(node.name.value)
    if isinstance(node, IntValueNode):
        return int(node.value)
    if isinstance(node, ListValueNode):
        return [_value(item, variables) for item in node.values]
    if isinstance(node, ObjectValueNode):
        return {field.name.value: _value(field.value, variables) for field in node.fields}
    return None


def _longest_list(value: Any) -> int:
    if isinstance(value, list):
        return max([len(value)] + [_longest_list(item) for item in value])
    if isinstance(value, dict):
        return max([_longest_list(item) for item in value.values()] + [1])
    return 1


def too_complex(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "QUERY_TOO_COMPLEX"})
