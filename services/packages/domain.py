"""Package rules as plain functions: writing packages and their versions, status, search, quotes."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from bson import ObjectId
from bson.errors import InvalidId
from flask import current_app
from mongoengine import ValidationError as ModelValidationError

from services.common import money, wire
from services.common.clients import client_for
from services.common.db import in_transaction
from services.common.errors import Problem, not_found, validation_problem
from services.common.localization import FALLBACK, LANGUAGES
from services.common.pagination import DEFAULT_LIMIT, Page, Sort
from services.common.readmodel import ReadModel
from services.common.tokens import Principal

from . import store
from .models import ALIAS, ExchangeRateTable, Package, Quote, listing_key, utcnow

# Cautions every procedure-less rule falls back to (the catalogue's own texts win).
DEFAULT_CAUTIONS = {
    "DARKER_SKIN_PIH": ({"fitzpatrickAtLeast": 4}, {"en": "Darker skin can develop hyperpigmentation after resurfacing."}),
    "RECENT_ISOTRETINOIN": ({"isotretinoinWithinMonths": 6},
                            {"en": "Oral isotretinoin in the last months: resurfacing and needling are usually postponed."}),
    "ACTIVE_ACNE": ({"activeAcne": True}, {"en": "Active acne inflammation raises the risk of infection; it is treated first."}),
}
TRANSITIONS = {"PUBLISHED": ("DRAFT",), "ARCHIVED": ("DRAFT", "PUBLISHED")}
SORTS = {
    "price": Sort("price_key", 1), "-price": Sort("price_key", -1),
    "pricePerSession": Sort("price_per_session_key", 1), "-pricePerSession": Sort("price_per_session_key", -1),
    "downtime": Sort("downtime_key", 1), "-downtime": Sort("downtime_key", -1),
    "sessions": Sort("sessions_key", 1), "-sessions": Sort("sessions_key", -1),
    "updatedAt": Sort("updated_key", 1), "-updatedAt": Sort("updated_key", -1),
}


def object_id(raw: str, kind: str = "package") -> ObjectId:
    try:
        return ObjectId(raw)
    except (InvalidId, TypeError):
        raise not_found(kind, raw) from None


# -- what the catalogue knows ---------------------------------------------------------------

def schedule(visits: int, interval_days: int, minimum_stay_days: int) -> dict:
    """Visits are ``interval_days`` apart; a patient stays at least ``minimum_stay_days`` after
    each one, so visits closer than that share a trip."""
    trips = 0 if not visits else (1 if interval_days <= minimum_stay_days else visits)
    return {"visits": visits, "intervalDays": interval_days, "tripsNeeded": trips,
            "minimumStayDays": minimum_stay_days,
            "totalDays": (visits - 1) * interval_days + minimum_stay_days if visits else 0}


def knowledge_from_procedures(procedures: list[dict]) -> dict:
    """What a package keeps of its procedures, in the shape the catalogue API serves them but
    with every text per language: the names, the longest downtime, the cautions (code ->
    (appliesWhen, text)), and the preparation and recovery its care plan is dated from (per
    step the earliest start, per phase the longest)."""
    cautions: dict[str, tuple[dict, dict]] = {}
    preparation: dict[str, dict] = {}
    recovery: dict[str, dict] = {}
    for procedure in procedures:
        for caution in procedure.get("cautions", []):
            cautions.setdefault(caution["code"], (caution["appliesWhen"], caution["text"]))
        for step in procedure.get("preparation", []):
            known = preparation.setdefault(step["code"], {"code": step["code"], "instruction": step["instruction"],
                                                          "days_before": 0, "daily": False})
            known["days_before"] = max(known["days_before"], step["daysBefore"])
            known["daily"] = known["daily"] or step["daily"]
        for phase in procedure.get("recovery", []):
            known = recovery.get(phase["phase"])
            if known is None or phase["toDay"] > known["to_day"]:
                recovery[phase["phase"]] = {"phase": phase["phase"], "from_day": phase["fromDay"], "to_day": phase["toDay"],
                                            "expectation": phase["expectation"]}
    order = {"IMMEDIATE": 0, "SHORT_TERM": 1, "LONG_TERM": 2}
    return {
        "names": {p["code"]: p["name"] for p in procedures},
        "downtime_days": max(((p.get("downtimeDays") or {}).get("max", 0) for p in procedures), default=0),
        "cautions": cautions,
        "preparation": sorted(preparation.values(), key=lambda step: (-step["days_before"], step["code"])),
        "recovery": sorted(recovery.values(), key=lambda phase: order[phase["phase"]]),
    }


def in_every_language(answers: dict[str, list[dict | None]]) -> list[dict]:
    """The procedures the catalogue served once per language (``{lang: items}``, the same items in
    the same order), merged into one list whose texts are ``{lang: text}``."""
    merged = []
    for index, procedure in enumerate(answers[FALLBACK]):
        if procedure is None:
            continue

        def texts(pick):
            return {lang: pick(items[index]) for lang, items in answers.items()}

        merged.append({
            **procedure, "name": texts(lambda p: p["name"]),
            "cautions": [{**c, "text": texts(lambda p, j=j: p["cautions"][j]["text"])} for j, c in enumerate(procedure["cautions"])],
            "preparation": [{**s, "instruction": texts(lambda p, j=j: p["preparation"][j]["instruction"])}
                            for j, s in enumerate(procedure["preparation"])],
            "recovery": [{**r, "expectation": texts(lambda p, j=j: p["recovery"][j]["expectation"])}
                         for j, r in enumerate(procedure["recovery"])],
        })
    return merged


def screening_rules(cautions: dict[str, tuple[dict, str]], blocking: list[str]) -> list[dict]:
    """One rule per caution of the procedures and per code the package declares blocking."""
    rules = []
    for code in sorted(set(cautions) | set(blocking)):
        applies_when, text = cautions.get(code) or DEFAULT_CAUTIONS[code]
        rules.append({"code": code, "text": text, "applies_when": applies_when, "blocking": code in blocking})
    return rules


def apply_knowledge(package: Package, knowledge: dict) -> None:
    blocking = package.screening.blocking if package.screening else []
    values = {"procedure_names": knowledge["names"], "downtime_days": knowledge["downtime_days"],
              "screening_rules": screening_rules(knowledge["cautions"], blocking),
              "preparation": knowledge["preparation"], "recovery": knowledge["recovery"]}
    for field, value in values.items():
        setattr(package, field, Package._fields[field].to_python(value))


def check_with_catalogue(clinic: str, items: list[dict]) -> dict:
    """The clinic exists and offers every procedure; returns what packages keep of the procedures.
    Raises UpstreamUnavailable when the catalogue cannot answer, before anything is written."""
    catalogue = client_for("catalogue")
    answer = catalogue.get(f"/clinics/{clinic}", params={"lang": "en"})
    if answer.status_code == 404:
        raise Problem(422, "UNKNOWN_CLINIC", f"The catalogue has no clinic {clinic!r}.",
                      errors=[{"field": "clinic", "message": "unknown clinic"}])
    answer.raise_for_status()
    offered = {p["code"] for p in answer.json()["procedures"]}
    missing = [{"field": f"items[{i}].procedure", "message": f"{item['procedure']} is not offered by {clinic}"}
               for i, item in enumerate(items) if item["procedure"] not in offered]
    if missing:
        raise Problem(422, "PROCEDURE_NOT_OFFERED", "The clinic does not offer every procedure of the package.", errors=missing)
    codes = ",".join(sorted({item["procedure"] for item in items}))
    answers = {}
    for lang in LANGUAGES:  # every language a patient may read the package's texts in
        found = catalogue.get("/procedures", params={"ids": codes, "lang": lang})
        found.raise_for_status()
        answers[lang] = found.json()["items"]
    return knowledge_from_procedures(in_every_language(answers))


# -- writing packages ------------------------------------------------------------------------

def model_fields(body: dict) -> dict:
    return wire.model_fields(Package, body)


def _check_options(body: dict) -> None:
    errors = []
    for name, key in (("interpreterOptions", "language"), ("followUpPlans", "code")):
        seen = set()
        for index, option in enumerate(body.get(name, [])):
            if option[key] in seen:
                errors.append({"field": f"{name}[{index}].{key}", "message": f"{option[key]} is listed twice"})
            seen.add(option[key])
    for index, option in enumerate(body.get("interpreterOptions", [])):
        if not option["included"] and "pricePerSessionKrw" not in option:
            errors.append({"field": f"interpreterOptions[{index}].pricePerSessionKrw", "message": "needed unless included"})
    items = body.get("items", [])
    if len({item["procedure"] for item in items}) != len(items):
        errors.append({"field": "items", "message": "a procedure is listed twice"})
    tiers = body.get("cancellationPolicy", {}).get("tiers", [])
    days = [tier["daysBefore"] for tier in tiers]
    if len(set(days)) != len(days):
        errors.append({"field": "cancellationPolicy.tiers", "message": "two tiers for the same daysBefore"})
    if errors:
        raise validation_problem(errors)


def _validated(package: Package) -> dict:
    try:
        package.validate()  # also derives the filter and sort fields
    except ModelValidationError as exc:
        raise validation_problem([{"field": f, "message": str(m)} for f, m in (exc.to_dict() or {}).items()]) from None
    return package.to_mongo().to_dict()


def create_package(body: dict, principal: Principal) -> dict:
    if not principal.administers(body["clinic"]):
        raise Problem(403, "FORBIDDEN", "You may only create packages for your own clinic.")
    _check_options(body)
    knowledge = check_with_catalogue(body["clinic"], body["items"])
    package = Package(id=ObjectId(), **model_fields(body))
    apply_knowledge(package, knowledge)
    document = _validated(package)

    def write(session):
        store.insert_package(document, session=session)
        store.insert_version(str(document["_id"]), document, False, utcnow(), session=session)

    in_transaction(ALIAS, write)
    return document


def find_package(package_id: str, principal: Principal | None, *, projection=None) -> dict:
    """A package the caller may see: drafts only for their clinic's admins (404 for others)."""
    doc = store.package_by_id(object_id(package_id), projection)
    if doc is None or (doc["status"] == "DRAFT" and not (principal and principal.administers(doc["clinic"]))):
        raise not_found("package", package_id)
    return doc


