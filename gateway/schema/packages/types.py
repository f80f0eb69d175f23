"""The packages' types: packages and what they offer, comparisons, treatment options, exchange rates."""

from __future__ import annotations

import graphene

from services.common.wire import plain

from ...clients import catalogue, packages
from ..catalogue.loaders import ClinicBySlugLoader, ProcedureByCodeLoader
from ..catalogue.types import AftercareStep, Clinic, PreparationStep, Procedure, RecoveryPhase
from ..core.comparison import ComparisonRow
from ..core.connections import connection_type
from ..core.language import language
from ..core.money import Money, currency_of
from ..core.scalars import CAUTION_CODES, Currency, Date, Fact, FollowUpKind, ScarTypeCode, Source
from ..core.wire import WireObject, ctx
from .loaders import NextFreeSlotLoader, PackagePriceLoader


class PackageItem(WireObject):
    """A procedure of the package and how many sessions of it."""

    procedure_code = graphene.String(required=True, description="Procedure code.")
    name = graphene.String(required=True, description="The procedure's name in the requested language.")
    sessions = graphene.Int(required=True, description="Sessions of it; sessions of different procedures share visits.")
    procedure = graphene.Field(Procedure, description="The procedure from the knowledge base.")

    def resolve_procedure_code(root, info):
        return root["procedure"]

    async def resolve_procedure(root, info):
        return await ProcedureByCodeLoader.of(info).load((root["procedure"], language(info, root=root)))


class InterpreterOption(WireObject):
    """An interpreter the package offers."""

    language = graphene.String(required=True, description="Language (ISO 639-1).")
    included = graphene.Boolean(required=True, description="True: no charge.")
    price_per_session_krw = graphene.Int(required=True, description="Won per visit when not included.")


class FollowUpPlan(WireObject):
    """A follow-up plan the package offers."""

    code = graphene.String(required=True, description="Code to choose it by.")
    kind = graphene.Field(FollowUpKind, required=True, description="How the follow-ups happen.")
    count = graphene.Int(required=True, description="How many.")
    price_krw = graphene.Int(required=True, description="Price in won for the whole plan.")


class RefundTier(WireObject):
    """Cancelled at least daysBefore days before the next visit still to come: refundPercent of the visits not
    yet delivered is refunded."""

    days_before = graphene.Int(required=True, description="Days before the next visit still to come.")
    refund_percent = graphene.Int(required=True, description="Percent of the total refunded.")


class CancellationPolicy(WireObject):
    """The refund tiers; a booking keeps a copy of the policy it was made under."""

    tiers = graphene.List(graphene.NonNull(RefundTier), required=True, description="Most days first.")


class Schedule(WireObject):
    """Visits, trips and stays."""

    visits = graphene.Int(required=True, description="Visits to the clinic.")
    interval_days = graphene.Int(required=True, description="Days between visits.")
    trips_needed = graphene.Int(required=True, description="Trips to Korea the visits need.")
    minimum_stay_days = graphene.Int(required=True, description="Days to stay after a visit, at least.")
    total_days = graphene.Int(required=True, description="From the first visit to the end of the last stay.")


class ScreeningCondition(WireObject):
    """When a screening rule applies; one field is set. The screening query tells before booking."""

    fitzpatrick_at_least = graphene.Int(
        description="Applies to Fitzpatrick skin types of this number (I=1 ... VI=6) and above."
    )
    isotretinoin_within_months = graphene.Int(
        description="Applies when isotretinoin was taken within this many months."
    )
    active_acne = graphene.Boolean(description="Applies when active acne is (true) or is not (false) present.")
    scar_types_outside_package = graphene.Boolean(
        description="Applies when some of the patient's scar types (if given) are not among the package's."
    )
    always = graphene.Boolean(description="Guidance for every patient of these procedures.")


