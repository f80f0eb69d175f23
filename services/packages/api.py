"""Packages HTTP API: packages and their versions, search, exchange rates, quotes."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from services.common import visibility
from services.common.access import ROLES
from services.common.auth import current_principal
from services.common.clock import iso
from services.common.ids import object_id
from services.common.localization import negotiate_language
from services.common.pagination import batch_ids, batch_response
from services.common.readmodel import read_model
from services.common.validation import PUBLIC_READ_SECONDS, cacheable, contract, if_match_version

from . import events, packages, quotes, rates, render, search, store
from .models import utcnow

bp = Blueprint("packages", __name__)


def _package_response(doc: dict, status: int = 200):
    response = jsonify(render.package(doc, negotiate_language(request.args.get("lang"))))
    response.status_code = status
    response.headers["ETag"] = f'"{doc["version"]}"'
    return response


def _observed(doc: dict) -> dict:
    """This process's listings show its own write at once (other processes, by the change stream)."""
    read_model("packages").observe(doc)
    return doc


def _by_id(ids: list) -> list[dict | None]:
    """The packages by id: the listed ones from the read model (kept by its change stream, and by this
    process's own writes at once), the others (drafts, archived, unknown) from the database in one query."""
    model = read_model("packages")
    found = model.get_many(ids) if model.ready.is_set() else [None] * len(ids)
    missing = [ident for ident, doc in zip(ids, found, strict=True) if doc is None]
    fetched = dict(zip(missing, store.packages_by_id(missing), strict=True)) if missing else {}
    return [doc if doc is not None else fetched[ident] for ident, doc in zip(ids, found, strict=True)]


def _search(query: dict):
    lang = negotiate_language(query.get("lang"))
    principal = current_principal()
    if "ids" in query:
        found = _by_id(batch_ids(query))
        answer = jsonify(
            batch_response(
                found, lambda doc: render.package(doc, lang) if visibility.visible_to(doc, principal) else None
            )
        )
        return cacheable(answer, PUBLIC_READ_SECONDS)
    page = search.search(
        query, principal, read_model("packages"), current_app.config["SETTINGS"].read_model_wait_seconds
    )
    return jsonify(page.to_json(lambda doc: render.package(doc, lang)))


@bp.get("/packages")
@contract(
    summary="Search packages (published ones unless you administer the clinics asked for), "
    "or look them up by id (ids=).",
    query="packages/package-search",
    response="packages/package-page",
    errors=(403,),
    tags=("packages",),
)
def list_packages(query):
    if "ids" in query:
        query = {**query, "ids": [object_id(raw, "package") for raw in query["ids"]]}
    return _search(query)


@bp.post("/packages/search")
@contract(
    summary="The same search with the filters in a JSON body, for long clinic lists.",
    body="packages/package-search",
    response="packages/package-page",
    errors=(403,),
    tags=("packages",),
)
def search_packages(body):
    if "ids" in body:
        body = {**body, "ids": [object_id(raw, "package") for raw in body["ids"]]}
    return _search(body)


@bp.post("/packages/compare")
@contract(
    summary="Packages side by side: each one's total with the chosen options (the quote's price rule) and its price "
    "per visit, in a currency at today's rate.",
    query="packages/item-query",
    body="packages/compare-request",
    response="packages/comparison",
    tags=("packages",),
)
def compare_packages(body, query):
    lang = negotiate_language(query.get("lang"))
    compared, rate = quotes.compare(body["ids"], body, current_principal())
    items = [None if item is None else {**item, "package": render.package(item["package"], lang)} for item in compared]
    return jsonify({**rate, "items": items})


@bp.get("/packages/prices")
@contract(
    summary="Packages' base price and price per visit in a currency at today's rate (the quote's price rule).",
    query="packages/prices-query",
    response="packages/prices",
    tags=("packages",),
    max_age=PUBLIC_READ_SECONDS,
)
def package_prices(query):
    versions = [int(v) for v in query["versions"]] if "versions" in query else None
    shown, rate = quotes.prices_in(query["ids"], versions, query.get("currency", "KRW"), current_principal())
    return jsonify({**rate, "items": shown})


@bp.post("/packages")
@contract(
    query="packages/item-query",
    summary="Create a package as a draft (the clinic's admins).",
    body="packages/package-create",
    response="packages/package",
    status=201,
    auth="token",
    roles=ROLES["packages.write"],
    errors=(422,),
    tags=("packages",),
)
def create_package(body, principal, query):
    doc = _observed(packages.create_package(body, principal))
    response = _package_response(doc, 201)
    response.headers["Location"] = f"/packages/{doc['_id']}"
    return response


@bp.get("/packages/<package_id>")
@contract(
    summary="One package, at its current version.",
    query="packages/item-query",
    response="packages/package",
    errors=(404,),
    tags=("packages",),
    max_age=PUBLIC_READ_SECONDS,
)
def get_package(package_id, query):
    return _package_response(packages.find_package(package_id, current_principal()))


@bp.patch("/packages/<package_id>")
@contract(
    query="packages/item-query",
    summary="Change a package's price or content; its version rises. Send If-Match to avoid lost updates.",
    body="packages/package-update",
    response="packages/package",
    auth="token",
    roles=ROLES["packages.write"],
    errors=(404, 409, 412, 422),
    tags=("packages",),
)
def update_package(package_id, body, principal, query):
    return _package_response(_observed(packages.update_package(package_id, body, principal, if_match_version())))


