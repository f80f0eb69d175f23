"""Reading registrations, statements and the annual report."""

from __future__ import annotations

import asyncio

import graphene

from services.common.access import ROLES

from ...clients import bookings
from ..catalogue.types import Registration
from ..core.payloads import described
from ..core.wire import ctx
from .types import AnnualReport, CommissionStatement


def _party(agency: str | None, clinic: str | None) -> dict[str, str]:
    return {key: value for key, value in (("agency", agency), ("clinic", clinic)) if value}


class RegistrationQueries(graphene.ObjectType):
    facilitator_registration = graphene.Field(
        Registration,
        required=True,
        description="An agency's registration as a facilitator: the agency itself, or platform admins (anyone else: "
        "NOT_FOUND).",
        agency=graphene.String(required=True, description="The agency."),
    )
    commission_statement = graphene.Field(
        CommissionStatement,
        required=True,
        description=described(
            "A month's commission statement: each booking whose first visit falls in the Seoul month with its "
            "commission, and the totals (the sums of the lines, to the won); with its CSV. Agencies and clinics' "
            "admins get their own; platform admins name an agency or a clinic.",
            ROLES["statements.read"],
        ),
        month=graphene.String(required=True, description="The Seoul month, YYYY-MM."),
        agency=graphene.String(description="The agency (platform admins)."),
        clinic=graphene.String(description="The clinic (platform admins)."),
    )
    annual_report = graphene.Field(
        AnnualReport,
        required=True,
        description=described(
            "The annual report of an institution (clinic) or a facilitator (agency) for a Seoul year: patients by "
            "nationality, by month and by treatment, and the sums of medical fees and commissions; with its CSV.",
            ROLES["reports.annual"],
        ),
        year=graphene.Int(required=True, description="The Seoul year."),
        agency=graphene.String(description="The facilitator (give it or clinic)."),
        clinic=graphene.String(description="The institution (give it or agency)."),
    )

    async def resolve_facilitator_registration(root, info, agency):
        return await bookings.facilitator_registration(ctx(info), agency)

    async def resolve_commission_statement(root, info, month, agency=None, clinic=None):
        params = {"month": month, **_party(agency, clinic)}
        shown, csv = await asyncio.gather(
            bookings.statement(ctx(info), params), bookings.statement_csv(ctx(info), params)
        )
        return {**shown, "csv": csv}

    async def resolve_annual_report(root, info, year, agency=None, clinic=None):
        params: dict[str, str | int] = {"year": year, **_party(agency, clinic)}
        report, csv = await asyncio.gather(
            bookings.annual_report(ctx(info), params), bookings.annual_report_csv(ctx(info), params)
        )
        return {**report, "csv": csv}