class ScreeningRule(WireObject):
    """Patient answers the package warns about or refuses, or guidance for every patient."""

    code = graphene.String(required=True, description=f"One of {CAUTION_CODES}.")
    text = graphene.String(required=True, description="Why.")
    blocking = graphene.Boolean(required=True, description="True: a booking with this answer is refused.")
    applies_when = graphene.Field(ScreeningCondition, required=True, description="The answer that triggers it.")
    source = graphene.Field(
        Source, description="Where the rule comes from: the seed (quoted), or a rule of ours (sample)."
    )


class VisitWindow(WireObject):
    """How many days after a visit the next may be."""

    min_days = graphene.Int(required=True, description="At least this many days after the visit before.")
    max_days = graphene.Int(required=True, description="At most this many days after it.")
    source = graphene.Field(Source, description="Where the window comes from (the seed gives no interval: sample).")


class Package(WireObject):
    """A clinic's treatment package."""

    id = graphene.ID(required=True, description="Package id.")
    status = graphene.String(required=True, description="DRAFT, PUBLISHED or ARCHIVED.")
    version = graphene.Int(
        required=True, description="Rises with every change to price or content; bookings keep the version."
    )
    title = graphene.String(required=True, description="Title, localized.")
    description = graphene.String(description="Description, localized.")
    scar_types = graphene.List(graphene.NonNull(ScarTypeCode), required=True, description="Scar types it targets.")
    items = graphene.List(graphene.NonNull(PackageItem), required=True, description="Procedures and sessions.")
    session_interval_days = graphene.Int(required=True, description="Days between visits.")
    visit_window = graphene.Field(
        VisitWindow, required=True, description="When each next visit may be: the window every procedure allows."
    )
    includes = graphene.List(
        graphene.NonNull(graphene.String), required=True, description="CONSULTATION, SKINCARE_KIT, CALMING_MASK, LED."
    )
    price_krw = graphene.Int(required=True, description="Base price in won.")
    price = graphene.Field(
        Money,
        required=True,
        description="Base price in a currency.",
        currency=Currency(description="Display currency; KRW when omitted."),
    )
    price_per_session = graphene.Field(
        Money,
        required=True,
        description="Base price per visit in a currency.",
        currency=Currency(description="Display currency; KRW when omitted."),
    )
    interpreter_options = graphene.List(
        graphene.NonNull(InterpreterOption), required=True, description="Interpreters offered."
    )
    follow_up_plans = graphene.List(
        graphene.NonNull(FollowUpPlan), required=True, description="Follow-up plans offered."
    )
    cancellation_policy = graphene.Field(CancellationPolicy, required=True, description="Refund tiers.")
    minimum_stay_days = graphene.Int(required=True, description="Days to stay after a visit, at least.")
    schedule = graphene.Field(Schedule, required=True, description="Visits, trips and stays.")
    downtime_days = graphene.Int(required=True, description="The longest downtime of its procedures.")
    screening_rules = graphene.List(
        graphene.NonNull(ScreeningRule), required=True, description="Answers it warns about or refuses."
    )
    preparation = graphene.List(
        graphene.NonNull(PreparationStep), required=True, description="Preparation before each visit."
    )
    recovery = graphene.List(graphene.NonNull(RecoveryPhase), required=True, description="Recovery after each visit.")
    aftercare = graphene.List(
        graphene.NonNull(AftercareStep), required=True, description="What to do for some hours after each visit."
    )
    facts = graphene.List(
        graphene.NonNull(Fact),
        required=True,
        description="Where each fact comes from: the seed (quoted) or sample data.",
    )
    sample_fields = graphene.List(
        graphene.NonNull(graphene.String), required=True, description="Values that are sample data."
    )
    clinic = graphene.Field(Clinic, description="The clinic offering it.")
    # Slot is a bookings type: named, not imported, so packages never import bookings.
    next_free_slot = graphene.Field(
        "gateway.schema.bookings.types.Slot",
        description="Its earliest slot in the next 16 weeks from which the whole plan can be booked: every later "
        "visit's seat inside its window, with interpreterLanguage an interpreter free for every visit, and with "
        "followUpKind the first follow-up of its plan of that kind (null when it has none). Null if none "
        "(availableSlots finds later ones).",
        interpreter_language=graphene.String(
            description="The language the patient needs an interpreter in, at every visit (ISO 639-1)."
        ),
        follow_up_kind=FollowUpKind(
            description="The follow-up plan wanted, by kind: its first follow-up must be reservable too (an "
            "in-person seat, or a remote call in the clinic's consultation hours, in its window)."
        ),
    )

    def resolve_items(root, info):
        return [{**item, "lang": root.get("lang")} for item in root["items"]]

    async def resolve_price(root, info, currency=None):
        return (await PackagePriceLoader.of(info).load(((root["id"], root["version"]), currency_of(currency))))["price"]

    async def resolve_price_per_session(root, info, currency=None):
        return (await PackagePriceLoader.of(info).load(((root["id"], root["version"]), currency_of(currency))))[
            "pricePerSession"
        ]

    async def resolve_clinic(root, info):
        return await ClinicBySlugLoader.of(info).load((root["clinic"], language(info, root=root)))

    async def resolve_next_free_slot(root, info, interpreter_language=None, follow_up_kind=None):
        kind = plain(follow_up_kind)
        return await NextFreeSlotLoader.of(info).load((root["id"], root["clinic"], interpreter_language, kind))


