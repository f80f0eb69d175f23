"""Catalogue HTTP API: clinics, procedures and scar types."""
from __future__ import annotations

from flask import Blueprint, jsonify

from services.common.errors import not_found
from services.common.localization import negotiate_language
from services.common.pagination import DEFAULT_LIMIT, Sort, batch_response, paginate
from services.common.validation import contract, if_match_version

from . import domain, render
from .models import Clinic, Procedure, ScarType

bp = Blueprint("catalogue", __name__)


def _etagged(body: dict, version: int):
    response = jsonify(body)
    response.headers["ETag"] = f'"{version}"'
    return response


# -- clinics ---------------------------------------------------------------------------

@bp.get("/clinics")
@contract(summary="List clinics with filters and sort, or look clinics up by slug (ids=).",
          query="catalogue/clinic-list-query", response="catalogue/clinic-page", tags=("clinics",))
def list_clinics(query):
    lang = negotiate_language(query.get("lang"))
    today = domain.seoul_today()
    collection = Clinic._get_collection()
    if "ids" in query:
        return jsonify(batch_response(query, collection, "slug", lambda doc: render.clinic(doc, lang, today),
                                      domain.CLINIC_PROJECTION))
    page = paginate(collection, domain.clinic_filter(query), domain.clinic_sort(query),
                    limit=query.get("limit", DEFAULT_LIMIT), cursor=query.get("cursor"), projection=domain.CLINIC_PROJECTION,
                    with_total=query.get("total", False))
    return jsonify(page.to_json(lambda doc: render.clinic(doc, lang, today)))


@bp.get("/clinics/<slug>")
@contract(summary="One clinic by slug.", query="catalogue/item-query", response="catalogue/clinic",
          errors=(404,), tags=("clinics",))
def get_clinic(slug, query):
    doc = Clinic._get_collection().find_one({"slug": slug}, domain.CLINIC_PROJECTION)
    if doc is None:
        raise not_found("clinic", slug)
    return _etagged(render.clinic(doc, negotiate_language(query.get("lang")), domain.seoul_today()), doc["version"])


@bp.post("/clinics")
@contract(summary="Create a clinic (platform admins).", body="catalogue/clinic-create", response="catalogue/clinic",
          status=201, auth="token", roles=("PLATFORM_ADMIN",), errors=(409,), tags=("clinics",))
def create_clinic(body, principal):
    clinic = domain.create_clinic(body)
    doc = clinic.to_mongo().to_dict()
    response = _etagged(render.clinic(doc, negotiate_language(), domain.seoul_today()), clinic.version)
    response.status_code = 201
    response.headers["Location"] = f"/clinics/{clinic.slug}"
    return response


@bp.patch("/clinics/<slug>")
@contract(summary="Update a clinic profile (its own clinic admin, or a platform admin). Send If-Match to avoid lost updates.",
          body="catalogue/clinic-update", response="catalogue/clinic", auth="token",
          roles=("CLINIC_ADMIN", "PLATFORM_ADMIN"), errors=(404, 409, 412), tags=("clinics",))
def update_clinic(slug, body, principal):
    clinic = domain.update_clinic(slug, body, principal, if_match_version())
    doc = clinic.to_mongo().to_dict()
    return _etagged(render.clinic(doc, negotiate_language(), domain.seoul_today()), clinic.version)


# -- procedures and scar types ---------------------------------------------------------------

PROCEDURE_SORT = Sort("code", 1)


@bp.get("/procedures")
@contract(summary="The procedures and treatments of the knowledge base, or a batch of them by code (ids=).",
          query="catalogue/procedure-list-query", response="catalogue/procedure-page", tags=("procedures",))
def list_procedures(query):
    lang = negotiate_language(query.get("lang"))
    collection = Procedure._get_collection()
    if "ids" in query:
        return jsonify(batch_response(query, collection, "code", lambda doc: render.procedure(doc, lang)))
    find_filter = {}
    if "category" in query:
        find_filter["category"] = {"$in": query["category"]}
    if "scarType" in query:
        find_filter["indications"] = {"$in": query["scarType"]}
    page = paginate(collection, find_filter, PROCEDURE_SORT, limit=query.get("limit", DEFAULT_LIMIT),
                    cursor=query.get("cursor"), with_total=query.get("total", False))
    return jsonify(page.to_json(lambda doc: render.procedure(doc, lang)))


@bp.get("/procedures/<code>")
@contract(summary="One procedure by code.", query="catalogue/item-query", response="catalogue/procedure",
          errors=(404,), tags=("procedures",))
def get_procedure(code, query):
    doc = Procedure._get_collection().find_one({"code": code})
    if doc is None:
        raise not_found("procedure", code)
    return jsonify(render.procedure(doc, negotiate_language(query.get("lang"))))


@bp.get("/scar-types")
@contract(summary="Every scar type.", query="catalogue/item-query", response="catalogue/scar-type-list",
          tags=("scar types",))
def list_scar_types(query):
    lang = negotiate_language(query.get("lang"))
    docs = ScarType._get_collection().find({}).sort("order", 1)
    return jsonify(items=[render.scar_type(doc, lang) for doc in docs])


@bp.get("/scar-types/<code>")
@contract(summary="One scar type by code.", query="catalogue/item-query", response="catalogue/scar-type",
          errors=(404,), tags=("scar types",))
def get_scar_type(code, query):
    doc = ScarType._get_collection().find_one({"code": code})
    if doc is None:
        raise not_found("scar type", code)
    return jsonify(render.scar_type(doc, negotiate_language(query.get("lang"))))
