"""Clinic admins manage their packages; platform admins replace the exchange rates."""

from __future__ import annotations

import graphene

from services.common.access import ROLES
from services.common.wire import plain

from ...clients import packages
from ..core.language import language
from ..core.payloads import described, error_type, outcome, payload_type
from ..core.wire import ctx, to_wire
from .inputs import ExchangeRatesInput, PackageInput, PackagePatchInput
from .types import ExchangeRates, Package, rates_view

PackageError = error_type("PackageError", "packages", "package")
PackagePayload = payload_type(
    "PackagePayload", "package", Package, "package", "The package, or why it was refused.", PackageError
)
ExchangeRatesPayload = payload_type(
    "ExchangeRatesPayload", "exchange_rates", ExchangeRates, "rate table", "The rates now in force.", PackageError
)


class CreatePackage(graphene.Mutation):
    """Create a package as a draft (the clinic's admins)."""

    class Arguments:
        input = PackageInput(required=True, description="The package.")

    Output = PackagePayload

    async def mutate(root, info, input):
        return await outcome("package", packages.create_package(ctx(info), to_wire(dict(input)), language(info)))


class UpdatePackage(graphene.Mutation):
    """Change a package's price or content; its version rises."""

    class Arguments:
        id = graphene.ID(required=True, description="Package id.")
        input = PackagePatchInput(required=True, description="Fields to change.")

    Output = PackagePayload

    async def mutate(root, info, id, input):
        return await outcome("package", packages.update_package(ctx(info), id, to_wire(dict(input)), language(info)))


class PublishPackage(graphene.Mutation):
    """Publish a draft."""

    class Arguments:
        id = graphene.ID(required=True, description="Package id.")

    Output = PackagePayload

    async def mutate(root, info, id):
        return await outcome("package", packages.change_status(ctx(info), id, "publish", language(info)))


class ArchivePackage(graphene.Mutation):
    """Archive a package."""

    class Arguments:
        id = graphene.ID(required=True, description="Package id.")

    Output = PackagePayload

    async def mutate(root, info, id):
        return await outcome("package", packages.change_status(ctx(info), id, "archive", language(info)))


class UpdateExchangeRates(graphene.Mutation):
    """Replace the exchange rates (platform admins)."""

    class Arguments:
        input = ExchangeRatesInput(required=True, description="The new table.")

    Output = ExchangeRatesPayload

    async def mutate(root, info, input):
        body = {
            "asOf": input["as_of"].isoformat(),
            "rates": {str(plain(r["currency"])): r["krw_per_unit"] for r in input["rates"]},
        }
        return await outcome("exchange_rates", packages.replace_rates(ctx(info), body), rates_view)


class PackageMutations(graphene.ObjectType):
    create_package = CreatePackage.Field(description=described("Create a package as a draft.", ROLES["packages.write"]))
    update_package = UpdatePackage.Field(
        description=described("Change a package; its version rises.", ROLES["packages.write"])
    )
    publish_package = PublishPackage.Field(description=described("Publish a draft.", ROLES["packages.write"]))
    archive_package = ArchivePackage.Field(description=described("Archive a package.", ROLES["packages.write"]))


class ExchangeRateMutations(graphene.ObjectType):
    update_exchange_rates = UpdateExchangeRates.Field(
        description=described("Replace the exchange rates.", ROLES["rates.replace"])
    )
