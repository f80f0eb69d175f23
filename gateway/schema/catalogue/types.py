"""The catalogue's types: clinics, scar types and procedures."""

from __future__ import annotations

from typing import Any

import graphene
from graphql import GraphQLError

from services.common.validation import contract_enum

from ..core.comparison import ComparisonRow, Labels, row
from ..core.connections import connection_type
from ..core.language import language
from ..core.scalars import CAUTION_CODES, ClinicKind, Date, Fact, ScarTypeCode, Source
from ..core.wire import WireObject
from .loaders import InstitutionRegistrationLoader, ProcedureByCodeLoader

INSTITUTION_CATEGORIES = {
    "CLINIC": "A clinic (의원): commissions capped at 30% of the medical fee.",
    "HOSPITAL": "A hospital (병원): commissions capped at 20% of the medical fee.",
    "GENERAL_HOSPITAL": "A general hospital (종합병원): commissions capped at 20% of the medical fee.",
    "TERTIARY_HOSPITAL": "A tertiary hospital (상급종합병원): commissions capped at 15% of the medical fee.",
}
InstitutionCategory = graphene.Enum(
    "InstitutionCategory",
    [(code, code) for code in contract_enum("bookings/defs", "institutionCategory")],
    description=lambda v: (
        "An institution's category as registered: it sets the cap on commissions."
        if v is None
        else INSTITUTION_CATEGORIES[v.name]
    ),
)
RegistrationKind = graphene.Enum(
    "RegistrationKind",
    [("FACILITATOR", "FACILITATOR"), ("INSTITUTION", "INSTITUTION")],
    description=lambda v: (
        "Who is registered for attracting foreign patients."
        if v is None
        else {"FACILITATOR": "An agency that brings foreign patients.", "INSTITUTION": "A clinic that treats them."}[
            v.name
        ]
    ),
)


class Registration(WireObject):
    """A registration with the Ministry of Health and Welfare (through KHIDI) for attracting foreign patients: a
    facilitator's (an agency) or an institution's (a clinic). A booking needs both valid on its Seoul date."""

    kind = graphene.Field(RegistrationKind, required=True, description="Facilitator or institution.")
    party = graphene.String(required=True, description="The agency's id, or the clinic's slug.")
    name = graphene.String(required=True, description="The registered name.")
    number = graphene.String(required=True, description="The registration number.")
    category = graphene.Field(InstitutionCategory, description="An institution's category (null for a facilitator).")
    issued_on = Date(required=True, description="The first day it is valid (Seoul date).")
    expires_on = Date(required=True, description="The last day it is valid (Seoul date).")
    valid = graphene.Boolean(required=True, description="Issued and not expired on today's Seoul date.")
    expiring_soon = graphene.Boolean(
        required=True, description="Valid, and expiring within 60 days (a registration.expiring event is sent)."
    )
    source = graphene.String(required=True, description="sample: seed data, not a real registration; else admin.")


async def registrations_of(info: Any, clinics: list[str]) -> list[dict | None] | None:
    """The clinics' registrations for a comparison; None when the bookings service, which keeps them, is down:
    the row then says unknown and the rest of the comparison answers."""
    try:
        return await InstitutionRegistrationLoader.of(info).load_many(clinics)
    except GraphQLError:
        return None


def registration_row(labels: Labels, registrations: list[dict | None] | None, columns: int) -> dict:
    """A comparison row of each clinic's registration for foreign patients: its number, category and expiry
    while valid (null otherwise), the valid ones marked best, as valid accreditations are counted."""
    if registrations is None:
        return row(labels, "FOREIGN_PATIENT_REGISTRATION", [None] * columns)
    valid = [bool(found and found["valid"]) for found in registrations]
    return row(
        labels,
        "FOREIGN_PATIENT_REGISTRATION",
        [int(ok) for ok in valid],
        best="max",
        texts=[
            f"{found['number']} · {found['category']} · {found['expiresOn']}" if found and ok else None
            for found, ok in zip(registrations, valid, strict=True)
        ],
    )


class OfferedProcedure(WireObject):
    """A procedure a clinic offers, with the devices it uses."""

    code = graphene.String(required=True, description="Procedure code, e.g. TCA_CROSS.")
    devices = graphene.List(
        graphene.NonNull(graphene.String), required=True, description="Devices used (sample data for seed clinics)."
    )
    procedure = graphene.Field(lambda: Procedure, description="The procedure from the knowledge base.")

    async def resolve_procedure(root, info):
        return await ProcedureByCodeLoader.of(info).load((root["code"], language(info, root=root)))


