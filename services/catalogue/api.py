"""Catalogue HTTP API: clinics, procedures and scar types."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from services.common.access import ROLES
from services.common.errors import not_found
from services.common.localization import negotiate_language
from services.common.pagination import batch_ids, batch_response
from services.common.readmodel import read_model
from services.common.validation import KNOWLEDGE_SECONDS, PUBLIC_READ_SECONDS, cacheable, contract, if_match_version

from . import domain, render, store

bp = Blueprint("catalogue", __name__)


def _wait() -> float:
    return current_app.config["SETTINGS"].read_model_wait_seconds


def _etagged(body: dict, version: int):
    response = jsonify(body)
    response.headers["ETag"] = f'"{version}"'
    return response


# -- clinics ---------------------------------------------------------------------------


@bp.get("/clinics")
@contract(
    summary="List clinics with filters and sort, or look clinics up by slug (ids=).",
    query="catalogue/clinic-list-query",
    response="catalogue/clinic-page",
    tags=("clinics",),
)
def list_clinics(query):
    lang = negotiate_language(query.get("lang"))
    today = domain.seoul_today()
    if "ids" in query:
        found = store.clinics_by_slug(batch_ids(query))
        return cacheable(
            jsonify(batch_response(found, lambda doc: render.clinic(doc, lang, today))), PUBLIC_READ_SECONDS
        )
    page = domain.clinic_search(query, read_model("clinics"), _wait())
    return jsonify(page.to_json(lambda doc: render.clinic(doc, lang, today)))


@bp.get("/clinics/<slug>")
@contract(
    summary="One clinic by slug.",
    query="catalogue/item-query",
    response="catalogue/clinic",
    errors=(404,),
    tags=("clinics",),
    max_age=PUBLIC_READ_SECONDS,
)
def get_clinic(slug, query):
    doc = store.clinic_by_slug(slug)
    if doc is None:
        raise not_found("clinic", slug)
    return _etagged(render.clinic(doc, negotiate_language(query.get("lang")), domain.seoul_today()), doc["version"])


@bp.post("/clinics")
@contract(
    summary="Create a clinic (platform admins).",
    body="catalogue/clinic-create",
    response="catalogue/clinic",
    status=201,
    auth="token",
    roles=ROLES["clinics.create"],
    errors=(409,),
    tags=("clinics",),
)
def create_clinic(body, principal):
    clinic = domain.create_clinic(body)
    doc = clinic.to_mongo().to_dict()
    read_model("clinics").observe(doc)  # this process's listings show its own write at once
    response = _etagged(render.clinic(doc, negotiate_language(), domain.seoul_today()), clinic.version)
    response.status_code = 201
    response.headers["Location"] = f"/clinics/{clinic.slug}"
    return response


@bp.patch("/clinics/<slug>")
@contract(
    summary="Update a clinic profile (its own clinic admin, or a platform admin). Send If-Match to avoid lost updates.",
    body="catalogue/clinic-update",
    response="catalogue/clinic",
    auth="token",
    roles=ROLES["clinics.update"],
    errors=(404, 409, 412),
    tags=("clinics",),
)
def update_clinic(slug, body, principal):
    clinic = domain.update_clinic(slug, body, principal, if_match_version())
    doc = clinic.to_mongo().to_dict()
    read_model("clinics").observe(doc)  # this process's listings show its own write at once
    return _etagged(render.clinic(doc, negotiate_language(), domain.seoul_today()), clinic.version)


# -- procedures and scar types ---------------------------------------------------------------


@bp.get("/procedures")
@contract(
    summary="The procedures and treatments of the knowledge base, or a batch of them by code (ids=).",
    query="catalogue/procedure-list-query",
    response="catalogue/procedure-page",
    tags=("procedures",),
    max_age=KNOWLEDGE_SECONDS,
)
def list_procedures(query):
    lang = negotiate_language(query.get("lang"))
    procedures = read_model("procedures").require(_wait())
    if "ids" in query:
        return jsonify(batch_response(procedures.get_many(batch_ids(query)), lambda doc: render.procedure(doc, lang)))
    return jsonify(domain.procedure_search(query, procedures).to_json(lambda doc: render.procedure(doc, lang)))


@bp.get("/procedures/<code>")
@contract(
    summary="One procedure by code.",
    query="catalogue/item-query",
    response="catalogue/procedure",
    errors=(404,),
    tags=("procedures",),
    max_age=KNOWLEDGE_SECONDS,
)
def get_procedure(code, query):
    doc = read_model("procedures").require(_wait()).get_many([code])[0]
    if doc is None:
        raise not_found("procedure", code)
    return jsonify(render.procedure(doc, negotiate_language(query.get("lang"))))


@bp.get("/scar-types")
@contract(
    summary="Every scar type.",
    query="catalogue/item-query",
    response="catalogue/scar-type-list",
    tags=("scar types",),
    max_age=KNOWLEDGE_SECONDS,
)
def list_scar_types(query):
    lang = negotiate_language(query.get("lang"))
    return jsonify(items=[render.scar_type(doc, lang) for doc in store.all_scar_types()])


@bp.get("/scar-types/<code>")
@contract(
    summary="One scar type by code.",
    query="catalogue/item-query",
    response="catalogue/scar-type",
    errors=(404,),
    tags=("scar types",),
    max_age=KNOWLEDGE_SECONDS,
)
def get_scar_type(code, query):
    doc = store.scar_type_by_code(code)
    if doc is None:
        raise not_found("scar type", code)
    return jsonify(render.scar_type(doc, negotiate_language(query.get("lang"))))
