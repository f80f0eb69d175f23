"""Catalogue rules as plain functions: clinic filters, creation and guarded updates."""

from __future__ import annotations

from mongoengine import ValidationError as ModelValidationError
from pymongo.errors import DuplicateKeyError

from services.common import clock
from services.common.errors import Problem, not_found, validation_problem
from services.common.pagination import DEFAULT_LIMIT, Page, Sort
from services.common.readmodel import ReadModel
from services.common.tokens import Principal
from services.common.wire import model_fields

from . import store
from .models import Clinic, query_terms, utcnow

SORTS = {
    "name": Sort("name_key", 1),
    "-name": Sort("name_key", -1),
    "district": Sort("district_key", 1),
    "-district": Sort("district_key", -1),
    "updatedAt": Sort("updated_key", 1),
    "-updatedAt": Sort("updated_key", -1),
}
PROCEDURE_SORT = Sort("code", 1)
ACTIVE_ACNE_FIRST = Sort("active_acne_key", 1)


def seoul_today() -> str:
    return clock.seoul_today().isoformat()


def clinic_search(query: dict, clinics: ReadModel, wait_seconds: float) -> Page:
    """A page of clinics from the read model. Every filter is allow-listed into tokens (a clinic
    must hold one of each set) or the accreditation test; the schema has checked every value."""
    where: list[set] = []
    if query.get("q"):
        terms = query_terms(query["q"])
        if not terms:
            raise validation_problem([{"field": "q", "message": "needs at least one letter or digit"}])
        where += [{("term", term)} for term in terms]
    if "district" in query:
        where.append({("district", district) for district in query["district"]})
    where += [{("procedure", code)} for code in query.get("procedure", [])]
    if "scarType" in query:
        where.append({("procedure", code) for code in store.procedure_codes_for(query["scarType"])})
    where += [{("service", code)} for code in query.get("service", [])]
    if "language" in query:
        where.append({("language", f"{query.get('languageLevel', 'any')}:{query['language']}")})
    if "kind" in query:
        where.append({("kind", query["kind"])})
    test = None
    if "accredited" in query:
        today, wanted = seoul_today(), query["accredited"]
        test = lambda latest_expiry: (latest_expiry >= today) == wanted  # noqa: E731
    return clinics.require(wait_seconds).page(
        where,
        test,
        clinic_sort(query),
        limit=query.get("limit", DEFAULT_LIMIT),
        cursor=query.get("cursor"),
        with_total=query.get("total", False),
    )


def procedure_search(query: dict, procedures: ReadModel) -> Page:
    """A page of the knowledge base's procedures, filtered by category and indication. With
    ``activeAcne``, the treatments of active acne come too, and first: active acne is treated
    before scars."""
    where = []
    if "category" in query:
        where.append({("category", code) for code in query["category"]})
    active_acne = query.get("activeAcne", False)
    if "scarType" in query or active_acne:
        indicated = {("scarType", code) for code in query.get("scarType", [])}
        where.append(indicated | ({("activeAcne", True)} if active_acne else set()))
    return procedures.page(
        where,
        None,
        ACTIVE_ACNE_FIRST if active_acne else PROCEDURE_SORT,
        limit=query.get("limit", DEFAULT_LIMIT),
        cursor=query.get("cursor"),
        with_total=query.get("total", False),
    )


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
    known = store.procedure_codes(sorted(seen)) if seen else set()
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
        clinic.validate()  # also derives the search and language keys
        document = clinic.to_mongo().to_dict()
        store.insert_clinic(document)
    except ModelValidationError as exc:
        raise _model_problem(exc) from None
    except DuplicateKeyError:
        raise Problem(409, "ALREADY_EXISTS", f"A clinic with slug {body['slug']!r} already exists.") from None
    clinic.id = document["_id"]
    return clinic


def update_clinic(slug: str, patch: dict, principal: Principal, expected_version: int | None) -> Clinic:
    """Apply a merge patch. The write is guarded by the version read, so a concurrent edit
    is never silently overwritten: it turns into a 409 (or 412 with If-Match)."""
    if not principal.administers(slug):
        raise Problem(403, "FORBIDDEN", "You may only change your own clinic's profile.")
    if not principal.is_platform_admin:
        restricted = [field for field in _PLATFORM_ONLY_FIELDS if field in patch]
        if restricted:
            raise Problem(
                403,
                "FORBIDDEN_FIELD",
                "Only a platform admin may change these fields.",
                errors=[{"field": field, "message": "platform admins only"} for field in restricted],
            )
    found = store.clinic_by_slug(slug)
    if found is None:
        raise not_found("clinic", slug)
    clinic = Clinic._from_son(found)
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
    if not store.replace_clinic(slug, read_version, document):
        raise Problem(
            409, "CONCURRENT_UPDATE", "The clinic changed while this update was applied; read it again and retry."
        )
    clinic.version = read_version + 1
    return clinic
