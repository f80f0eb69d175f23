"""Reading interpreters: their managers' list."""

from __future__ import annotations

import graphene

from services.common.access import ROLES

from ...clients import bookings
from ..core.payloads import described
from ..core.wire import ctx
from .types import Interpreter


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

    async def resolve_interpreters(root, info, provider=None):
        return await bookings.interpreters(ctx(info), provider)
