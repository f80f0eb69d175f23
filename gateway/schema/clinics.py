"""Clinics, scar types and procedures: the catalogue, as partners read it."""
from __future__ import annotations

import graphene
from graphql import GraphQLError

from .common import (
    ClinicKind,
    ComparisonRow,
    Date,
    Labels,
    LanguageLevel,
    ScarTypeCode,
    WireObject,
    connection,
    connection_type,
    ctx,
    lang_arg,
    require_first,
    row,
    sort_param,
    use_lang,
)


class OfferedProcedure(WireObject):
    """A procedure a clinic offers, with the devices it uses."""

    code = graphene.String(required=True, description="Procedure code, e.g. TCA_CROSS.")
    devices = graphene.List(graphene.NonNull(graphene.String), required=True, description="Devices used (sample data for seed clinics).")
    procedure = graphene.Field(lambda: Procedure, description="The procedure from the knowledge base.")

    async def resolve_procedure(root, info):
        return await ctx(info).loader("procedure").load(root["code"])


class Languages(WireObject):
    """Languages a clinic serves patients in, per level."""

    booking = graphene.List(graphene.NonNull(graphene.String), required=True, description="Languages for booking and coordination.")
    in_room = graphene.List(graphene.NonNull(graphene.String), required=True, description="Languages in the treatment room (interpreter).")
    aftercare = graphene.List(graphene.NonNull(graphene.String), required=True, description="Languages of written aftercare.")


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
    procedures = graphene.List(graphene.NonNull(OfferedProcedure), required=True, description="Procedures offered, with devices.")
    languages = graphene.Field(Languages, required=True, description="Languages per level.")
    international_services = graphene.List(graphene.NonNull(graphene.String), required=True,
                                           description="INTERPRETER, AIRPORT_PICKUP, SKINCARE_KIT, KBEAUTY_AFTERCARE, REMOTE_FOLLOW_UP, VISA_INVITATION_LETTER.")
    accreditations = graphene.List(graphene.NonNull(Accreditation), required=True, description="Accreditations, valid or not.")
    doctors = graphene.List(graphene.NonNull(Doctor), required=True, description="Doctors.")
    contact = graphene.Field(Contact, description="Contact.")
    known_for = graphene.String(description="What the clinic is known for, localized.")
    sample_fields = graphene.List(graphene.NonNull(graphene.String), required=True,
                                  description="Fields whose values are sample data rather than facts from the source.")
    version = graphene.Int(required=True, description="Rises with every change of the profile.")


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


class RecoveryPhase(WireObject):
    """What to expect after a session."""

    phase = graphene.String(required=True, description="IMMEDIATE, SHORT_TERM or LONG_TERM.")
    from_day = graphene.Int(required=True, description="Days after the session it starts.")
    to_day = graphene.Int(required=True, description="Days after the session it ends.")
    expectation = graphene.String(required=True, description="What happens, localized.")


class Risks(WireObject):
    """Possible side effects."""

    mild = graphene.List(graphene.NonNull(graphene.String), required=True, description="Mild side effects.")
    rare = graphene.List(graphene.NonNull(graphene.String), required=True, description="Rare complications.")


class Caution(WireObject):
    """Patient answers that make a procedure risky."""

    code = graphene.String(required=True, description="DARKER_SKIN_PIH, RECENT_ISOTRETINOIN or ACTIVE_ACNE.")
    text = graphene.String(required=True, description="Why, localized.")


class Procedure(WireObject):
    """A procedure or treatment of the knowledge base."""

    code = graphene.String(required=True, description="Code, e.g. FRACTIONAL_CO2_LASER.")
    name = graphene.String(required=True, description="Name, localized.")
    category = graphene.String(required=True, description="LASER, NEEDLING, INJECTABLE, SURGICAL, CHEMICAL, LIGHT, REGENERATIVE, TOPICAL or ORAL.")
    summary = graphene.String(required=True, description="What it does, localized.")
    indications = graphene.List(graphene.NonNull(ScarTypeCode), required=True, description="Scar types it is indicated for.")
    typical_sessions = graphene.Field(Range, description="Typical number of sessions.")
    session_interval_days = graphene.Field(Range, description="Days between sessions.")
    downtime_days = graphene.Field(Range, description="Days of downtime.")
    preparation = graphene.List(graphene.NonNull(PreparationStep), required=True, description="Preparation.")
    recovery = graphene.List(graphene.NonNull(RecoveryPhase), required=True, description="Recovery phases.")
    risks = graphene.Field(Risks, required=True, description="Risks.")
    cautions = graphene.List(graphene.NonNull(Caution), required=True, description="Cautions.")
    combined_with = graphene.List(graphene.NonNull(graphene.String), required=True, description="Procedures it is often paired with.")
    sample_fields = graphene.List(graphene.NonNull(graphene.String), required=True, description="Values that are sample data.")


