"""Clinic admins manage their listings and slots; platform admins manage clinics and rates."""
from __future__ import annotations

from datetime import date

import graphene

from ..upstream import ServiceFailure
from .clinics import Clinic, ClinicKind
from .common import Currency, Date, FollowUpKind, MutationError, ScarTypeCode, business_errors, camel, ctx, outcome, payload_type
from .packages import ExchangeRates, Package, Slot, rates_view


def to_wire(value):
    """Input objects (snake_case, enums) as the services' JSON (camelCase, plain values)."""
    if isinstance(value, dict):
        return {camel(key): to_wire(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [to_wire(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return getattr(value, "value", value)


class LocalizedTextInput(graphene.InputObjectType):
    """Text per language; English is required and is the fallback."""

    en = graphene.String(required=True, description="English.")
    ko = graphene.String(description="Korean.")
    zh = graphene.String(description="Chinese.")
    ja = graphene.String(description="Japanese.")


class PackageItemInput(graphene.InputObjectType):
    """A procedure and its sessions."""

    procedure = graphene.String(required=True, description="Procedure code the clinic offers.")
    sessions = graphene.Int(required=True, description="Sessions, 1-20.")


class InterpreterOptionInput(graphene.InputObjectType):
    """An interpreter offered."""

    language = graphene.String(required=True, description="ISO 639-1.")
    included = graphene.Boolean(required=True, description="True: no charge.")
    price_per_session_krw = graphene.Int(description="Won per visit unless included.")


class FollowUpPlanInput(graphene.InputObjectType):
    """A follow-up plan offered."""

    code = graphene.String(required=True, description="Code, e.g. VIDEO_3.")
    kind = FollowUpKind(required=True, description="How.")
    count = graphene.Int(required=True, description="How many.")
    price_krw = graphene.Int(required=True, description="Won for the plan.")


class RefundTierInput(graphene.InputObjectType):
    """A refund tier."""

    days_before = graphene.Int(required=True, description="Days before the first visit.")
    refund_percent = graphene.Int(required=True, description="Percent refunded.")


class CancellationPolicyInput(graphene.InputObjectType):
    """Refund tiers."""

    tiers = graphene.List(graphene.NonNull(RefundTierInput), required=True, description="Tiers.")


class ScreeningInput(graphene.InputObjectType):
    """Which cautions block a booking."""

    blocking = graphene.List(graphene.NonNull(graphene.String), required=True, description="Caution codes that refuse a booking.")


def _package_fields(required: bool) -> dict:
    return {
        "title": graphene.InputField(LocalizedTextInput, required=required, description="Title."),
        "description": graphene.InputField(LocalizedTextInput, description="Description."),
        "scar_types": graphene.List(graphene.NonNull(ScarTypeCode), required=required, description="Scar types targeted."),
        "items": graphene.List(graphene.NonNull(PackageItemInput), required=required, description="Procedures and sessions."),
        "session_interval_days": graphene.Int(required=required, description="Days between visits."),
        "includes": graphene.List(graphene.NonNull(graphene.String), description="CONSULTATION, SKINCARE_KIT, CALMING_MASK, LED."),
        "price_krw": graphene.Int(required=required, description="Base price in won."),
        "interpreter_options": graphene.List(graphene.NonNull(InterpreterOptionInput), description="Interpreters."),
        "follow_up_plans": graphene.List(graphene.NonNull(FollowUpPlanInput), description="Follow-up plans."),
        "cancellation_policy": graphene.InputField(CancellationPolicyInput, required=required, description="Refund tiers."),
        "minimum_stay_days": graphene.Int(required=required, description="Days to stay after a visit."),
        "screening": graphene.InputField(ScreeningInput, description="Blocking cautions."),
    }


PackageInput = type("PackageInput", (graphene.InputObjectType,), {
    "__doc__": "A new package (created as a draft).",
    "clinic": graphene.String(required=True, description="Your clinic's slug."), **_package_fields(True)})
PackagePatchInput = type("PackagePatchInput", (graphene.InputObjectType,), {
    "__doc__": "Fields to change; the version rises.", **_package_fields(False)})


PackagePayload = payload_type("PackagePayload", "package", Package, "package", "The package, or why it was refused.")


def _package_call(info, method: str, path: str, body: dict | None = None):
    return outcome("package", ctx(info).call("packages", method, path, json=body, params={"lang": ctx(info).lang}))


class CreatePackage(graphene.Mutation):
    """Create a package as a draft (the clinic's admins)."""

    class Arguments:
        input = PackageInput(required=True, description="The package.")

    Output = PackagePayload

    async def mutate(root, info, input):
        return await _package_call(info, "POST", "/packages", to_wire(dict(input)))


class UpdatePackage(graphene.Mutation):
    """Change a package's price or content; its version rises."""

    class Arguments:
        id = graphene.ID(required=True, description="Package id.")
        input = PackagePatchInput(required=True, description="Fields to change.")

    Output = PackagePayload

    async def mutate(root, info, id, input):
        return await _package_call(info, "PATCH", f"/packages/{id}", to_wire(dict(input)))


class PublishPackage(graphene.Mutation):
    """Publish a draft."""

    class Arguments:
        id = graphene.ID(required=True, description="Package id.")

    Output = PackagePayload

    async def mutate(root, info, id):
        return await _package_call(info, "POST", f"/packages/{id}/publish")


class ArchivePackage(graphene.Mutation):
    """Archive a package."""

    class Arguments:
        id = graphene.ID(required=True, description="Package id.")

    Output = PackagePayload

    async def mutate(root, info, id):
        return await _package_call(info, "POST", f"/packages/{id}/archive")


class OpenSlotsInput(graphene.InputObjectType):
    """A rule: these weekdays, at these Seoul times, from one date to another."""

    clinic = graphene.String(required=True, description="Your clinic's slug.")
    package_id = graphene.ID(description="For this package; any package of the clinic when omitted.")
    from_ = Date(required=True, name="from", description="First date.")
    to = Date(required=True, description="Last date.")
    weekdays = graphene.List(graphene.NonNull(graphene.String), required=True, description="MON ... SUN.")
    times = graphene.List(graphene.NonNull(graphene.String), required=True, description="HH:MM, Seoul time.")
    capacity = graphene.Int(required=True, description="Seats per slot.")
    duration_minutes = graphene.Int(description="Length; 60 when omitted.")


class OpenSlotsPayload(graphene.ObjectType):
    """The slots opened."""

    slots = graphene.List(graphene.NonNull(Slot), required=True, description="New slots.")
    created = graphene.Int(required=True, description="How many were opened.")
    skipped = graphene.Int(required=True, description="How many existed already.")
    errors = graphene.List(graphene.NonNull(MutationError), required=True,
                           description="Business errors; SLOT_IN_PAST for each time of the rule that has already passed.")


class OpenSlots(graphene.Mutation):
    """Open slots from a rule (the clinic's admins)."""

    class Arguments:
        input = OpenSlotsInput(required=True, description="The rule.")

    Output = OpenSlotsPayload

    async def mutate(root, info, input):
        body = to_wire({k: v for k, v in dict(input).items() if k not in ("from_", "to")})
        body.update({"from": input["from_"].isoformat(), "to": input["to"].isoformat()})
        try:
            answer = await ctx(info).call("bookings", "POST", "/slots/bulk", json=body)
        except ServiceFailure as failure:
            return {"slots": [], "created": 0, "skipped": 0, "errors": business_errors(failure)}
        passed = [{"field": e["field"], "message": e["message"], "code": "SLOT_IN_PAST"} for e in answer.get("errors", [])]
        return {"slots": answer["items"], "created": answer["created"], "skipped": answer["skipped"], "errors": passed}


SlotPayload = payload_type("SlotPayload", "slot", Slot, "slot", "The slot, or why not.")


class CloseSlot(graphene.Mutation):
    """Close a slot to new bookings."""

    class Arguments:
        id = graphene.ID(required=True, description="Slot id.")

    Output = SlotPayload

    async def mutate(root, info, id):
        return await outcome("slot", ctx(info).call("bookings", "POST", f"/slots/{id}/close"))


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
        "international_services": graphene.List(graphene.NonNull(graphene.String), description="International services."),
        "contact": graphene.InputField(ContactInput, description="Contact."),
        "known_for": graphene.InputField(LocalizedTextInput, description="What it is known for."),
        "doctors": graphene.List(graphene.NonNull(DoctorInput), description="Its doctors (replaces the list)."),
        "accreditations": graphene.List(graphene.NonNull(AccreditationInput),
                                        description="Accreditations (replaces the list; platform admins only)."),
    }


ClinicInput = type("ClinicInput", (graphene.InputObjectType,), {
    "__doc__": "A new clinic.", "slug": graphene.String(required=True, description="Public identifier."),
    "kind": ClinicKind(required=True, description="Kind."), **_clinic_fields(True)})
ClinicPatchInput = type("ClinicPatchInput", (graphene.InputObjectType,), {
    "__doc__": "Profile fields to change.", **_clinic_fields(False)})


ClinicPayload = payload_type("ClinicPayload", "clinic", Clinic, "clinic", "The clinic, or why not.")


def _clinic_call(info, method: str, path: str, body: dict):
    return outcome("clinic", ctx(info).call("catalogue", method, path, json=body))


class UpdateClinic(graphene.Mutation):
    """Change your clinic's profile (clinic admins; platform admins any)."""

    class Arguments:
        slug = graphene.String(required=True, description="Clinic slug.")
        input = ClinicPatchInput(required=True, description="Fields to change.")

    Output = ClinicPayload

    async def mutate(root, info, slug, input):
        return await _clinic_call(info, "PATCH", f"/clinics/{slug}", to_wire(dict(input)))


class CreateClinic(graphene.Mutation):
    """Create a clinic (platform admins)."""

    class Arguments:
        input = ClinicInput(required=True, description="The clinic.")

    Output = ClinicPayload

    async def mutate(root, info, input):
        return await _clinic_call(info, "POST", "/clinics", to_wire(dict(input)))


class RateInput(graphene.InputObjectType):
    """Won per unit of a currency."""

    currency = Currency(required=True, description="Currency.")
    krw_per_unit = graphene.String(required=True, description="Won per one unit, decimal text.")


class ExchangeRatesInput(graphene.InputObjectType):
    """A new rate table."""

    as_of = Date(required=True, description="The date the rates hold for.")
    rates = graphene.List(graphene.NonNull(RateInput), required=True, description="Every supported currency but KRW.")


ExchangeRatesPayload = payload_type("ExchangeRatesPayload", "exchange_rates", ExchangeRates, "rate table",
                                    "The rates now in force.")


class UpdateExchangeRates(graphene.Mutation):
    """Replace the exchange rates (platform admins)."""

    class Arguments:
        input = ExchangeRatesInput(required=True, description="The new table.")

    Output = ExchangeRatesPayload

    async def mutate(root, info, input):
        body = {"asOf": input["as_of"].isoformat(),
                "rates": {str(getattr(r["currency"], "value", r["currency"])): r["krw_per_unit"] for r in input["rates"]}}
        return await outcome("exchange_rates", ctx(info).call("packages", "PUT", "/exchange-rates", json=body), rates_view)


class Viewer(graphene.ObjectType):
    """Who the API key belongs to."""

    role = graphene.String(required=True, description="AGENCY, CLINIC_ADMIN or PLATFORM_ADMIN.")
    clinic = graphene.String(description="The clinic a clinic admin manages (its slug), else null.")
    agency = graphene.String(description="The agency an agency key belongs to, else null.")


class ViewerQueries(graphene.ObjectType):
    viewer = graphene.Field(Viewer, description="The caller, from its API key; null for an anonymous call.")

    def resolve_viewer(root, info):
        principal = ctx(info).principal
        return None if principal is None else {"role": principal.role, "clinic": principal.clinic, "agency": principal.agency}


class AdminMutations(graphene.ObjectType):
    create_package = CreatePackage.Field(description="Create a package as a draft.")
    update_package = UpdatePackage.Field(description="Change a package; its version rises.")
    publish_package = PublishPackage.Field(description="Publish a draft.")
    archive_package = ArchivePackage.Field(description="Archive a package.")
    open_slots = OpenSlots.Field(description="Open slots from a rule.")
    close_slot = CloseSlot.Field(description="Close a slot.")
    update_clinic = UpdateClinic.Field(description="Change a clinic profile.")
    create_clinic = CreateClinic.Field(description="Create a clinic.")
    update_exchange_rates = UpdateExchangeRates.Field(description="Replace the exchange rates.")