class Languages(WireObject):
    """Languages a clinic serves patients in, per level."""

    booking = graphene.List(
        graphene.NonNull(graphene.String), required=True, description="Languages for booking and coordination."
    )
    in_room = graphene.List(
        graphene.NonNull(graphene.String), required=True, description="Languages in the treatment room (interpreter)."
    )
    aftercare = graphene.List(
        graphene.NonNull(graphene.String), required=True, description="Languages of written aftercare."
    )


class Accreditation(WireObject):
    """A badge from an accrediting body; one past its expiry is not valid."""

    issuer = graphene.String(required=True, description="Who issued it.")
    name = graphene.String(required=True, description="What it certifies.")
    registry_number = graphene.String(required=True, description="The issuer's registry number.")
    expires_on = Date(required=True, description="Last day it holds.")
    valid = graphene.Boolean(required=True, description="False once expiresOn has passed (Seoul date).")


class Doctor(WireObject):
    """A doctor of the clinic."""

    name = graphene.String(required=True, description="Name, localized.")
    title = graphene.String(description="Title, localized.")
    board_certified_dermatologist = graphene.Boolean(description="Board-certified dermatologist.")
    specialties = graphene.List(graphene.NonNull(graphene.String), required=True, description="Specialties.")


class Address(WireObject):
    """Where the clinic is."""

    street = graphene.String(description="Street address, localized.")
    city = graphene.String(required=True, description="City.")
    postal_code = graphene.String(description="Postal code.")


class Location(WireObject):
    """Coordinates."""

    lat = graphene.Float(required=True, description="Latitude.")
    lng = graphene.Float(required=True, description="Longitude.")


class Contact(WireObject):
    """How to reach the clinic."""

    phone = graphene.String(description="Phone.")
    email = graphene.String(description="Email.")
    website = graphene.String(description="Website.")


class Clinic(WireObject):
    """A hospital or private clinic treating acne scars."""

    slug = graphene.String(required=True, description="Public identifier, e.g. oracle-skin-clinic.")
    kind = graphene.Field(ClinicKind, required=True, description="Hospital or private clinic.")
    name = graphene.String(required=True, description="Name, localized.")
    description = graphene.String(description="Description, localized.")
    district = graphene.String(required=True, description="Seoul area, e.g. GANGNAM, JONGNO.")
    address = graphene.Field(Address, description="Address.")
    location = graphene.Field(Location, description="Coordinates.")
    procedures = graphene.List(
        graphene.NonNull(OfferedProcedure), required=True, description="Procedures offered, with devices."
    )
    languages = graphene.Field(Languages, required=True, description="Languages per level.")
    international_services = graphene.List(
        graphene.NonNull(graphene.String),
        required=True,
        description="INTERPRETER, AIRPORT_PICKUP, SKINCARE_KIT, KBEAUTY_AFTERCARE, REMOTE_FOLLOW_UP, "
        "VISA_INVITATION_LETTER (the treatment-reservation confirmation for the medical visa: Booking.visaDocument).",
    )
    accreditations = graphene.List(
        graphene.NonNull(Accreditation), required=True, description="Accreditations, valid or not."
    )
    registration = graphene.Field(
        Registration,
        description="Its registration as an institution for foreign patients, valid or not (null: none): a booking "
        "needs it valid, and its category caps agencies' commissions.",
    )
    doctors = graphene.List(graphene.NonNull(Doctor), required=True, description="Doctors.")
    contact = graphene.Field(Contact, description="Contact.")
    known_for = graphene.String(description="What the clinic is known for, localized.")
    facts = graphene.List(
        graphene.NonNull(Fact),
        required=True,
        description="Where facts (the district) come from: the seed or sample data.",
    )
    sample_fields = graphene.List(
        graphene.NonNull(graphene.String),
        required=True,
        description="Fields whose values are sample data rather than facts from the source.",
    )
    version = graphene.Int(required=True, description="Rises with every change of the profile.")

    def resolve_procedures(root, info):
        return [{**offered, "lang": root.get("lang")} for offered in root["procedures"]]

    async def resolve_registration(root, info):
        return await InstitutionRegistrationLoader.of(info).load(root["slug"])


class ScarType(WireObject):
    """A kind of acne scar."""

    code = graphene.Field(ScarTypeCode, required=True, description="Code.")
    family = graphene.String(required=True, description="ATROPHIC, RAISED or PIGMENT.")
    name = graphene.String(required=True, description="Name, localized.")
    description = graphene.String(required=True, description="What it is, localized.")


