"""Managing interpreters (a clinic's admins their own coordinators, platform admins any provider's) and
interpretation providers (platform admins)."""

from __future__ import annotations

import graphene

from services.common.access import ROLES

from ...clients import bookings
from ..core.payloads import described, error_type, outcome, payload_type
from ..core.wire import ctx, to_wire
from .inputs import (
    InterpreterChangesInput,
    InterpreterInput,
    InterpreterProviderChangesInput,
    InterpreterProviderInput,
)
from .types import Interpreter, InterpreterProvider

InterpreterError = error_type("InterpreterError", "bookings", "interpreter")
InterpreterPayload = payload_type(
    "InterpreterPayload", "interpreter", Interpreter, "interpreter", "The interpreter, or why not.", InterpreterError
)
ProviderPayload = payload_type(
    "InterpreterProviderPayload",
    "provider",
    InterpreterProvider,
    "provider",
    "The provider, or why not.",
    InterpreterError,
)


class CreateInterpreter(graphene.Mutation):
    """Add an interpreter."""

    class Arguments:
        input = InterpreterInput(required=True, description="The interpreter.")

    Output = InterpreterPayload

    async def mutate(root, info, input):
        return await outcome("interpreter", bookings.create_interpreter(ctx(info), to_wire(dict(input))))


class UpdateInterpreter(graphene.Mutation):
    """Change an interpreter you manage."""

    class Arguments:
        id = graphene.ID(required=True, description="The interpreter.")
        input = InterpreterChangesInput(required=True, description="What changes.")

    Output = InterpreterPayload

    async def mutate(root, info, id, input):
        return await outcome("interpreter", bookings.update_interpreter(ctx(info), id, to_wire(dict(input))))


class CreateInterpreterProvider(graphene.Mutation):
    """Add an interpretation provider."""

    class Arguments:
        input = InterpreterProviderInput(required=True, description="The provider.")

    Output = ProviderPayload

    async def mutate(root, info, input):
        return await outcome("provider", bookings.create_provider(ctx(info), to_wire(dict(input))))


class UpdateInterpreterProvider(graphene.Mutation):
    """Change an interpretation provider."""

    class Arguments:
        id = graphene.String(required=True, description="The provider.")
        input = InterpreterProviderChangesInput(required=True, description="What changes.")

    Output = ProviderPayload

    async def mutate(root, info, id, input):
        return await outcome("provider", bookings.update_provider(ctx(info), id, to_wire(dict(input))))


class InterpreterMutations(graphene.ObjectType):
    create_interpreter = CreateInterpreter.Field(
        description=described(
            "Add an interpreter: to your clinic's own coordinators, or (platform admins) to a provider.",
            ROLES["interpreters.manage"],
        )
    )
    update_interpreter = UpdateInterpreter.Field(
        description=described("Change an interpreter you manage.", ROLES["interpreters.manage"])
    )
    create_interpreter_provider = CreateInterpreterProvider.Field(
        description=described(
            "Add an interpretation provider serving several clinics, with its notice and weekly cap.",
            ROLES["providers.manage"],
        )
    )
    update_interpreter_provider = UpdateInterpreterProvider.Field(
        description=described("Change an interpretation provider.", ROLES["providers.manage"])
    )
