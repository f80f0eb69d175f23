"""Service answers as GraphQL objects: camelCase JSON read by snake_case fields, inputs written back."""

from __future__ import annotations

from datetime import date
from typing import Any

import graphene
from graphene.types.resolver import set_default_resolver

from services.common.wire import camel, plain

from ...context import RequestContext


def ctx(info: Any) -> RequestContext:
    return info.context


def wire_resolver(attname: str, default_value: Any, root: Any, info: Any, **args: Any) -> Any:
    """Service answers are camelCase JSON and fields are declared in snake_case Python: a dict
    root is read by the camelCase key, then by the Python name (for dicts the gateway builds)."""
    if isinstance(root, dict):
        key = camel(attname)
        return root[key] if key in root else root.get(attname, default_value)
    return getattr(root, attname, default_value)


# Every object type of the gateway resolves its fields this way.
set_default_resolver(wire_resolver)
WireObject = graphene.ObjectType


def to_wire(value: Any) -> Any:
    """Input objects (snake_case, enums, dates) as the services' JSON (camelCase, plain values)."""
    if isinstance(value, dict):
        return {camel(key): to_wire(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [to_wire(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return plain(value)
