"""Quotes: the price of a package version with chosen options, owned by its caller, locked by a booking;
packages side by side, and packages' prices in a currency, all by the price rule of ``prices.py``."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from bson import ObjectId

from services.common.errors import Problem, not_found, validation_problem
from services.common.ids import object_id
from services.common.tokens import Principal
from services.common.visibility import visible_to

from . import store
from .models import Quote, utcnow
from .prices import interpreter_option, option_prices, package_prices, price_per_visit, priced
from .rates import current_rates


def quote_owner(principal: Principal | None) -> str | None:
    """Whom a quote the caller creates (or books) belongs to; None for an anonymous caller."""
    if principal is None:
        return None
    if principal.role == "AGENCY":
        return f"agency:{principal.agency}"
    if principal.role == "CLINIC_ADMIN":
        return f"clinic:{principal.clinic}"
    return "platform"


def compare(ids: list[str], options: dict, principal: Principal | None) -> tuple[list[dict | None], dict]:
    """Each package (None where unknown or not visible) with its total for the options: an
    interpreter language and the cheapest follow-up plan of a kind (no total where one is not
    offered), and its price per visit, in ``currency`` at today's rate."""
    found = store.packages_by_id([object_id(raw, "package") for raw in ids])
    currency = options.get("currency", "KRW")
    rates = current_rates()
    rate = rates["rates"][currency]
    language, kind = options.get("interpreterLanguage"), options.get("followUpKind")
    compared: list[dict | None] = []
    for package in found:
        if package is None or not visible_to(package, principal):
            compared.append(None)
            continue
        interpreter = interpreter_option(package, language) if language else None
        plans = sorted(
            (p for p in package.get("follow_up_plans", []) if p["kind"] == kind), key=lambda p: p["price_krw"]
        )
        offered = (interpreter is not None or not language) and (plans or not kind)
        per_visit = price_per_visit(package)
        compared.append(
            {
                "package": package,
                "total": priced(option_prices(package, interpreter, plans[0] if plans else None), rate, currency)[
                    "total"
                ]
                if offered
                else None,
                "pricePerSession": priced({"base": per_visit}, rate, currency)["total"],
            }
        )
    return compared, {"currency": currency, "exchangeRate": {"krwPerUnit": rate, "asOf": rates["asOf"]}}


def prices_in(
    ids: list[str], versions: list[int] | None, currency: str, principal: Principal | None
) -> tuple[list[dict | None], dict]:
    """Each package's base price and price per visit in ``currency`` at today's rate (None where unknown
    or not visible to the caller), at the version asked (the current one by default), and that rate."""
    if versions is not None and len(versions) != len(ids):
        raise validation_problem([{"field": "versions", "message": "one version for each of ids"}])
    found = store.packages_by_id([object_id(raw, "package") for raw in ids])
    rates = current_rates()
    rate = rates["rates"][currency]
    shown: list[dict | None] = []
    for index, package in enumerate(found):
        wanted = versions[index] if versions is not None else None
        if package is not None and wanted is not None and package["version"] != wanted:
            kept = store.version(ids[index], wanted)  # an earlier version, as a quote keeps it
            public = kept is not None and kept["published"]
            package = {**kept["document"], "status": "PUBLISHED" if public else "DRAFT"} if kept else None
        visible = package is not None and visible_to(package, principal)
        shown.append(package_prices(package, rate, currency) if visible else None)
    return shown, {"currency": currency, "exchangeRate": {"krwPerUnit": rate, "asOf": rates["asOf"]}}


# -- quotes ------------------------------------------------------------------------------------------


