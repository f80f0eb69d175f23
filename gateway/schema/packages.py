"""Packages, their prices in any currency, and packages side by side."""
from __future__ import annotations

import asyncio

import graphene
from graphql import GraphQLError

from .clinics import (
    Clinic,
    ClinicKind,
    LanguageLevel,
    PreparationStep,
    Procedure,
    RecoveryPhase,
    SortDirection,
)
from .common import (
    ComparisonRow,
    Currency,
    Date,
    FollowUpKind,
    Labels,
    Money,
    ScarTypeCode,
    WireObject,
    connection,
    connection_type,
    convert,
    ctx,
    lang_arg,
    require_first,
    row,
    sort_param,
    use_lang,
)

MAX_CLINICS_FROM_FILTER = 1000


def _currency(value) -> str:
    return str(getattr(value, "value", value) or "KRW")


class PackageItem(WireObject):
    """A procedure of the package and how many sessions of it."""

    procedure_code = graphene.String(required=True, description="Procedure code.")
    name = graphene.String(required=True, description="The procedure's name in the requested language.")
    sessions = graphene.Int(required=True, description="Sessions of it; sessions of different procedures share visits.")
    procedure = graphene.Field(Procedure, description="The procedure from the knowledge base.")

    def resolve_procedure_code(root, info):
        return root["procedure"]

    async def resolve_procedure(root, info):
        return await ctx(info).loader("procedure").load(root["procedure"])


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
    """Cancelled at least daysBefore days before the first visit: refundPercent is refunded."""

    days_before = graphene.Int(required=True, description="Days before the first visit.")
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
    """When a screening rule applies; one field is set. A frontend can warn before the booking is sent."""

    fitzpatrick_at_least = graphene.Int(description="Applies to Fitzpatrick skin types of this number (I=1 ... VI=6) and above.")
    isotretinoin_within_months = graphene.Int(description="Applies when isotretinoin was taken within this many months.")
    active_acne = graphene.Boolean(description="Applies when active acne is (true) or is not (false) present.")


class ScreeningRule(WireObject):
    """Patient answers the package warns about or refuses."""

    code = graphene.String(required=True, description="DARKER_SKIN_PIH, RECENT_ISOTRETINOIN or ACTIVE_ACNE.")
    text = graphene.String(required=True, description="Why.")
    blocking = graphene.Boolean(required=True, description="True: a booking with this answer is refused.")
    applies_when = graphene.Field(ScreeningCondition, required=True, description="The answer that triggers it.")


class Slot(WireObject):
    """Appointment capacity at a time, in Seoul."""

    id = graphene.ID(required=True, description="Slot id.")
    clinic = graphene.String(required=True, description="Clinic slug.")
    package_id = graphene.ID(description="The package it is for, or null for any package of the clinic.")
    start = graphene.String(required=True, description="Start, Seoul time with its offset (ISO 8601).")
    duration_minutes = graphene.Int(required=True, description="Length.")
    capacity = graphene.Int(required=True, description="Seats.")
    booked = graphene.Int(required=True, description="Seats taken.")
    free = graphene.Int(required=True, description="Seats left.")
    status = graphene.String(required=True, description="FREE, BUSY or CLOSED.")


class Package(WireObject):
    """A clinic's treatment package."""

    id = graphene.ID(required=True, description="Package id.")
    status = graphene.String(required=True, description="DRAFT, PUBLISHED or ARCHIVED.")
    version = graphene.Int(required=True, description="Rises with every change to price or content; bookings keep the version.")
    title = graphene.String(required=True, description="Title, localized.")
    description = graphene.String(description="Description, localized.")
    scar_types = graphene.List(graphene.NonNull(ScarTypeCode), required=True, description="Scar types it targets.")
    items = graphene.List(graphene.NonNull(PackageItem), required=True, description="Procedures and sessions.")
    session_interval_days = graphene.Int(required=True, description="Days between visits.")
    includes = graphene.List(graphene.NonNull(graphene.String), required=True, description="CONSULTATION, SKINCARE_KIT, CALMING_MASK, LED.")
    price_krw = graphene.Int(required=True, description="Base price in won.")
    price = graphene.Field(Money, required=True, description="Base price in a currency.",
                           currency=Currency(description="Display currency; KRW when omitted."))
    price_per_session = graphene.Field(Money, required=True, description="Base price per visit in a currency.",
                                       currency=Currency(description="Display currency; KRW when omitted."))
    interpreter_options = graphene.List(graphene.NonNull(InterpreterOption), required=True, description="Interpreters offered.")
    follow_up_plans = graphene.List(graphene.NonNull(FollowUpPlan), required=True, description="Follow-up plans offered.")
    cancellation_policy = graphene.Field(CancellationPolicy, required=True, description="Refund tiers.")
    minimum_stay_days = graphene.Int(required=True, description="Days to stay after a visit, at least.")
    schedule = graphene.Field(Schedule, required=True, description="Visits, trips and stays.")
    downtime_days = graphene.Int(required=True, description="The longest downtime of its procedures.")
    screening_rules = graphene.List(graphene.NonNull(ScreeningRule), required=True, description="Answers it warns about or refuses.")
    preparation = graphene.List(graphene.NonNull(PreparationStep), required=True, description="Preparation before each visit.")
    recovery = graphene.List(graphene.NonNull(RecoveryPhase), required=True, description="Recovery after each visit.")
    sample_fields = graphene.List(graphene.NonNull(graphene.String), required=True, description="Values that are sample data.")
    clinic = graphene.Field(Clinic, description="The clinic offering it.")
    next_free_slot = graphene.Field(Slot, description="Its earliest bookable slot in the next 16 weeks, if any (availability finds later ones).")

    async def resolve_price(root, info, currency=None):
        return await convert(info, root["priceKrw"], _currency(currency))

    async def resolve_price_per_session(root, info, currency=None):
        return await convert(info, root["pricePerSessionKrw"], _currency(currency))

    async def resolve_clinic(root, info):
        return await ctx(info).loader("clinic").load(root["clinic"])

    async def resolve_next_free_slot(root, info):
        return await ctx(info).loader("next_slot").load((root["id"], root["clinic"]))


