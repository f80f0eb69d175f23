"""Mutation payloads: the changed object, or the service's refusal as typed business errors.

Each mutation group has its own error type whose ``code`` is an enum generated from the list of
codes of the service behind it (``services/common/codes.py``), so a client can switch over them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import graphene

from services.common.access import who_may
from services.common.codes import codes_of

from ...upstream import ServiceFailure

TOP_LEVEL = {401, 403, 503}  # authorization and availability stay top-level errors


def error_type(name: str, service: str, group: str) -> type[graphene.ObjectType]:
    """``<name>`` with a ``<name>Code`` enum of every code the ``service`` may answer with."""
    codes = codes_of(service)
    code = graphene.Enum(
        f"{name}Code",
        [(c, c) for c in codes],
        description=lambda v: f"Why a {group} mutation was refused." if v is None else codes[v.name],
    )
    return type(
        name,
        (graphene.ObjectType,),
        {
            "__doc__": f"A business error of a {group} mutation: what was refused and why.",
            "field": graphene.String(
                description="The input field at fault, as its path within the mutation's input "
                "(patient.homeTimeZone, times[1]), when one is; else null."
            ),
            "message": graphene.String(required=True, description="What went wrong, for people."),
            "code": graphene.Field(code, required=True, description="Stable machine-readable code."),
        },
    )


def business_errors(failure: ServiceFailure) -> list[dict]:
    """A service's refusal as payload errors; authorization and availability stay top-level errors."""
    if failure.status in TOP_LEVEL:
        raise failure
    if failure.field_errors:
        return [{"field": e["field"], "message": e["message"], "code": failure.code} for e in failure.field_errors]
    return [{"field": None, "message": failure.message, "code": failure.code}]


async def outcome(field: str, call: Awaitable[Any], shape: Callable[[Any], Any] | None = None) -> dict:
    """A mutation payload: the awaited service answer under ``field`` (through ``shape`` when
    given), or null and the service's refusal as business errors."""
    try:
        answer = await call
    except ServiceFailure as failure:
        return {field: None, "errors": business_errors(failure)}
    return {field: shape(answer) if shape else answer, "errors": []}


def payload_type(
    name: str, field: str, of_type: Any, noun: str, doc: str, errors: type, errors_doc: str = "Business errors."
) -> type:
    """A mutation's payload: the changed object, or why it was refused."""
    return type(
        name,
        (graphene.ObjectType,),
        {
            "__doc__": doc,
            field: graphene.Field(of_type, description=f"The {noun} as it is now."),
            "errors": graphene.List(graphene.NonNull(errors), required=True, description=errors_doc),
        },
    )


def described(text: str, roles: tuple[str, ...]) -> str:
    """A mutation's description with who may call it, from the declaration the service enforces."""
    return f"{text} {who_may(roles)}"