def create_quote(
    package_id: str, body: dict, principal: Principal | None, ttl_minutes: int, now: datetime | None = None
) -> tuple[dict, dict]:
    """A new quote of the package's current version, owned by the caller, and that version (the package as quoted)."""
    now = now or utcnow()
    package = store.package_by_id(object_id(package_id, "package"))
    if package is None or not visible_to(package, None):
        raise not_found("package", package_id)
    if package["status"] != "PUBLISHED":
        raise Problem(409, "PACKAGE_NOT_PUBLISHED", "Only a published package can be quoted.")
    errors = []
    language = body.get("interpreterLanguage")
    interpreter = interpreter_option(package, language) if language else None
    if language and interpreter is None:
        errors.append({"field": "interpreterLanguage", "message": f"no {language} interpreter is offered"})
    plan_code = body.get("followUpPlan")
    plan = next((p for p in package.get("follow_up_plans", []) if p["code"] == plan_code), None) if plan_code else None
    if plan_code and plan is None:
        errors.append({"field": "followUpPlan", "message": f"no follow-up plan {plan_code}"})
    if errors:
        raise Problem(422, "OPTION_NOT_OFFERED", "The package does not offer an option asked for.", errors=errors)
    lines = option_prices(package, interpreter, plan)
    currency = body.get("currency", "KRW")
    rates = current_rates()
    ttl = timedelta(minutes=ttl_minutes)
    quote = Quote(
        id=secrets.token_hex(16),
        owner=quote_owner(principal),
        package_id=package_id,
        package_version=package["version"],
        clinic=package["clinic"],
        interpreter_language=language,
        follow_up_plan=plan_code,
        currency=currency,
        krw_per_unit=rates["rates"][currency],
        rate_as_of=rates["asOf"],
        base_krw=lines["base"],
        interpreter_krw=lines["interpreter"],
        follow_up_krw=lines["followUp"],
        created_at=now,
        expires_at=now + ttl,
        purge_at=now + ttl + store.PURGE_AFTER,
    )
    quote.validate()
    document = quote.to_mongo().to_dict()
    store.insert_quote(document)
    return document, package


def find_quote(quote_id: str, principal: Principal | None = None, *, anyone: bool = False) -> dict:
    """A quote its caller may see: its owner's, or one an anonymous caller made (whoever holds its
    unguessable id); any other is 404, so ids reveal nothing. ``anyone``: the service's own reads."""
    doc = store.quote_by_id(quote_id)
    owner = quote_owner(principal)
    if doc is None or not (anyone or doc.get("owner") in (None, owner) or owner == "platform"):
        raise not_found("quote", quote_id)
    return doc


def lock_quote(quote_id: str, reference: str, principal: Principal, now: datetime | None = None) -> dict:
    """Lock a quote for one booking of its owner, atomically: an expired quote, one another booking
    holds, or another's is refused. An anonymous caller's quote becomes the booking agency's: giving
    an agency the id is how a patient hands it over. Locking again for the same booking answers the same."""
    now = now or utcnow()
    locked = store.lock_quote(quote_id, reference, quote_owner(principal), now)
    if locked is None:
        quote = find_quote(quote_id, principal)
        if quote.get("locked_by") not in (None, reference):
            raise Problem(409, "QUOTE_ALREADY_LOCKED", "Another booking holds this quote.")
        if quote.get("locked_by") != reference:
            raise Problem(409, "QUOTE_EXPIRED", "The quote has expired; ask for a new one.")
        return quote  # locked by this very booking already, as it was then (a retry, or the booking recorded later)
    package = store.package_by_id(ObjectId(locked["package_id"]))
    if package is None or package["status"] != "PUBLISHED":
        unlock_quote(quote_id, reference, principal)
        raise Problem(409, "PACKAGE_NOT_PUBLISHED", "The package is no longer offered.")
    return locked


def unlock_quote(quote_id: str, reference: str, principal: Principal) -> dict:
    """Give a quote back (a booking that failed after locking it): its owner's, or any for a platform
    admin; anyone else's is 404, as if there were no such quote."""
    owner = quote_owner(principal)
    unlocked = store.unlock_quote(quote_id, reference, None if owner == "platform" else owner)
    return unlocked or find_quote(quote_id, principal)


def quote_totals(quote: dict) -> dict:
    """A quote's lines and total, at the rate it locked."""
    lines = {"base": quote["base_krw"], "interpreter": quote["interpreter_krw"], "followUp": quote["follow_up_krw"]}
    return priced(lines, quote["krw_per_unit"], quote["currency"])
