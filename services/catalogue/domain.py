"""Catalogue rules as plain functions: clinic filters, creation and guarded updates."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from mongoengine import NotUniqueError
from mongoengine import ValidationError as ModelValidationError

from services.common.errors import Problem, not_found, validation_problem
from services.common.pagination import Sort
from services.common.tokens import Principal
from services.common.wire import model_fields

from .models import Clinic, Procedure, query_terms, utcnow

SEOUL = ZoneInfo("Asia/Seoul")

SORTS = {
    "name": Sort("name_key", 1),
    "-name": Sort("name_key", -1),
    "district": Sort("district_key", 1),
    "-district": Sort("district_key", -1),
    "updatedAt": Sort("updated_key", 1),
    "-updatedAt": Sort("updated_key", -1),
}
# Stored but never served: derived fields for indexes.
CLINIC_PROJECTION = {"search_terms": 0, "language_keys": 0, "name_key": 0, "district_key": 0, "updated_key": 0}


def seoul_today() -> str:
    return datetime.now(SEOUL).date().isoformat()


def procedures_for_scar_type(scar_type: str) -> list[str]:
    return [p.code for p in Procedure.objects(indications=scar_type).only("code")]


def clinic_filter(query: dict) -> dict:
    """The Mongo filter for the allow-listed filters in ``query``; each one has an index.

    Values reach the database only as equality or range operands of fields chosen here;
    the schema has already checked each one's type and pattern. The filter is one flat
    document (``$and`` only where a field is constrained twice), its conditions inserted
    from the usually most selective to the least. MongoDB's planner picks among the
    indexes whatever the order; SecantusDB serves a filter from an index when its fields
    are exactly one index's, and otherwise scans, testing the conditions in this order.
    """
    flat: dict = {}
    extra: list[dict] = []
    if query.get("q"):
        terms = query_terms(query["q"])
        if not terms:
            raise validation_problem([{"field": "q", "message": "needs at least one letter or digit"}])
        flat["search_terms"] = terms[0] if len(terms) == 1 else {"$all": terms}
    if "district" in query:
        districts = query["district"]
        flat["district"] = districts[0] if len(districts) == 1 else {"$in": districts}
    # One equality per procedure code rather than $all: the same meaning in MongoDB, and
    # SecantusDB 0.7.0b3 matches nothing for $all on a path through embedded documents.
    procedure_conditions = [{"procedures.code": code} for code in query.get("procedure", [])]
    if "scarType" in query:
        procedure_conditions.append({"procedures.code": {"$in": procedures_for_scar_type(query["scarType"])}})
    if procedure_conditions:
        flat.update(procedure_conditions[0])
        extra += procedure_conditions[1:]
    if "service" in query:
        services = query["service"]
        flat["international_services"] = services[0] if len(services) == 1 else {"$all": services}
    if "language" in query:
        flat["language_keys"] = f"{query.get('languageLevel', 'any')}:{query['language']}"
    if "kind" in query:
        flat["kind"] = query["kind"]
    if query.get("accredited") is True:
        flat["accreditations.expires_on"] = {"$gte": seoul_today()}
    elif query.get("accredited") is False:
        flat["accreditations.expires_on"] = {"$not": {"$gte": seoul_today()}}
    if extra:
        flat["$and"] = extra
    return flat


def clinic_sort(query: dict) -> Sort:
    return SORTS[query.get("sort", "name")]


_PLATFORM_ONLY_FIELDS = ("kind", "accreditations")


def _check_procedures(body: dict) -> None:
    offered = [item["code"] for item in body.get("procedures", [])]
    errors = []
    seen = set()
    for index, code in enumerate(offered):
        if code in seen:
            errors.append({"field": f"procedures[{index}].code", "message": f"{code} is listed twice"})
        seen.add(code)
    known = {p.code for p in Procedure.objects(code__in=list(seen)).only("code")} if seen else set()
    for index, code in enumerate(offered):
        if code not in known:
            errors.append({"field": f"procedures[{index}].code", "message": f"unknown procedure {code}"})
    if errors:
        raise validation_problem(errors, "The clinic lists procedures the catalogue does not know.")


def _model_problem(exc: ModelValidationError) -> Problem:
    errors = [{"field": field, "message": str(message)} for field, message in (exc.to_dict() or {}).items()]
    return validation_problem(errors or [{"field": "(root)", "message": str(exc)}])


def create_clinic(body: dict) -> Clinic:
    _check_procedures(body)
    clinic = Clinic(**model_fields(Clinic, body))
    try:
        clinic.save(force_insert=True)
    except ModelValidationError as exc:
        raise _model_problem(exc) from None
    except NotUniqueError:
        raise Problem(409, "ALREADY_EXISTS", f"A clinic with slug {body['slug']!r} already exists.") from None
    return clinic


def update_clinic(slug: str, patch: dict, principal: Principal, expected_version: int | None) -> Clinic:
    """Apply a merge patch. The write is guarded by the version read, so a concurrent edit
    is never silently overwritten: it turns into a 409 (or 412 with If-Match)."""
    if not principal.administers(slug):
        raise Problem(403, "FORBIDDEN", "You may only change your own clinic's profile.")
    if not principal.is_platform_admin:
        restricted = [field for field in _PLATFORM_ONLY_FIELDS if field in patch]
        if restricted:
            raise Problem(403, "FORBIDDEN_FIELD", "Only a platform admin may change these fields.",
                          errors=[{"field": field, "message": "platform admins only"} for field in restricted])
    clinic = Clinic.objects(slug=slug).first()
    if clinic is None:
        raise not_found("clinic", slug)
    if expected_version is not None and clinic.version != expected_version:
        raise Problem(412, "VERSION_MISMATCH", f"The clinic is at version {clinic.version}, not {expected_version}.")
    _check_procedures(patch)
    read_version = clinic.version
    for field, value in model_fields(Clinic, patch).items():
        setattr(clinic, field, value)
    clinic.updated_at = utcnow()
    try:
        clinic.validate()  # also derives the search and language keys
    except ModelValidationError as exc:
        raise _model_problem(exc) from None
    document = clinic.to_mongo().to_dict()
    document.pop("_id", None)
    document["version"] = read_version + 1
    changed = Clinic._get_collection().update_one({"slug": slug, "version": read_version}, {"$set": document})
    if changed.matched_count == 0:
        raise Problem(409, "CONCURRENT_UPDATE", "The clinic changed while this update was applied; read it again and retry.")
    clinic.version = read_version + 1
    return clinic
