"""What clinic queries and mutations take."""

from __future__ import annotations

import graphene

from ..core.language import LocalizedTextInput
from ..core.scalars import ClinicKind, Date, LanguageLevel, ScarTypeCode, SortDirection


class ClinicSortField(graphene.Enum):
    """What clinics can be sorted by."""

    NAME = "name"
    DISTRICT = "district"
    UPDATED_AT = "updatedAt"


class ClinicSort(graphene.InputObjectType):
    """How to sort clinics; ties are broken by slug."""

    field = ClinicSortField(required=True, description="What to sort by.")
    direction = SortDirection(default_value="ASC", description="Ascending or descending.")


class ClinicFilter(graphene.InputObjectType):
    """Filters mirroring the catalogue's allow-list; all given must hold."""

    kind = ClinicKind(description="Hospital or private clinic.")
    district = graphene.List(graphene.NonNull(graphene.String), description="Any of these Seoul areas.")
    procedure = graphene.List(graphene.NonNull(graphene.String), description="Offers all of these procedures.")
    scar_type = ScarTypeCode(description="Offers a procedure indicated for this scar type.")
    language = graphene.String(description="Speaks this language (ISO 639-1) at languageLevel.")
    language_level = LanguageLevel(description="Level for language; any level when omitted.")
    service = graphene.List(
        graphene.NonNull(graphene.String), description="Offers all of these international services."
    )
    accredited = graphene.Boolean(description="Has (true) or lacks (false) a valid accreditation.")
    search = graphene.String(description="Every word starts a word of the clinic's name, in any language.")


def clinic_params(filter_: dict | None) -> dict:
    params = {}
    for key, value in (filter_ or {}).items():
        if value is None:
            continue
        name = {"scar_type": "scarType", "language_level": "languageLevel", "search": "q"}.get(key, key)
        params[name] = (
            ",".join(value) if isinstance(value, list) else (str(value).lower() if isinstance(value, bool) else value)
        )
    return params


class LanguagesInput(graphene.InputObjectType):
    """Languages per level."""

    booking = graphene.List(graphene.NonNull(graphene.String), description="For booking.")
    in_room = graphene.List(graphene.NonNull(graphene.String), description="In the treatment room.")
    aftercare = graphene.List(graphene.NonNull(graphene.String), description="Of aftercare.")


class OfferedProcedureInput(graphene.InputObjectType):
    """A procedure offered."""

    code = graphene.String(required=True, description="Procedure code.")
    devices = graphene.List(graphene.NonNull(graphene.String), description="Devices used.")


class ContactInput(graphene.InputObjectType):
    """Contact details."""

    phone = graphene.String(description="Phone.")
    email = graphene.String(description="Email.")
    website = graphene.String(description="Website.")


class AddressInput(graphene.InputObjectType):
    """Address."""

    street = graphene.InputField(LocalizedTextInput, required=True, description="Street, localized.")
    city = graphene.String(required=True, description="City.")
    postal_code = graphene.String(description="Postal code.")


class LocationInput(graphene.InputObjectType):
    """A point on the map."""

    lat = graphene.Float(required=True, description="Latitude, -90 to 90.")
    lng = graphene.Float(required=True, description="Longitude, -180 to 180.")


class DoctorInput(graphene.InputObjectType):
    """A doctor of the clinic."""

    name = graphene.InputField(LocalizedTextInput, required=True, description="Name, localized.")
    title = graphene.InputField(LocalizedTextInput, description="Title, localized.")
    board_certified_dermatologist = graphene.Boolean(description="Board-certified dermatologist.")
    specialties = graphene.List(graphene.NonNull(graphene.String), description="Specialties.")


class AccreditationInput(graphene.InputObjectType):
    """An accreditation with its registry entry (platform admins set these)."""

    issuer = graphene.String(required=True, description="Who issued it, e.g. KHIDI.")
    name = graphene.String(required=True, description="What it is.")
    registry_number = graphene.String(required=True, description="The issuer's registry number.")
    expires_on = Date(required=True, description="Valid until this date.")


def _clinic_fields(required: bool) -> dict:
    return {
        "name": graphene.InputField(LocalizedTextInput, required=required, description="Name."),
        "description": graphene.InputField(LocalizedTextInput, description="Description."),
        "district": graphene.String(required=required, description="Seoul area, e.g. GANGNAM."),
        "address": graphene.InputField(AddressInput, description="Address."),
        "location": graphene.InputField(LocationInput, description="Where it is on the map."),
        "procedures": graphene.List(graphene.NonNull(OfferedProcedureInput), description="Procedures offered."),
        "languages": graphene.InputField(LanguagesInput, description="Languages per level."),
        "international_services": graphene.List(
            graphene.NonNull(graphene.String), description="International services."
        ),
        "contact": graphene.InputField(ContactInput, description="Contact."),
        "known_for": graphene.InputField(LocalizedTextInput, description="What it is known for."),
        "doctors": graphene.List(graphene.NonNull(DoctorInput), description="Its doctors (replaces the list)."),
        "accreditations": graphene.List(
            graphene.NonNull(AccreditationInput),
            description="Accreditations (replaces the list; platform admins only).",
        ),
    }


ClinicInput = type(
    "ClinicInput",
    (graphene.InputObjectType,),
    {
        "__doc__": "A new clinic.",
        "slug": graphene.String(required=True, description="Public identifier."),
        "kind": ClinicKind(required=True, description="Kind."),
        **_clinic_fields(True),
    },
)
ClinicPatchInput = type(
    "ClinicPatchInput", (graphene.InputObjectType,), {"__doc__": "Profile fields to change.", **_clinic_fields(False)}
)