PackageConnection = connection_type(Package, "package", "packages")


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
    service = graphene.List(graphene.NonNull(graphene.String), description="Clinic offers all of these international services.")


CLINIC_SIDE = {"district": "district", "kind": "kind", "language": "language", "language_level": "languageLevel", "service": "service"}
PACKAGE_SIDE = {"clinic": "clinic", "scar_type": "scarType", "procedure": "procedure", "min_price": "minPrice", "max_price": "maxPrice",
                "currency": "currency", "min_sessions": "minSessions", "max_sessions": "maxSessions",
                "max_downtime_days": "maxDowntimeDays", "interpreter_language": "interpreterLanguage",
                "follow_up_kind": "followUpKind", "status": "status"}


def _plain(value):
    return getattr(value, "value", value)


async def clinics_matching(info, filter_: dict) -> list[str] | None:
    """The clinic-side filters as a list of slugs (None when there are none)."""
    params = {CLINIC_SIDE[k]: (",".join(v) if isinstance(v, list) else _plain(v)) for k, v in filter_.items()
              if k in CLINIC_SIDE and v is not None}
    if not params:
        return None
    slugs, cursor = [], None
    while len(slugs) < MAX_CLINICS_FROM_FILTER:
        page = await ctx(info).call("catalogue", "GET", "/clinics", params={**params, "limit": 100, **({"cursor": cursor} if cursor else {})})
        slugs += [c["slug"] for c in page["items"]]
        cursor = page["nextCursor"]
        if not cursor:
            break
    return slugs


def options_total(package: dict, interpreter_language: str | None, follow_up_kind: str | None) -> int | None:
    """Base price plus the chosen options in won, or None when the package does not offer them."""
    total = package["priceKrw"]
    if interpreter_language:
        option = next((o for o in package["interpreterOptions"] if o["language"] == interpreter_language), None)
        if option is None:
            return None
        total += 0 if option["included"] else option["pricePerSessionKrw"] * package["schedule"]["visits"]
    if follow_up_kind:
        plans = [p for p in package["followUpPlans"] if p["kind"] == follow_up_kind]
        if not plans:
            return None
        total += min(p["priceKrw"] for p in plans)
    return total


class CompareOptions(graphene.InputObjectType):
    """The options to price every package with."""

    interpreter_language = graphene.String(description="Interpreter language to add (per visit unless included).")
    follow_up_kind = FollowUpKind(description="Follow-up kind to add (its cheapest plan).")
    currency = Currency(description="Display currency; KRW when omitted.")


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
    return {"as_of": table["asOf"], "rates": [{"currency": code, "krw_per_unit": rate, "minor_units": table["minorUnits"][code]}
                                              for code, rate in table["rates"].items()]}