def update_package(package_id: str, patch: dict, principal: Principal, expected_version: int | None) -> dict:
    """Apply a merge patch; the version rises and the new version is kept beside the old ones,
    in one transaction guarded by the version read."""
    current = find_package(package_id, principal)
    if not principal.administers(current["clinic"]):
        raise Problem(403, "FORBIDDEN", "You may only change your own clinic's packages.")
    if current["status"] == "ARCHIVED":
        raise Problem(409, "PACKAGE_ARCHIVED", "An archived package cannot change.")
    if expected_version is not None and current["version"] != expected_version:
        raise Problem(412, "VERSION_MISMATCH", f"The package is at version {current['version']}, not {expected_version}.")
    _check_options(patch)
    package = Package._from_son(current)
    for field, value in model_fields(patch).items():
        setattr(package, field, value)
    if "items" in patch or "screening" in patch:
        items = [{"procedure": item.procedure} for item in package.items]
        apply_knowledge(package, check_with_catalogue(package.clinic, items))
    read_version = current["version"]
    package.version = read_version + 1
    package.updated_at = utcnow()
    document = _validated(package)

    def write(session):
        if not store.replace_package(document, read_version, session=session):
            raise Problem(409, "CONCURRENT_UPDATE", "The package changed while this update was applied; read it again.")
        store.insert_version(package_id, document, document["status"] == "PUBLISHED", utcnow(), session=session)

    in_transaction(ALIAS, write)
    return document


