"""The Korean rules on attracting foreign patients, over HTTP: registrations and fee agreements (platform
admins), monthly commission statements, the annual report, and a confirmed booking's treatment-reservation
confirmation for the medical visa."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from services.common.access import ROLES
from services.common.clock import seoul_today
from services.common.errors import Problem, not_found, validation_problem
from services.common.pagination import batch_ids
from services.common.tokens import Principal
from services.common.validation import contract

from . import booking, commissions, registrations, render, reports, store, visa

bp = Blueprint("compliance", __name__)


# -- registrations and agreements -------------------------------------------------------------------


def _record_view(kind: str):
    def view(party, body, principal):
        return jsonify(render.registration(registrations.record(kind, party, body), seoul_today()))

    view.__name__ = f"record_{kind.lower()}_registration"
    noun = (
        "an agency's, as a facilitator" if kind == "FACILITATOR" else "a clinic's, as an institution (its category too)"
    )
    return contract(
        summary=f"Record or renew a registration for attracting foreign patients: {noun} (platform admins). A booking "
        "or hold needs both its agency's and its clinic's valid on its Seoul date.",
        body="bookings/registration-record",
        response="bookings/registration",
        auth="token",
        roles=ROLES["registrations.write"],
        errors=(400,),
        tags=("registrations",),
    )(view)


for _path, _kind in (("facilitators", "FACILITATOR"), ("institutions", "INSTITUTION")):
    bp.add_url_rule(f"/registrations/{_path}/<party>", view_func=_record_view(_kind), methods=["PUT"])


@bp.get("/registrations/institutions")
@contract(
    summary="Clinics' registrations as institutions for foreign patients (ids=, up to 100 slugs), in order; null "
    "where a clinic has none. Public, as accreditations are.",
    query="bookings/registration-list-query",
    response="bookings/registration-list",
    tags=("registrations",),
)
def institution_registrations(query):
    today = seoul_today()
    found = registrations.institutions(batch_ids(query))
    return jsonify(items=[render.registration(doc, today) if doc else None for doc in found])


@bp.get("/registrations/facilitators/<party>")
@contract(
    summary="An agency's registration as a facilitator: the agency itself, or platform admins.",
    response="bookings/registration",
    auth="token",
    errors=(404,),
    tags=("registrations",),
)
def facilitator_registration(party, principal):
    found = registrations.facilitator(party) if registrations.may_read_facilitator(party, principal) else None
    if found is None:
        raise not_found("registration", party)
    return jsonify(render.registration(found, seoul_today()))


@bp.put("/agreements/<agency>/<clinic>")
@contract(
    summary="Record an agency's fee agreement with a clinic (platform admins): refused COMMISSION_ABOVE_CAP, naming "
    "the cap and its source, above the cap for the clinic's registered category; INSTITUTION_NOT_REGISTERED "
    "without a registration.",
    body="bookings/agreement-set",
    response="bookings/agreement",
    auth="token",
    roles=ROLES["agreements.write"],
    errors=(422,),
    tags=("registrations",),
)
def set_agreement(agency, clinic, body, principal):
    saved, cap = registrations.set_agreement(agency, clinic, body)
    return jsonify(render.agreement(saved, cap))


# -- statements and the annual report -------------------------------------------------------------------


def _party(query: dict, principal: Principal) -> dict:
    """Whose statement: an agency's or a clinic's admins their own; platform admins the one they name."""
    own = {"AGENCY": ("agency", principal.agency), "CLINIC_ADMIN": ("clinic", principal.clinic)}.get(principal.role)
    asked = {key: query[key] for key in ("agency", "clinic") if key in query}
    if own is not None:
        if asked and asked != {own[0]: own[1]}:
            raise Problem(403, "FORBIDDEN", "You may only read your own statements.")
        return {own[0]: own[1]}
    if len(asked) != 1:
        raise validation_problem([{"field": "agency", "message": "name an agency or a clinic (one of them)"}])
    return asked


def _between(party: dict, start, end) -> list[dict]:
    if "agency" in party:
        return store.agency_bookings_between(party["agency"], start, end)
    return store.clinic_bookings_between(party["clinic"], start, end)


def _statement(query: dict, principal: Principal) -> dict:
    party = _party(query, principal)
    start, end = commissions.month_bounds(query["month"])
    return commissions.statement(party, query["month"], _between(party, start, end))


def _csv(text: str, filename: str) -> Response:
    response = Response(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


STATEMENT = {
    "query": "bookings/statement-query",
    "auth": "token",
    "roles": ROLES["statements.read"],
    "errors": (403,),
    "tags": ("commissions",),
}


@bp.get("/statements")
@contract(
    summary="A month's commission statement: each booking whose first visit falls in the Seoul month, with its "
    "commission on the medical fee kept, and the totals (the sums of the lines, to the won). Agencies and clinics' "
    "admins read their own; platform admins name an agency or a clinic.",
    response="bookings/statement",
    **STATEMENT,
)
def statement(query, principal):
    return jsonify(_statement(query, principal))


@bp.get("/statements.csv")
@contract(summary="The same statement as CSV, with a TOTAL row.", **STATEMENT)
def statement_csv(query, principal):
    shown = _statement(query, principal)
    party = shown["agency"] or shown["clinic"]
    return _csv(commissions.statement_csv(shown), f"statement-{party}-{shown['month']}.csv")


def _annual(query: dict) -> dict:
    party = {key: query[key] for key in ("agency", "clinic") if key in query}
    if len(party) != 1:
        raise validation_problem([{"field": "clinic", "message": "name an institution or a facilitator (one of them)"}])
    start, end = reports.year_bounds(query["year"])
    return reports.annual(party, query["year"], _between(party, start, end))


REPORT = {
    "query": "bookings/annual-report-query",
    "auth": "token",
    "roles": ROLES["reports.annual"],
    "tags": ("reports",),
}


@bp.get("/reports/annual")
@contract(
    summary="The annual report of an institution (clinic=) or a facilitator (agency=) for a Seoul year (platform "
    "admins): patients by nationality, by month and by treatment; the sums of medical fees kept and commissions.",
    response="bookings/annual-report",
    **REPORT,
)
def annual_report(query, principal):
    return jsonify(_annual(query))


@bp.get("/reports/annual.csv")
@contract(summary="The same annual report as CSV.", **REPORT)
def annual_report_csv(query, principal):
    report = _annual(query)
    return _csv(reports.annual_csv(report), f"annual-{report['clinic'] or report['agency']}-{report['year']}.csv")


# -- the visa document ---------------------------------------------------------------------------------


@bp.get("/bookings/<reference>/visa-document")
@contract(
    summary="A confirmed booking's treatment-reservation confirmation for the medical visa (C-3-3), in Korean and "
    "English, as application/pdf: the agency that booked and the clinic that treats only (anyone else: 404). "
    "Refused BOOKING_NOT_CONFIRMED before the clinic confirms, and once cancelled or missed.",
    auth="token",
    roles=ROLES["visa_documents.read"],
    errors=(404, 409),
    tags=("bookings",),
)
def visa_document(reference, principal):
    found = booking.find_booking(reference, principal)
    institution = registrations.institutions([found["clinic"]])[0]
    response = Response(visa.confirmation_pdf(found, institution), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{reference}-treatment-confirmation.pdf"'
    return response