ClinicConnection = connection_type(Clinic, "clinic", "clinics")


class ClinicSortField(graphene.Enum):
    """What clinics can be sorted by."""

    NAME = "name"
    DISTRICT = "district"
    UPDATED_AT = "updatedAt"


class SortDirection(graphene.Enum):
    """Ascending or descending."""

    ASC = "ASC"
    DESC = "DESC"


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
    service = graphene.List(graphene.NonNull(graphene.String), description="Offers all of these international services.")
    accredited = graphene.Boolean(description="Has (true) or lacks (false) a valid accreditation.")
    search = graphene.String(description="Every word starts a word of the clinic's name, in any language.")


def clinic_params(filter_: dict | None) -> dict:
    params = {}
    for key, value in (filter_ or {}).items():
        if value is None:
            continue
        name = {"scar_type": "scarType", "language_level": "languageLevel", "search": "q"}.get(key, key)
        params[name] = ",".join(value) if isinstance(value, list) else (str(value).lower() if isinstance(value, bool) else value)
    return params


class TreatmentOption(graphene.ObjectType):
    """A procedure the knowledge base indicates for the patient's scar types, and who offers it."""

    procedure = graphene.Field(Procedure, required=True, description="The procedure, with preparation, recovery and risks.")
    for_scar_types = graphene.List(graphene.NonNull(ScarTypeCode), required=True, description="Which of the asked scar types it treats.")
    clinics = graphene.List(graphene.NonNull(Clinic), required=True, description="Clinics offering it (up to 100).")
    packages = graphene.List(graphene.NonNull(lambda: _package_type()), required=True,
                             description="Published packages including it (up to 100), cheapest first.")

    # Asked for only when selected: one call each per indicated procedure, all made concurrently
    # (the knowledge base indicates a handful of procedures for any set of scar types).
    async def resolve_clinics(root, info):
        answer = await ctx(info).call("catalogue", "GET", "/clinics", params={"procedure": root["procedure"]["code"], "limit": 100,
                                                                               "lang": ctx(info).lang})
        return answer["items"]

    async def resolve_packages(root, info):
        answer = await ctx(info).call("packages", "GET", "/packages", params={"procedure": root["procedure"]["code"], "sort": "price",
                                                                               "limit": 100, "lang": ctx(info).lang})
        return answer["items"]


def _package_type():
    from .packages import Package

    return Package


class ClinicComparison(graphene.ObjectType):
    """Clinics side by side on the same facts, the best value in each row marked."""

    columns = graphene.List(graphene.NonNull(Clinic), required=True, description="The clinics, in the order asked.")
    rows = graphene.List(graphene.NonNull(ComparisonRow), required=True, description="The facts, one row each.")


