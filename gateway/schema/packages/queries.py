"""Reading packages: search, one package, packages side by side, treatment options, exchange rates."""

from __future__ import annotations

import graphene
from graphql import GraphQLError

from services.common.wire import plain

from ...clients import bookings, catalogue, packages
from ...upstream import ServiceFailure
from ..catalogue.loaders import ClinicBySlugLoader
from ..catalogue.types import registration_row, registrations_of
from ..core.comparison import Labels
from ..core.connections import EMPTY, connection, require_first
from ..core.language import lang_arg, language
from ..core.money import RatesLoader, currency_of
from ..core.scalars import ScarTypeCode
from ..core.sorting import sort_param
from ..core.wire import ctx
from .comparison import comparison_rows
from .inputs import CLINIC_SIDE, PACKAGE_SIDE, CompareOptions, PackageFilter, PackageSort
from .loaders import PackageByIdLoader
from .types import ExchangeRates, Package, PackageComparison, PackageConnection, TreatmentOption, rates_view

MAX_CLINICS_FROM_FILTER = 1000
TRIP_SCAN_PAGES = 5  # pages of the other filters' matches a fitsTrip page is filled from, at most


def _filter_value(value):
    return ",".join(value) if isinstance(value, list) else plain(value)


async def clinics_matching(info, filter_: dict) -> list[str] | None:
    """The clinic-side filters as a list of slugs (None when there are none)."""
    filters = {CLINIC_SIDE[k]: _filter_value(v) for k, v in filter_.items() if k in CLINIC_SIDE and v is not None}
    if not filters:
        return None
    return await catalogue.clinic_slugs(ctx(info), filters, MAX_CLINICS_FROM_FILTER)


async def _trip_fit(info, ids: list[str], arrive: str, depart: str, language: str | None) -> list:
    """The bookings service's fit of each package into the trip; a trip it refuses (too long, say) is the
    caller's input error, naming the argument."""
    try:
        return await bookings.trip_fit(ctx(info), ids, arrive, depart, language)
    except ServiceFailure as failure:
        if failure.status != 400 or not failure.field_errors:
            raise
        error = failure.field_errors[0]
        raise GraphQLError(
            f"fitsTrip: {error['field']} must be {error['message']}.",
            extensions={"code": "BAD_USER_INPUT", "argument": f"filter.fitsTrip.{error['field']}"},
        ) from None


async def fitting(info, filters: dict, lang: str, limit: int, order: str | None, after: str | None, trip: dict) -> dict:
    """A page of the packages matching ``filters`` whose first trip fits ``trip``: pages of matches are
    read in order and each one's packages asked of the bookings service in one call, until the page
    is full or TRIP_SCAN_PAGES were read (then the page may be short, and continues after them)."""
    arrive, depart = trip["arrive"].isoformat(), trip["depart"].isoformat()
    edges: list[dict] = []
    cursor, total = after, 0
    for _ in range(TRIP_SCAN_PAGES):
        page = await packages.search(ctx(info), filters, lang, limit=limit, sort=order, cursor=cursor)
        total = page.get("totalCount", 0)
        ids = [item["id"] for item in page["items"]]
        fits = await _trip_fit(info, ids, arrive, depart, trip.get("interpreter_language")) if ids else []
        cursor = page["nextCursor"]
        for index, (item, at, fit) in enumerate(zip(page["items"], page["cursors"], fits, strict=True)):
            if fit and fit["fits"]:
                edges.append({"cursor": at, "node": item})
            if len(edges) == limit:
                more = index + 1 < len(ids) or cursor is not None
                return {"edges": edges, "page_info": {"has_next_page": more, "end_cursor": at}, "total_count": total}
        if cursor is None:
            break
    return {
        "edges": edges,
        "page_info": {"has_next_page": cursor is not None, "end_cursor": cursor},
        "total_count": total,
    }