@bp.post("/packages/<package_id>/publish")
@contract(
    query="packages/item-query",
    summary="Publish a draft.",
    response="packages/package",
    auth="token",
    roles=ROLES["packages.write"],
    errors=(404, 409),
    tags=("packages",),
)
def publish_package(package_id, principal, query):
    return _package_response(_observed(packages.change_status(package_id, "PUBLISHED", principal)))


@bp.post("/packages/<package_id>/archive")
@contract(
    query="packages/item-query",
    summary="Archive a package: no new quotes or bookings; its versions stay readable.",
    response="packages/package",
    auth="token",
    roles=ROLES["packages.write"],
    errors=(404, 409),
    tags=("packages",),
)
def archive_package(package_id, principal, query):
    return _package_response(_observed(packages.change_status(package_id, "ARCHIVED", principal)))


@bp.get("/events")
@contract(
    summary="The caller's package events after a cursor, in order, each once: a clinic's own packages', those of "
    "packages agencies may see (all but drafts), or all for a platform admin; of the types asked for. A page reads at "
    "most a bounded part of the log: continue from its cursor while more is true.",
    query="packages/events-query",
    response="common/event-page",
    auth="token",
    tags=("events",),
)
def event_feed(query, principal):
    return jsonify(events.page(events.scope(principal), query))


@bp.get("/packages/<package_id>/versions/<int:version>")
@contract(
    summary="A package as it was at a version (bookings point at the version the patient saw).",
    query="packages/item-query",
    response="packages/package",
    errors=(404,),
    tags=("packages",),
)
def get_package_version(package_id, version, query):
    return _package_response(packages.find_version(package_id, version, current_principal()))


# -- exchange rates -----------------------------------------------------------------------------


@bp.get("/exchange-rates")
@contract(
    summary="The current exchange rates against KRW.",
    response="packages/exchange-rates",
    tags=("exchange rates",),
    max_age=PUBLIC_READ_SECONDS,
)
def get_rates():
    return jsonify(render.rates(rates.current_rates()))


@bp.put("/exchange-rates")
@contract(
    summary="Replace the exchange rates (platform admins).",
    body="packages/exchange-rates-update",
    response="packages/exchange-rates",
    auth="token",
    roles=ROLES["rates.replace"],
    tags=("exchange rates",),
)
def put_rates(body, principal):
    return jsonify(render.rates(rates.replace_rates(body)))


# -- quotes -------------------------------------------------------------------------------------


def _quote_response(doc: dict, status: int = 200, version: dict | None = None, texts: bool = False):
    """``version``: the package as quoted, when the caller has it in hand (a new quote of the current version).
    ``texts``: add the package's texts in every language (for the booking that locks it)."""
    version = version or packages.find_version(doc["package_id"], doc["package_version"], None)
    body = render.quote(doc, version, negotiate_language(request.args.get("lang")), utcnow())
    if texts:
        body["packageTexts"] = render.package_texts(version)
    response = jsonify(body)
    response.status_code = status
    return response


@bp.post("/packages/<package_id>/quotes")
@contract(
    query="packages/item-query",
    summary="An itemized quote for a published package with the chosen options, in KRW and a display currency.",
    body="packages/quote-request",
    response="packages/quote",
    status=201,
    errors=(404, 409, 422),
    tags=("quotes",),
)
def create_quote(package_id, body, query):
    doc, package = quotes.create_quote(
        package_id, body, current_principal(), current_app.config["SETTINGS"].quote_ttl_minutes
    )
    response = _quote_response(doc, 201, version=package)
    response.headers["Location"] = f"/quotes/{doc['_id']}"
    return response


@bp.get("/quotes/<quote_id>")
@contract(
    summary="A quote, for the caller that made it (an anonymous caller's: for whoever holds its id); "
    "expired is true once it can no longer be booked.",
    query="packages/item-query",
    response="packages/quote",
    errors=(404,),
    tags=("quotes",),
)
def get_quote(quote_id, query):
    return _quote_response(quotes.find_quote(quote_id, current_principal()))


@bp.get("/quotes/locked")
@contract(
    summary="The quotes a booking or a reservation locks, by the reference that locks them (the bookings "
    "service's checker proves each has its booking or live reservation).",
    query="packages/locked-quotes-query",
    response="packages/locked-quotes",
    auth="token",
    roles=ROLES["quotes.audit"],
    tags=("quotes",),
)
def locked_quotes(principal, query):
    found = store.locked_quotes(query.get("after", ""), query.get("limit", 500))
    return jsonify(
        items=[{"id": q["_id"], "lockedBy": q["locked_by"], "expiresAt": iso(q["expires_at"])} for q in found]
    )


@bp.post("/quotes/<quote_id>/lock")
@contract(
    query="packages/item-query",
    summary="Lock a quote for a booking, so the price the patient saw is the price recorded; "
    "the answer carries the package's texts in every language.",
    body="packages/quote-lock",
    response="packages/quote",
    auth="token",
    roles=ROLES["quotes.lock"],
    errors=(404, 409),
    tags=("quotes",),
)
def lock_quote(quote_id, body, principal, query):
    return _quote_response(quotes.lock_quote(quote_id, body["bookingReference"], principal), texts=True)


@bp.post("/quotes/<quote_id>/unlock")
@contract(
    query="packages/item-query",
    summary="Give back a quote a booking locked but did not complete: the caller's own (any, for a platform admin).",
    body="packages/quote-lock",
    response="packages/quote",
    auth="token",
    roles=ROLES["quotes.lock"],
    errors=(404,),
    tags=("quotes",),
)
def unlock_quote(quote_id, body, principal, query):
    return _quote_response(quotes.unlock_quote(quote_id, body["bookingReference"], principal))