def change_status(package_id: str, target: str, principal: Principal) -> dict:
    """DRAFT -> PUBLISHED -> ARCHIVED (or DRAFT -> ARCHIVED); anything else is 409. The guard
    on the current status is part of the update, so two racing changes cannot both apply."""
    current = find_package(package_id, principal, projection={"clinic": 1, "status": 1})
    if not principal.administers(current["clinic"]):
        raise Problem(403, "FORBIDDEN", "You may only change your own clinic's packages.")
    now = utcnow()

    def write(session):
        updated = store.change_package_status(current["_id"], current["clinic"], list(TRANSITIONS[target]), target, now,
                                              session=session)
        if updated is None:
            latest = store.package_by_id(current["_id"], {"status": 1}, session=session)
            raise Problem(409, "INVALID_TRANSITION", f"A {latest['status']} package cannot become {target}.")
        if target == "PUBLISHED":
            store.mark_version_published(package_id, updated["version"], session=session)
        return updated

    return in_transaction(ALIAS, write)


def find_version(package_id: str, version: int, principal: Principal | None) -> dict:
    found = store.version(str(object_id(package_id)), version)
    if found is None or not (found["published"] or (principal and principal.administers(found["document"]["clinic"]))):
        raise not_found("package version", f"{package_id}/versions/{version}")
    return found["document"]


# -- search --------------------------------------------------------------------------------------

def visible_statuses(query: dict, principal: Principal | None) -> str:
    """Anyone sees published packages; other statuses only for clinics the caller administers."""
    status = query.get("status", "PUBLISHED")
    if status == "PUBLISHED":
        return status
    clinics = query.get("clinic", [])
    if principal is None or not clinics or not all(principal.administers(slug) for slug in clinics):
        raise Problem(403, "FORBIDDEN", f"Only a clinic's admins see its {status} packages; name your clinic in 'clinic'.")
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
        return (price >= low and (high is None or price <= high) and visits >= min_visits
                and (max_visits is None or visits <= max_visits) and (max_downtime is None or downtime <= max_downtime))

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
    if status == "PUBLISHED":
        model = published.require(wait_seconds)
    else:
        model = store.listing_model(store.packages_in_listings([listing_key(slug, status) for slug in query["clinic"]]))
    return model.page(where, _range_test(query), package_sort(query), limit=query.get("limit", DEFAULT_LIMIT),
                      cursor=query.get("cursor"), with_total=query.get("total", False))


