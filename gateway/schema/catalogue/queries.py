"""Reading the catalogue: clinics, scar types, procedures, clinics side by side."""

from __future__ import annotations

import graphene
from graphql import GraphQLError

from ...clients import catalogue, packages
from ..core.comparison import Labels, row
from ..core.connections import connection, require_first
from ..core.language import lang_arg, language
from ..core.sorting import sort_param
from ..core.wire import ctx
from .inputs import ClinicFilter, ClinicSort, clinic_params
from .loaders import ClinicBySlugLoader
from .types import Clinic, ClinicComparison, ClinicConnection, Procedure, ScarType, registration_row, registrations_of


class CatalogueQueries(graphene.ObjectType):
    clinics = graphene.Field(
        ClinicConnection,
        required=True,
        description="Clinics, filtered and sorted.",
        filter=ClinicFilter(description="Filters."),
        sort=ClinicSort(description="Order; by name when omitted."),
        first=graphene.Int(required=True, description="Page size, 1-100."),
        after=graphene.String(description="Cursor to continue after."),
        lang=lang_arg(),
    )
    clinic = graphene.Field(
        Clinic,
        description="One clinic by slug.",
        slug=graphene.String(required=True, description="The clinic's slug."),
        lang=lang_arg(),
    )
    scar_types = graphene.List(
        graphene.NonNull(ScarType), required=True, description="Every scar type.", lang=lang_arg()
    )
    procedures = graphene.List(
        graphene.NonNull(Procedure),
        required=True,
        description="Every procedure and treatment of the knowledge base.",
        lang=lang_arg(),
    )

    async def resolve_clinics(root, info, first, filter=None, sort=None, after=None, lang=None):
        page = await catalogue.clinic_page(
            ctx(info),
            clinic_params(filter),
            language(info, lang),
            limit=require_first(first),
            sort=sort_param(sort) if sort else None,
            cursor=after,
        )
        return connection(page)

    async def resolve_clinic(root, info, slug, lang=None):
        return await ClinicBySlugLoader.of(info).load((slug, language(info, lang)))

    async def resolve_scar_types(root, info, lang=None):
        return await catalogue.scar_types(ctx(info), language(info, lang))

    async def resolve_procedures(root, info, lang=None):
        return await catalogue.procedures(ctx(info), language(info, lang))


class ClinicComparisonQueries(graphene.ObjectType):
    compare_clinics = graphene.Field(
        ClinicComparison,
        required=True,
        description="Up to 5 clinics side by side.",
        slugs=graphene.List(graphene.NonNull(graphene.String), required=True, description="1 to 5 clinic slugs."),
        lang=lang_arg(),
    )

    async def resolve_compare_clinics(root, info, slugs, lang=None):
        if not 1 <= len(slugs) <= 5:
            raise GraphQLError("Compare 1 to 5 clinics.", extensions={"code": "BAD_USER_INPUT"})
        lang = language(info, lang)
        clinics = [c for c in await ClinicBySlugLoader.of(info).load_many([(slug, lang) for slug in slugs]) if c]
        cheapest_first = await packages.search(
            ctx(info), {"clinic": [c["slug"] for c in clinics]}, lang, limit=100, sort="pricePerSession", total=False
        )
        cheapest: dict[str, int] = {}
        for package in cheapest_first["items"]:
            cheapest.setdefault(package["clinic"], package["pricePerSessionKrw"])
        labels = Labels("compareClinics", lang)
        registered = await registrations_of(info, [c["slug"] for c in clinics])

        def languages(level: str) -> list[int]:
            return [len(c["languages"][level]) for c in clinics]

        rows = [
            row(labels, "KIND", [c["kind"] for c in clinics]),
            row(labels, "DISTRICT", [c["district"] for c in clinics]),
            row(labels, "PROCEDURES", [len(c["procedures"]) for c in clinics], best="max"),
            row(
                labels,
                "DEVICES",
                [", ".join(sorted({d for p in c["procedures"] for d in p["devices"]})) or None for c in clinics],
            ),
            row(labels, "LANGUAGES_BOOKING", languages("booking"), best="max"),
            row(labels, "LANGUAGES_IN_ROOM", languages("inRoom"), best="max"),
            row(labels, "LANGUAGES_AFTERCARE", languages("aftercare"), best="max"),
            row(labels, "INTERNATIONAL_SERVICES", [len(c["internationalServices"]) for c in clinics], best="max"),
            row(
                labels,
                "VALID_ACCREDITATIONS",
                [sum(a["valid"] for a in c["accreditations"]) for c in clinics],
                best="max",
            ),
            registration_row(labels, registered, len(clinics)),
            row(labels, "LOWEST_PRICE_PER_SESSION_KRW", [cheapest.get(c["slug"]) for c in clinics], best="min"),
        ]
        return {"columns": clinics, "rows": rows}
