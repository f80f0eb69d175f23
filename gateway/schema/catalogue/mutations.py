"""Clinic admins edit their clinic's profile; platform admins create clinics."""

from __future__ import annotations

import graphene

from services.common.access import ROLES

from ...clients import catalogue
from ..core.payloads import described, error_type, outcome, payload_type
from ..core.wire import ctx, to_wire
from .inputs import ClinicInput, ClinicPatchInput
from .types import Clinic

ClinicError = error_type("ClinicError", "catalogue", "clinic")
ClinicPayload = payload_type("ClinicPayload", "clinic", Clinic, "clinic", "The clinic, or why not.", ClinicError)


class UpdateClinic(graphene.Mutation):
    """Change your clinic's profile (clinic admins; platform admins any)."""

    class Arguments:
        slug = graphene.String(required=True, description="Clinic slug.")
        input = ClinicPatchInput(required=True, description="Fields to change.")

    Output = ClinicPayload

    async def mutate(root, info, slug, input):
        return await outcome("clinic", catalogue.update_clinic(ctx(info), slug, to_wire(dict(input))))


class CreateClinic(graphene.Mutation):
    """Create a clinic (platform admins)."""

    class Arguments:
        input = ClinicInput(required=True, description="The clinic.")

    Output = ClinicPayload

    async def mutate(root, info, input):
        return await outcome("clinic", catalogue.create_clinic(ctx(info), to_wire(dict(input))))


class CatalogueMutations(graphene.ObjectType):
    update_clinic = UpdateClinic.Field(description=described("Change a clinic profile.", ROLES["clinics.update"]))
    create_clinic = CreateClinic.Field(description=described("Create a clinic.", ROLES["clinics.create"]))
