"""Every query and update of the catalogue service, each beside the index that serves it, and the
read model of clinics that clinic listings are answered from."""

from __future__ import annotations

from pymongo import UpdateOne

from services.common.readmodel import ReadModel
from services.common.store import Registry, upsert_missing

from .models import Clinic, Procedure, ScarType

registry = Registry("catalogue")
# Stored for filters and sorts, never served.
CLINIC_DERIVED = ("search_terms", "language_keys", "name_key", "district_key", "updated_key")
CLINIC_SORT_FIELDS = ("name_key", "district_key", "updated_key")


def clinics():
    return Clinic._get_collection()


def procedures():
    return Procedure._get_collection()


def scar_types():
    return ScarType._get_collection()


# -- clinics -------------------------------------------------------------------------------------


@registry.read("slug_1")
def clinic_by_slug(slug: str) -> dict | None:
    return clinics().find_one({"slug": slug})


@registry.read("slug_1")
def clinics_by_slug(slugs: list[str]) -> list[dict | None]:
    found = {doc["slug"]: doc for doc in clinics().find({"slug": {"$in": slugs}})}
    return [found.get(slug) for slug in slugs]


@registry.write("slug_1")
def insert_clinic(document: dict) -> None:
    """Raises DuplicateKeyError when the slug is taken."""
    clinics().insert_one(document)


@registry.write("slug_1")
def replace_clinic(slug: str, read_version: int, changes: dict) -> bool:
    """Write a clinic's profile if it is still at the version read: no lost update."""
    return clinics().update_one({"slug": slug, "version": read_version}, {"$set": changes}).matched_count == 1


@registry.write("slug_1")
def insert_missing(model, key: str, documents: list[dict]) -> int:
    """Insert-if-absent by ``key`` (code or slug), in batches the server answers in time (``upsert_missing``)."""
    operations = [UpdateOne({key: doc[key]}, {"$setOnInsert": doc}, upsert=True) for doc in documents]
    return len(upsert_missing(model._get_collection(), operations))


def describe_clinic(doc: dict) -> tuple[list, str]:
    """What a clinic can be filtered by: tokens, and its latest accreditation expiry (ISO date, or "")."""
    tokens = [("term", term) for term in doc.get("search_terms", [])]
    tokens += [("district", doc["district"]), ("kind", doc["kind"])]
    tokens += [("procedure", offered["code"]) for offered in doc.get("procedures", [])]
    tokens += [("service", code) for code in doc.get("international_services", [])]
    tokens += [("language", key) for key in doc.get("language_keys", [])]
    return tokens, max((a["expires_on"] for a in doc.get("accreditations", [])), default="")


def clinics_model() -> ReadModel:
    """Every clinic, for listings (see ``services.common.readmodel``)."""
    return ReadModel(
        "clinics",
        clinics,
        hold={},
        include=lambda doc: True,
        describe=describe_clinic,
        sort_fields=CLINIC_SORT_FIELDS,
        strip=CLINIC_DERIVED,
    )


# -- procedures and scar types -------------------------------------------------------------------


def describe_procedure(doc: dict) -> tuple[list, None]:
    tokens = [("category", doc["category"])] + [("scarType", code) for code in doc.get("indications", [])]
    return tokens + ([("activeAcne", True)] if doc.get("for_active_acne") else []), None


def procedures_model() -> ReadModel:
    """The knowledge base's procedures (about twenty; only the seed writes them), looked up by code."""
    return ReadModel(
        "procedures",
        procedures,
        hold={},
        include=lambda doc: True,
        describe=describe_procedure,
        sort_fields=("code", "active_acne_key"),
        lookup="code",
    )


def procedure_documents() -> list[dict]:
    """Every procedure: for seeding, never on a request path (requests read the procedures model)."""
    return list(procedures().find({}))


@registry.read("code_1")
def procedure_codes(codes: list[str]) -> set[str]:
    """Which of these codes the knowledge base has (a write checks what it is given, fresh)."""
    return {doc["code"] for doc in procedures().find({"code": {"$in": codes}}, {"code": 1})}


@registry.read("indications_1")
def procedure_codes_for(scar_type: str) -> list[str]:
    return [doc["code"] for doc in procedures().find({"indications": scar_type}, {"code": 1})]


@registry.read("order_1")
def all_scar_types() -> list[dict]:
    return list(scar_types().find({}).sort("order", 1))


@registry.read("code_1")
def scar_type_by_code(code: str) -> dict | None:
    return scar_types().find_one({"code": code})
