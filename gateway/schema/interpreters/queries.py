"""Reading interpreters: their managers' list."""

from __future__ import annotations

import graphene

from services.common.access import ROLES

from ...clients import bookings
from ..core.payloads import described
from ..core.wire import ctx
from .types import Interpreter, InterpreterProvider


class InterpreterQueries(graphene.ObjectType):
    interpreters = graphene.List(
        graphene.NonNull(Interpreter),
        required=True,
        description=described(
            "The interpreters of a provider you manage, by name: a clinic's admins, their own coordinators.",
            ROLES["interpreters.manage"],
        ),
        provider=graphene.String(description="The provider (required for platform admins)."),
    )

    interpreter_providers = graphene.List(
        graphene.NonNull(InterpreterProvider),
        required=True,
        description=described(
            "The interpreter providers serving a clinic: a clinic's admins, their own clinic's; platform admins, "
            "the clinic named, or every one.",
            ROLES["interpreters.manage"],
        ),
        clinic=graphene.String(description="The clinic (a clinic's admins: their own)."),
    )

    async def resolve_interpreters(root, info, provider=None):
        return await bookings.interpreters(ctx(info), provider)

    async def resolve_interpreter_providers(root, info, clinic=None):
        return await bookings.providers(ctx(info), clinic)