def package_sort(query: dict) -> Sort:
    return SORTS[query.get("sort", "price")]


# -- exchange rates ------------------------------------------------------------------------------

def current_rates() -> dict:
    table = store.current_rates()
    if table is None:
        raise Problem(503, "RATES_UNAVAILABLE", "No exchange rates are loaded yet.")
    return {"asOf": table["as_of"], "rates": {"KRW": "1", **table["rates"]}, "source": table["source"]}


def replace_rates(body: dict) -> dict:
    errors = [{"field": f"rates.{code}", "message": "must be more than zero"}
              for code, rate in body["rates"].items() if float(rate) == 0 or code == "KRW"]
    if errors:
        raise validation_problem(errors)
    ExchangeRateTable(as_of=body["asOf"], rates=body["rates"], source="admin").validate()
    store.replace_rates(body["asOf"], body["rates"], "admin", utcnow())
    return current_rates()


# -- quotes ----------------------------------------------------------------------------------------

def quote_owner(principal: Principal | None) -> str | None:
    """Whom a quote the caller creates (or books) belongs to; None for an anonymous caller."""
    if principal is None:
        return None
    if principal.role == "AGENCY":
        return f"agency:{principal.agency}"
    if principal.role == "CLINIC_ADMIN":
        return f"clinic:{principal.clinic}"
    return "platform"


def create_quote(package_id: str, body: dict, principal: Principal | None = None,
                 now: datetime | None = None) -> tuple[dict, dict]:
    """A new quote of the package's current version, owned by the caller, and that version (the package as quoted)."""
    now = now or utcnow()
    package = store.package_by_id(object_id(package_id))
    if package is None or package["status"] == "DRAFT":
        raise not_found("package", package_id)
    if package["status"] != "PUBLISHED":
        raise Problem(409, "PACKAGE_NOT_PUBLISHED", "Only a published package can be quoted.")
    errors = []
    interpreter_krw = 0
    language = body.get("interpreterLanguage")
    if language:
        option = next((o for o in package.get("interpreter_options", []) if o["language"] == language), None)
        if option is None:
            errors.append({"field": "interpreterLanguage", "message": f"no {language} interpreter is offered"})
        elif not option["included"]:
            interpreter_krw = option.get("price_per_session_krw", 0) * package["visits"]
    follow_up_krw = 0
    plan_code = body.get("followUpPlan")
    if plan_code:
        plan = next((p for p in package.get("follow_up_plans", []) if p["code"] == plan_code), None)
        if plan is None:
            errors.append({"field": "followUpPlan", "message": f"no follow-up plan {plan_code}"})
        else:
            follow_up_krw = plan["price_krw"]
    if errors:
        raise Problem(422, "OPTION_NOT_OFFERED", "The package does not offer an option asked for.", errors=errors)
    currency = body.get("currency", "KRW")
    rates = current_rates()
    ttl = timedelta(minutes=current_app.config["SETTINGS"].quote_ttl_minutes)
    quote = Quote(id=secrets.token_hex(16), owner=quote_owner(principal), package_id=package_id, package_version=package["version"], clinic=package["clinic"],
                  interpreter_language=language, follow_up_plan=plan_code, currency=currency,
                  krw_per_unit=rates["rates"][currency], rate_as_of=rates["asOf"], base_krw=package["price_krw"],
                  interpreter_krw=interpreter_krw, follow_up_krw=follow_up_krw, created_at=now,
                  expires_at=now + ttl, purge_at=now + ttl + store.PURGE_AFTER)
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
        raise Problem(409, "QUOTE_EXPIRED", "The quote has expired; ask for a new one.")
    package = store.package_by_id(ObjectId(locked["package_id"]), {"status": 1})
    if package is None or package["status"] != "PUBLISHED":
        unlock_quote(quote_id, reference)
        raise Problem(409, "PACKAGE_NOT_PUBLISHED", "The package is no longer offered.")
    return locked


def unlock_quote(quote_id: str, reference: str) -> dict:
    """Give a quote back (a booking that failed after locking it)."""
    return store.unlock_quote(quote_id, reference) or find_quote(quote_id, anyone=True)


def quote_totals(quote: dict) -> dict:
    lines = {"base": quote["base_krw"], "interpreter": quote["interpreter_krw"], "followUp": quote["follow_up_krw"]}
    converted = {name: money.from_krw(krw, quote["krw_per_unit"], quote["currency"]) for name, krw in lines.items()}
    return {
        "lines": {name: {"krw": lines[name], "amount": money.as_text(converted[name])} for name in lines},
        # The total is the sum of the lines as shown, so the itemization always adds up.
        "total": {"krw": sum(lines.values()), "amount": money.as_text(sum(converted.values()))},
    }