class PackageQueries(graphene.ObjectType):
    packages = graphene.Field(
        PackageConnection,
        required=True,
        description="Packages, filtered and sorted; cheapest first by default.",
        filter=PackageFilter(description="Filters."),
        sort=PackageSort(description="Order."),
        first=graphene.Int(required=True, description="Page size, 1-100."),
        after=graphene.String(description="Cursor to continue after."),
        lang=lang_arg(),
    )
    package = graphene.Field(
        Package,
        description="One package by id.",
        id=graphene.ID(required=True, description="Package id."),
        lang=lang_arg(),
    )
    compare_packages = graphene.Field(
        PackageComparison,
        required=True,
        description="Up to 5 packages side by side.",
        ids=graphene.List(graphene.NonNull(graphene.ID), required=True, description="1 to 5 package ids."),
        options=CompareOptions(description="Options every total includes."),
        lang=lang_arg(),
    )
    exchange_rates = graphene.Field(ExchangeRates, required=True, description="The current exchange rates against KRW.")

    async def resolve_packages(root, info, first, filter=None, sort=None, after=None, lang=None):
        filter = dict(filter or {})
        trip = filter.pop("fits_trip", None)
        filters = {PACKAGE_SIDE[k]: plain(v) for k, v in filter.items() if k in PACKAGE_SIDE and v is not None}
        slugs = await clinics_matching(info, filter)
        if slugs is not None:
            wanted = set(filters.get("clinic") or slugs)
            filters["clinic"] = [slug for slug in slugs if slug in wanted]
            if not filters["clinic"]:
                return EMPTY
        limit, order = require_first(first), sort_param(sort) if sort else None
        if trip and trip.get("interpreter_language"):  # a package must offer the interpreter the trip needs
            filters.setdefault("interpreterLanguage", trip["interpreter_language"])
        if trip:
            return await fitting(info, filters, language(info, lang), limit, order, after, trip)
        page = await packages.search(ctx(info), filters, language(info, lang), limit=limit, sort=order, cursor=after)
        return connection(page)

    async def resolve_package(root, info, id, lang=None):
        return await PackageByIdLoader.of(info).load((id, language(info, lang)))

    async def resolve_exchange_rates(root, info):
        return rates_view(await RatesLoader.of(info).load("current"))

    async def resolve_compare_packages(root, info, ids, options=None, lang=None):
        if not 1 <= len(ids) <= 5:
            raise GraphQLError("Compare 1 to 5 packages.", extensions={"code": "BAD_USER_INPUT"})
        lang, options = language(info, lang), options or {}
        currency = currency_of(options.get("currency"))
        chosen = {
            "interpreterLanguage": options.get("interpreter_language"),
            "followUpKind": plain(options.get("follow_up_kind")),
            "currency": currency,
        }
        compared = await packages.compare(ctx(info), ids, {k: v for k, v in chosen.items() if v is not None}, lang)
        columns = [item for item in compared["items"] if item]
        found = [item["package"] for item in columns]
        clinics = await ClinicBySlugLoader.of(info).load_many([(p["clinic"], lang) for p in found])
        labels = Labels("comparePackages", lang, currency=currency)
        registered = registration_row(labels, await registrations_of(info, [p["clinic"] for p in found]), len(found))
        return {"columns": found, "rows": comparison_rows(labels, columns, clinics, currency, registered)}


class TreatmentOptionQueries(graphene.ObjectType):
    treatment_options = graphene.List(
        graphene.NonNull(TreatmentOption),
        required=True,
        description="For the patient's scar types: the indicated procedures, the clinics that offer them "
        "and their packages; with active acne, its treatments first.",
        scar_types=graphene.List(
            graphene.NonNull(ScarTypeCode), required=True, description="The patient's scar types."
        ),
        active_acne=graphene.Boolean(
            default_value=False, description="The patient has active acne: its treatments come first."
        ),
        lang=lang_arg(),
    )

    async def resolve_treatment_options(root, info, scar_types, active_acne=False, lang=None):
        wanted = [str(plain(code)) for code in scar_types]
        procedures = await catalogue.procedures(
            ctx(info), language(info, lang), scar_types=wanted, active_acne=active_acne
        )
        return [
            {
                "procedure": procedure,
                "for_scar_types": [c for c in wanted if c in procedure["indications"]],
                "for_active_acne": bool(active_acne) and procedure["forActiveAcne"],
            }
            for procedure in procedures
        ]
