"""Recording registrations and agreements (platform admins)."""

from __future__ import annotations

import graphene

from services.common.access import ROLES

from ...clients import bookings
from ..catalogue.types import InstitutionCategory, Registration
from ..core.payloads import described, error_type, outcome, payload_type
from ..core.scalars import Date
from ..core.wire import ctx, to_wire
from .types import CommissionAgreement

RegistrationError = error_type("RegistrationError", "bookings", "registration")
RegistrationPayload = payload_type(
    "RegistrationPayload",
    "registration",
    Registration,
    "registration",
    "The registration, or why not.",
    RegistrationError,
)
AgreementPayload = payload_type(
    "CommissionAgreementPayload",
    "agreement",
    CommissionAgreement,
    "agreement",
    "The agreement, or why not (COMMISSION_ABOVE_CAP names the cap and the law).",
    RegistrationError,
)


def registration_fields(institution: bool) -> dict:
    fields = {
        "name": graphene.String(required=True, description="The registered name."),
        "number": graphene.String(required=True, description="The registration number."),
        "issued_on": Date(required=True, description="The first day it is valid (Seoul date)."),
        "expires_on": Date(required=True, description="The last day it is valid (Seoul date)."),
    }
    if institution:
        fields["category"] = InstitutionCategory(required=True, description="Its category: it sets the cap.")
    return fields


FacilitatorRegistrationInput = type(
    "FacilitatorRegistrationInput",
    (graphene.InputObjectType,),
    {"__doc__": "An agency's registration as a facilitator.", **registration_fields(institution=False)},
)
InstitutionRegistrationInput = type(
    "InstitutionRegistrationInput",
    (graphene.InputObjectType,),
    {"__doc__": "A clinic's registration as an institution.", **registration_fields(institution=True)},
)


class RecordFacilitatorRegistration(graphene.Mutation):
    """Record or renew an agency's registration as a facilitator."""

    class Arguments:
        agency = graphene.String(required=True, description="The agency.")
        input = FacilitatorRegistrationInput(required=True, description="The registration.")

    Output = RegistrationPayload

    async def mutate(root, info, agency, input):
        body = to_wire(dict(input))
        return await outcome("registration", bookings.record_registration(ctx(info), "facilitators", agency, body))


class RecordInstitutionRegistration(graphene.Mutation):
    """Record or renew a clinic's registration as an institution."""

    class Arguments:
        clinic = graphene.String(required=True, description="The clinic's slug.")
        input = InstitutionRegistrationInput(required=True, description="The registration.")

    Output = RegistrationPayload

    async def mutate(root, info, clinic, input):
        body = to_wire(dict(input))
        return await outcome("registration", bookings.record_registration(ctx(info), "institutions", clinic, body))


class SetCommissionAgreement(graphene.Mutation):
    """Set an agency's fee agreement with a clinic."""

    class Arguments:
        agency = graphene.String(required=True, description="The agency.")
        clinic = graphene.String(required=True, description="The clinic's slug.")
        rate_percent = graphene.String(
            required=True, description='The share of the medical fee, a decimal percent ("15", "12.5").'
        )

    Output = AgreementPayload

    async def mutate(root, info, agency, clinic, rate_percent):
        body = {"ratePercent": rate_percent}
        return await outcome("agreement", bookings.set_agreement(ctx(info), agency, clinic, body))


class RegistrationMutations(graphene.ObjectType):
    record_facilitator_registration = RecordFacilitatorRegistration.Field(
        description=described(
            "Record or renew an agency's registration as a facilitator for foreign patients: its bookings and holds "
            "are refused FACILITATOR_NOT_REGISTERED without one valid on their Seoul date.",
            ROLES["registrations.write"],
        )
    )
    record_institution_registration = RecordInstitutionRegistration.Field(
        description=described(
            "Record or renew a clinic's registration as an institution for foreign patients, with its category: "
            "bookings and holds there are refused INSTITUTION_NOT_REGISTERED without one valid on their Seoul date.",
            ROLES["registrations.write"],
        )
    )
    set_commission_agreement = SetCommissionAgreement.Field(
        description=described(
            "Set an agency's fee agreement with a clinic: refused COMMISSION_ABOVE_CAP, naming the cap and its "
            "source, above the cap for the clinic's registered category (30% clinic, 20% hospital and general "
            "hospital, 15% tertiary hospital). Bookings made from then on record their commission at this rate.",
            ROLES["agreements.write"],
        )
    )
