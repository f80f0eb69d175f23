"""What package queries and mutations take."""

from __future__ import annotations

import graphene

from ..core.language import LocalizedTextInput
from ..core.scalars import ClinicKind, Currency, Date, FollowUpKind, LanguageLevel, ScarTypeCode, SortDirection


class PackageSortField(graphene.Enum):
    """What packages can be sorted by."""

    PRICE = "price"
    PRICE_PER_SESSION = "pricePerSession"
    DOWNTIME = "downtime"
    SESSIONS = "sessions"
    UPDATED_AT = "updatedAt"


class PackageSort(graphene.InputObjectType):
    """How to sort packages; ties are broken by id."""

    field = PackageSortField(required=True, description="What to sort by.")
    direction = SortDirection(default_value="ASC", description="Ascending or descending.")


class FitsTripInput(graphene.InputObjectType):
    """A trip to Korea: only packages whose first trip's visits can be booked inside it."""

    arrive = Date(required=True, description="The Seoul date the patient arrives.")
    depart = Date(required=True, description="The Seoul date the patient leaves (at most 60 days later).")
    interpreter_language = graphene.String(
        description="The language the patient needs an interpreter in (ISO 639-1): only packages offering one, "
        "and each visit of the trip then needs one free as well."
    )


class PackageFilter(graphene.InputObjectType):
    """Package filters, and clinic-side ones resolved through the catalogue first."""

    clinic = graphene.List(graphene.NonNull(graphene.String), description="Any of these clinics.")
    scar_type = ScarTypeCode(description="Targets this scar type.")
    procedure = graphene.List(graphene.NonNull(graphene.String), description="Includes all of these procedures.")
    min_price = graphene.Int(description="At least this much, in currency.")
    max_price = graphene.Int(description="At most this much, in currency.")
    currency = Currency(description="Currency of minPrice and maxPrice; KRW when omitted.")
    min_sessions = graphene.Int(description="At least this many visits.")
    max_sessions = graphene.Int(description="At most this many visits.")
    max_downtime_days = graphene.Int(description="Downtime of at most this many days.")
    interpreter_language = graphene.String(description="Offers an interpreter in this language.")
    follow_up_kind = FollowUpKind(description="Offers a follow-up plan of this kind.")
    status = graphene.String(description="PUBLISHED unless you administer the clinics asked for (DRAFT, ARCHIVED).")
    district = graphene.List(graphene.NonNull(graphene.String), description="Clinic in any of these Seoul areas.")
    kind = ClinicKind(description="Clinic kind.")
    language = graphene.String(description="Clinic speaks this language at languageLevel.")
    language_level = LanguageLevel(description="Level for language; any level when omitted.")
    service = graphene.List(
        graphene.NonNull(graphene.String), description="Clinic offers all of these international services."
    )
    fits_trip = FitsTripInput(
        description="Only packages whose first trip's visits can be booked inside this trip: each visit after the "
        "arrival day, on a free slot, with the package's minimum stay after it before departing (schedule.tripsNeeded "
        "says how many trips the whole plan needs). The page is filled from at most 5 pages of the other filters' "
        "matches, so it may hold fewer than first with hasNextPage true: continue from endCursor. totalCount counts "
        "the matches of the other filters.",
    )


CLINIC_SIDE = {
    "district": "district",
    "kind": "kind",
    "language": "language",
    "language_level": "languageLevel",
    "service": "service",
}
PACKAGE_SIDE = {
    "clinic": "clinic",
    "scar_type": "scarType",
    "procedure": "procedure",
    "min_price": "minPrice",
    "max_price": "maxPrice",
    "currency": "currency",
    "min_sessions": "minSessions",
    "max_sessions": "maxSessions",
    "max_downtime_days": "maxDowntimeDays",
    "interpreter_language": "interpreterLanguage",
    "follow_up_kind": "followUpKind",
    "status": "status",
}


class CompareOptions(graphene.InputObjectType):
    """The options to price every package with."""

    interpreter_language = graphene.String(description="Interpreter language to add (per visit unless included).")
    follow_up_kind = FollowUpKind(description="Follow-up kind to add (its cheapest plan).")
    currency = Currency(description="Display currency; KRW when omitted.")


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

    blocking = graphene.List(
        graphene.NonNull(graphene.String), required=True, description="Caution codes that refuse a booking."
    )


def _package_fields(required: bool) -> dict:
    return {
        "title": graphene.InputField(LocalizedTextInput, required=required, description="Title."),
        "description": graphene.InputField(LocalizedTextInput, description="Description."),
        "scar_types": graphene.List(
            graphene.NonNull(ScarTypeCode), required=required, description="Scar types targeted."
        ),
        "items": graphene.List(
            graphene.NonNull(PackageItemInput), required=required, description="Procedures and sessions."
        ),
        "session_interval_days": graphene.Int(required=required, description="Days between visits."),
        "includes": graphene.List(
            graphene.NonNull(graphene.String), description="CONSULTATION, SKINCARE_KIT, CALMING_MASK, LED."
        ),
        "price_krw": graphene.Int(required=required, description="Base price in won."),
        "interpreter_options": graphene.List(graphene.NonNull(InterpreterOptionInput), description="Interpreters."),
        "follow_up_plans": graphene.List(graphene.NonNull(FollowUpPlanInput), description="Follow-up plans."),
        "cancellation_policy": graphene.InputField(
            CancellationPolicyInput, required=required, description="Refund tiers."
        ),
        "minimum_stay_days": graphene.Int(required=required, description="Days to stay after a visit."),
        "screening": graphene.InputField(ScreeningInput, description="Blocking cautions."),
    }


PackageInput = type(
    "PackageInput",
    (graphene.InputObjectType,),
    {
        "__doc__": "A new package (created as a draft).",
        "clinic": graphene.String(required=True, description="Your clinic's slug."),
        **_package_fields(True),
    },
)
PackagePatchInput = type(
    "PackagePatchInput",
    (graphene.InputObjectType,),
    {"__doc__": "Fields to change; the version rises.", **_package_fields(False)},
)


class RateInput(graphene.InputObjectType):
    """Won per unit of a currency."""

    currency = Currency(required=True, description="Currency.")
    krw_per_unit = graphene.String(required=True, description="Won per one unit, decimal text.")


class ExchangeRatesInput(graphene.InputObjectType):
    """A new rate table."""

    as_of = Date(required=True, description="The date the rates hold for.")
    rates = graphene.List(graphene.NonNull(RateInput), required=True, description="Every supported currency but KRW.")