class PackageQueries(graphene.ObjectType):
    packages = graphene.Field(PackageConnection, required=True, description="Packages, filtered and sorted; cheapest first by default.",
                              filter=PackageFilter(description="Filters."), sort=PackageSort(description="Order."),
                              first=graphene.Int(required=True, description="Page size, 1-100."),
                              after=graphene.String(description="Cursor to continue after."), lang=lang_arg())
    package = graphene.Field(Package, description="One package by id.", id=graphene.ID(required=True, description="Package id."),
                             lang=lang_arg())
    compare_packages = graphene.Field(PackageComparison, required=True, description="Up to 5 packages side by side.",
                                      ids=graphene.List(graphene.NonNull(graphene.ID), required=True, description="1 to 5 package ids."),
                                      options=CompareOptions(description="Options every total includes."), lang=lang_arg())
    exchange_rates = graphene.Field(ExchangeRates, required=True, description="The current exchange rates against KRW.")

    async def resolve_packages(root, info, first, filter=None, sort=None, after=None, lang=None):
        use_lang(info, lang)
        filter = dict(filter or {})
        body = {PACKAGE_SIDE[k]: _plain(v) for k, v in filter.items() if k in PACKAGE_SIDE and v is not None}
        slugs = await clinics_matching(info, filter)
        if slugs is not None:
            wanted = set(body.get("clinic") or slugs)
            body["clinic"] = [slug for slug in slugs if slug in wanted]
            if not body["clinic"]:
                return {"edges": [], "page_info": {"has_next_page": False, "end_cursor": None}, "total_count": 0}
        body.update(limit=require_first(first), total=True, lang=ctx(info).lang)
        if sort:
            body["sort"] = sort_param(sort)
        if after:
            body["cursor"] = after
        return connection(await ctx(info).call("packages", "POST", "/packages/search", json=body))

    async def resolve_package(root, info, id, lang=None):
        use_lang(info, lang)
        return await ctx(info).loader("package").load(id)

    async def resolve_exchange_rates(root, info):
        return rates_view(await ctx(info).loader("rates").load("current"))

    async def resolve_compare_packages(root, info, ids, options=None, lang=None):
        use_lang(info, lang)
        if not 1 <= len(ids) <= 5:
            raise GraphQLError("Compare 1 to 5 packages.", extensions={"code": "BAD_USER_INPUT"})
        options = options or {}
        currency = _currency(options.get("currency"))
        language, follow_up = options.get("interpreter_language"), _plain(options.get("follow_up_kind"))
        packages = [p for p in await ctx(info).loader("package").load_many(ids) if p]
        clinics = await ctx(info).loader("clinic").load_many([p["clinic"] for p in packages])
        totals = [options_total(p, language, follow_up) for p in packages]
        converted = await asyncio.gather(*(convert(info, t, currency) for t in totals if t is not None))
        money_text = iter(f"{m['amount']} {currency}" for m in converted)
        per_session = await asyncio.gather(*(convert(info, p["pricePerSessionKrw"], currency) for p in packages))
        labels = Labels("comparePackages", ctx(info).lang, currency=currency)
        rows = [
            row(labels, "CLINIC_KIND", [c["kind"] if c else None for c in clinics]),
            row(labels, "DISTRICT", [c["district"] if c else None for c in clinics]),
            row(labels, "PROCEDURES", [labels.join(i["name"] for i in p["items"]) for p in packages]),
            row(labels, "DEVICES", [", ".join(sorted({d for o in c["procedures"] for d in o["devices"]
                                                         if o["code"] in {i["procedure"] for i in p["items"]}})) or None if c else None
                                       for p, c in zip(packages, clinics, strict=True)]),
            row(labels, "LANGUAGES_IN_ROOM", [len(c["languages"]["inRoom"]) if c else None for c in clinics], best="max"),
            row(labels, "LANGUAGES_AFTERCARE", [len(c["languages"]["aftercare"]) if c else None for c in clinics], best="max"),
            row(labels, "INTERNATIONAL_SERVICES", [len(c["internationalServices"]) if c else None for c in clinics], best="max"),
            row(labels, "VALID_ACCREDITATIONS", [sum(a["valid"] for a in c["accreditations"]) if c else None for c in clinics], best="max"),
            {**row(labels, "PRICE_PER_SESSION", [p["pricePerSessionKrw"] for p in packages], best="min"),
             "values": [{"text": f"{m['amount']} {currency}", "best": v["best"]} for m, v in zip(
                 per_session, row(labels, "PRICE_PER_SESSION", [p["pricePerSessionKrw"] for p in packages], best="min")["values"], strict=True)]},
            {**(r := row(labels, "TOTAL_WITH_OPTIONS", totals, best="min")),
             "values": [{"text": next(money_text) if t is not None else None, "best": v["best"]} for t, v in zip(totals, r["values"], strict=True)]},
            row(labels, "DOWNTIME_DAYS", [p["downtimeDays"] for p in packages], best="min"),
            row(labels, "SESSIONS", [p["schedule"]["visits"] for p in packages], best="min"),
            row(labels, "TRIPS_NEEDED", [p["schedule"]["tripsNeeded"] for p in packages], best="min"),
        ]
        return {"columns": packages, "rows": rows}