class ClinicQueries(graphene.ObjectType):
    clinics = graphene.Field(ClinicConnection, required=True, description="Clinics, filtered and sorted.",
                             filter=ClinicFilter(description="Filters."), sort=ClinicSort(description="Order; by name when omitted."),
                             first=graphene.Int(required=True, description="Page size, 1-100."),
                             after=graphene.String(description="Cursor to continue after."), lang=lang_arg())
    clinic = graphene.Field(Clinic, description="One clinic by slug.", slug=graphene.String(required=True, description="The clinic's slug."),
                            lang=lang_arg())
    scar_types = graphene.List(graphene.NonNull(ScarType), required=True, description="Every scar type.", lang=lang_arg())
    procedures = graphene.List(graphene.NonNull(Procedure), required=True, description="Every procedure and treatment of the knowledge base.",
                               lang=lang_arg())
    treatment_options = graphene.List(
        graphene.NonNull(TreatmentOption), required=True,
        description="For the patient's scar types: the indicated procedures, the clinics that offer them and their packages.",
        scar_types=graphene.List(graphene.NonNull(ScarTypeCode), required=True, description="The patient's scar types."),
        lang=lang_arg())
    compare_clinics = graphene.Field(ClinicComparison, required=True, description="Up to 5 clinics side by side.",
                                     slugs=graphene.List(graphene.NonNull(graphene.String), required=True, description="1 to 5 clinic slugs."),
                                     lang=lang_arg())

    async def resolve_clinics(root, info, first, filter=None, sort=None, after=None, lang=None):
        use_lang(info, lang)
        params = {**clinic_params(filter), "limit": require_first(first), "total": "true", "lang": ctx(info).lang}
        if sort:
            params["sort"] = sort_param(sort)
        if after:
            params["cursor"] = after
        page = await ctx(info).call("catalogue", "GET", "/clinics", params=params)
        return connection(page)

    async def resolve_clinic(root, info, slug, lang=None):
        use_lang(info, lang)
        return await ctx(info).loader("clinic").load(slug)

    async def resolve_scar_types(root, info, lang=None):
        use_lang(info, lang)
        return (await ctx(info).call("catalogue", "GET", "/scar-types", params={"lang": ctx(info).lang}))["items"]

    async def resolve_procedures(root, info, lang=None):
        use_lang(info, lang)
        return (await ctx(info).call("catalogue", "GET", "/procedures", params={"limit": 100, "lang": ctx(info).lang}))["items"]

    async def resolve_treatment_options(root, info, scar_types, lang=None):
        use_lang(info, lang)
        wanted = [str(getattr(code, "value", code)) for code in scar_types]
        procedures = (await ctx(info).call("catalogue", "GET", "/procedures",
                                           params={"scarType": ",".join(wanted), "limit": 100, "lang": ctx(info).lang}))["items"]
        return [{"procedure": procedure, "for_scar_types": [c for c in wanted if c in procedure["indications"]]}
                for procedure in procedures]

    async def resolve_compare_clinics(root, info, slugs, lang=None):
        use_lang(info, lang)
        if not 1 <= len(slugs) <= 5:
            raise GraphQLError("Compare 1 to 5 clinics.", extensions={"code": "BAD_USER_INPUT"})
        clinics = [c for c in await ctx(info).loader("clinic").load_many(slugs) if c]
        packages = (await ctx(info).call("packages", "POST", "/packages/search", json={
            "clinic": [c["slug"] for c in clinics], "sort": "pricePerSession", "limit": 100}))["items"]
        cheapest = {}
        for package in packages:
            cheapest.setdefault(package["clinic"], package["pricePerSessionKrw"])
        languages = lambda c, level: len(c["languages"][level])  # noqa: E731
        labels = Labels("compareClinics", ctx(info).lang)
        rows = [
            row(labels, "KIND", [c["kind"] for c in clinics]),
            row(labels, "DISTRICT", [c["district"] for c in clinics]),
            row(labels, "PROCEDURES", [len(c["procedures"]) for c in clinics], best="max"),
            row(labels, "DEVICES", [", ".join(sorted({d for p in c["procedures"] for d in p["devices"]})) or None for c in clinics]),
            row(labels, "LANGUAGES_BOOKING", [languages(c, "booking") for c in clinics], best="max"),
            row(labels, "LANGUAGES_IN_ROOM", [languages(c, "inRoom") for c in clinics], best="max"),
            row(labels, "LANGUAGES_AFTERCARE", [languages(c, "aftercare") for c in clinics], best="max"),
            row(labels, "INTERNATIONAL_SERVICES", [len(c["internationalServices"]) for c in clinics], best="max"),
            row(labels, "VALID_ACCREDITATIONS", [sum(a["valid"] for a in c["accreditations"]) for c in clinics], best="max"),
            row(labels, "LOWEST_PRICE_PER_SESSION_KRW", [cheapest.get(c["slug"]) for c in clinics], best="min"),
        ]
        return {"columns": clinics, "rows": rows}