PackageConnection = connection_type(Package, "package", "packages")


class PackageComparison(graphene.ObjectType):
    """Packages side by side on the same facts, the best value in each row marked."""

    columns = graphene.List(graphene.NonNull(Package), required=True, description="The packages, in the order asked.")
    rows = graphene.List(graphene.NonNull(ComparisonRow), required=True, description="The facts, one row each.")


class ExchangeRate(graphene.ObjectType):
    """Won per unit of a currency."""

    currency = graphene.Field(Currency, required=True, description="Currency.")
    krw_per_unit = graphene.String(required=True, description="Won per one unit, decimal text.")
    minor_units = graphene.Int(required=True, description="Digits after the decimal point.")


class ExchangeRates(graphene.ObjectType):
    """The rates new quotes use."""

    as_of = Date(required=True, description="The date they hold for.")
    rates = graphene.List(graphene.NonNull(ExchangeRate), required=True, description="One per currency.")


def rates_view(table: dict) -> dict:
    return {
        "as_of": table["asOf"],
        "rates": [
            {"currency": code, "krw_per_unit": rate, "minor_units": table["minorUnits"][code]}
            for code, rate in table["rates"].items()
        ],
    }


class TreatmentOption(graphene.ObjectType):
    """A procedure the knowledge base indicates for the patient's scar types (or active acne), and who offers it."""

    procedure = graphene.Field(
        Procedure, required=True, description="The procedure, with preparation, recovery and risks."
    )
    for_scar_types = graphene.List(
        graphene.NonNull(ScarTypeCode), required=True, description="Which of the asked scar types it treats."
    )
    for_active_acne = graphene.Boolean(
        required=True, description="It treats the patient's active acne, which comes before the scars."
    )
    clinics = graphene.List(graphene.NonNull(Clinic), required=True, description="Clinics offering it (up to 100).")
    packages = graphene.List(
        graphene.NonNull(Package),
        required=True,
        description="Published packages including it (up to 100), cheapest first.",
    )

    # Asked for only when selected: one call each per indicated procedure, all made concurrently
    # (the knowledge base indicates a handful of procedures for any set of scar types).
    async def resolve_clinics(root, info):
        procedure = root["procedure"]
        return await catalogue.clinics_offering(ctx(info), procedure["code"], language(info, root=procedure))

    async def resolve_packages(root, info):
        procedure = root["procedure"]
        found = await packages.search(
            ctx(info),
            {"procedure": [procedure["code"]]},
            language(info, root=procedure),
            limit=100,
            sort="price",
            total=False,
        )
        return found["items"]
