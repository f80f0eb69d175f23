"""Searching packages: published ones from the read model, a clinic's others fresh from the database."""

from __future__ import annotations

from services.common import money, visibility
from services.common.errors import Problem
from services.common.pagination import DEFAULT_LIMIT, Page, Sort
from services.common.readmodel import ReadModel
from services.common.tokens import Principal

from . import store
from .models import listing_key
from .rates import current_rates

SORTS = {
    "price": Sort("price_key", 1),
    "-price": Sort("price_key", -1),
    "pricePerSession": Sort("price_per_session_key", 1),
    "-pricePerSession": Sort("price_per_session_key", -1),
    "downtime": Sort("downtime_key", 1),
    "-downtime": Sort("downtime_key", -1),
    "sessions": Sort("sessions_key", 1),
    "-sessions": Sort("sessions_key", -1),
    "updatedAt": Sort("updated_key", 1),
    "-updatedAt": Sort("updated_key", -1),
}


def visible_statuses(query: dict, principal: Principal | None) -> str:
    """Anyone sees published packages; other statuses only for clinics the caller administers."""
    status = query.get("status", visibility.LISTED)
    if not visibility.listable_by(status, query.get("clinic", []), principal):
        raise Problem(
            403, "FORBIDDEN", f"Only a clinic's admins see its {status} packages; name your clinic in 'clinic'."
        )
    return status


def _range_test(query: dict):
    """The range filters as one test of a package's (price in won, visits, downtime days), or None."""
    low, high = 0, None
    if "minPrice" in query or "maxPrice" in query:
        rate = current_rates()["rates"].get(query.get("currency", "KRW"), "1")
        if "minPrice" in query:
            low = money.to_krw(query["minPrice"], rate, round_up=True)
        if "maxPrice" in query:
            high = money.to_krw(query["maxPrice"], rate, round_up=False)
    min_visits, max_visits = query.get("minSessions", 0), query.get("maxSessions")
    max_downtime = query.get("maxDowntimeDays")
    if not (low or high is not None or min_visits or max_visits or max_downtime is not None):
        return None

    def test(values: tuple) -> bool:
        price, visits, downtime = values
        return (
            price >= low
            and (high is None or price <= high)
            and visits >= min_visits
            and (max_visits is None or visits <= max_visits)
            and (max_downtime is None or downtime <= max_downtime)
        )

    return test


def search(query: dict, principal: Principal | None, published: ReadModel, wait_seconds: float) -> Page:
    """A page of packages: published ones from the read model; a clinic's own drafts or archive
    read fresh from the database. Every filter is allow-listed into a token or the range test."""
    status = visible_statuses(query, principal)
    where = []
    if "clinic" in query:
        where.append({("clinic", slug) for slug in query["clinic"]})
    where += [{("procedure", code)} for code in query.get("procedure", [])]
    where += [{(name, query[name])} for name in ("scarType", "interpreterLanguage", "followUpKind") if name in query]
    if status == visibility.LISTED:
        model = published.require(wait_seconds)
    else:
        model = store.listing_model(store.packages_in_listings([listing_key(slug, status) for slug in query["clinic"]]))
    return model.page(
        where,
        _range_test(query),
        package_sort(query),
        limit=query.get("limit", DEFAULT_LIMIT),
        cursor=query.get("cursor"),
        with_total=query.get("total", False),
    )


def package_sort(query: dict) -> Sort:
    return SORTS[query.get("sort", "price")]