class Range(WireObject):
    """A range of whole numbers."""

    min = graphene.Int(required=True, description="At least.")
    max = graphene.Int(required=True, description="At most.")


class PreparationStep(WireObject):
    """Something to do before a session."""

    code = graphene.String(required=True, description="Stable code, e.g. STOP_RETINOIDS.")
    instruction = graphene.String(required=True, description="What to do, localized.")
    days_before = graphene.Int(required=True, description="Start this many days before a session.")
    daily = graphene.Boolean(required=True, description="Repeat every day from then on.")
    source = graphene.Field(Source, description="Where the step comes from (the days before: sample data).")


class RecoveryPhase(WireObject):
    """What to expect after a session; the phases follow each other with no day left out."""

    phase = graphene.String(required=True, description="IMMEDIATE, SHORT_TERM or LONG_TERM.")
    from_day = graphene.Int(required=True, description="Days after the session it starts.")
    to_day = graphene.Int(required=True, description="Days after the session it ends.")
    expectation = graphene.String(required=True, description="What happens, localized.")
    source = graphene.Field(Source, description="Where the phase comes from.")


class AftercareStep(WireObject):
    """Something to do for some hours after a session: a dated event of the care plan."""

    code = graphene.String(required=True, description="Stable code, e.g. NO_MAKEUP.")
    instruction = graphene.String(required=True, description="What to do, localized.")
    hours = graphene.Int(required=True, description="For how many hours after the session.")
    source = graphene.Field(Source, description="Where it comes from.")


class Risks(WireObject):
    """Possible side effects."""

    mild = graphene.List(graphene.NonNull(graphene.String), required=True, description="Mild side effects.")
    rare = graphene.List(graphene.NonNull(graphene.String), required=True, description="Rare complications.")


class Caution(WireObject):
    """Patient answers that make a procedure risky, or guidance for every patient of it."""

    code = graphene.String(required=True, description=f"One of {CAUTION_CODES}.")
    text = graphene.String(required=True, description="Why, localized.")
    source = graphene.Field(Source, description="Where the caution comes from: the seed, or a rule of ours.")


class Procedure(WireObject):
    """A procedure or treatment of the knowledge base."""

    code = graphene.String(required=True, description="Code, e.g. FRACTIONAL_CO2_LASER.")
    name = graphene.String(required=True, description="Name, localized.")
    category = graphene.String(
        required=True,
        description="LASER, NEEDLING, INJECTABLE, SURGICAL, CHEMICAL, LIGHT, REGENERATIVE, TOPICAL or ORAL.",
    )
    summary = graphene.String(required=True, description="What it does, localized.")
    indications = graphene.List(
        graphene.NonNull(ScarTypeCode), required=True, description="Scar types it is indicated for."
    )
    typical_sessions = graphene.Field(Range, description="Typical number of sessions.")
    session_interval_days = graphene.Field(Range, description="Days between sessions.")
    downtime_days = graphene.Field(Range, description="Days of downtime.")
    preparation = graphene.List(graphene.NonNull(PreparationStep), required=True, description="Preparation.")
    recovery = graphene.List(graphene.NonNull(RecoveryPhase), required=True, description="Recovery phases.")
    risks = graphene.Field(Risks, required=True, description="Risks.")
    cautions = graphene.List(graphene.NonNull(Caution), required=True, description="Cautions.")
    aftercare = graphene.List(
        graphene.NonNull(AftercareStep), required=True, description="What to do for some hours after a session."
    )
    for_active_acne = graphene.Boolean(
        required=True,
        description="Treats active acne (which is treated before scars): antibiotics, light, isotretinoin.",
    )
    facts = graphene.List(
        graphene.NonNull(Fact),
        required=True,
        description="Where each fact comes from: the seed (quoted) or sample data.",
    )
    combined_with = graphene.List(
        graphene.NonNull(graphene.String), required=True, description="Procedures it is often paired with."
    )
    sample_fields = graphene.List(
        graphene.NonNull(graphene.String), required=True, description="Values that are sample data."
    )


ClinicConnection = connection_type(Clinic, "clinic", "clinics")


class ClinicComparison(graphene.ObjectType):
    """Clinics side by side on the same facts, the best value in each row marked."""

    columns = graphene.List(graphene.NonNull(Clinic), required=True, description="The clinics, in the order asked.")
    rows = graphene.List(graphene.NonNull(ComparisonRow), required=True, description="The facts, one row each.")
