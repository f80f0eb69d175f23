"""Bookings HTTP API: slots and availability, bookings and their lifecycle, care plans."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from services.common.auth import current_token
from services.common.errors import Problem, problem_response, validation_problem
from services.common.localization import negotiate_language
from services.common.pagination import DEFAULT_LIMIT, batch_ids, batch_response
from services.common.validation import IDEMPOTENCY_KEY, contract

from . import careplan, domain, idempotency, render, store

bp = Blueprint("bookings", __name__)
CLINIC_ROLES = ("CLINIC_ADMIN", "PLATFORM_ADMIN")
AVAILABILITY_PAGE = 200  # availability's page when no limit is given (it was the whole answer before it was paged)


# -- slots -----------------------------------------------------------------------------------

@bp.post("/slots")
@contract(summary="Open one slot (the clinic's admins).", body="bookings/slot-create", response="bookings/slot", status=201,
          auth="token", roles=CLINIC_ROLES, errors=(409,), tags=("slots",))
def open_slot(body, principal):
    response = jsonify(render.slot(domain.open_slot(body, principal)))
    response.status_code = 201
    return response


@bp.post("/slots/bulk")
@contract(summary="Open slots from a rule: weekdays and Seoul times over a date range (at most 400 days, ending at most "
                  "400 days ahead). Existing ones are skipped; times already passed are reported in errors.",
          body="bookings/slot-bulk", response="bookings/slot-list", status=201, auth="token", roles=CLINIC_ROLES,
          tags=("slots",))
def open_slots(body, principal):
    created, skipped, errors = domain.open_slots_bulk(body, principal)
    response = jsonify(items=[render.slot(doc) for doc in created], created=len(created), skipped=skipped, errors=errors)
    response.status_code = 201
    return response


@bp.post("/slots/<slot_id>/close")
@contract(summary="Close a slot to new bookings; existing bookings stay.", response="bookings/slot", auth="token",
          roles=CLINIC_ROLES, errors=(404,), tags=("slots",))
def close_slot(slot_id, principal):
    return jsonify(render.slot(domain.close_slot(slot_id, principal)))


@bp.get("/availability")
@contract(summary="Free slots for a package (its own and its clinic's any-package slots) or a clinic, between two Seoul "
                  "dates (at most 400 days), by start, a page at a time (limit, cursor, total); future ones past the "
                  "minimum notice only.", query="bookings/availability-query", response="bookings/slot-list",
          errors=(404,), tags=("slots",))
def availability(query):
    return jsonify(domain.slot_page(domain.availability(query), query, AVAILABILITY_PAGE).to_json(render.slot))


@bp.get("/slots")
@contract(summary="A clinic's own slots between two Seoul dates (at most 400 days), full and closed ones too, by start.",
          query="bookings/slots-query", response="bookings/slot-list", auth="token", roles=CLINIC_ROLES, errors=(403,),
          tags=("slots",))
def list_slots(query, principal):
    return jsonify(domain.clinic_slots(query, principal).to_json(render.slot))


@bp.post("/availability/next")
@contract(summary="The earliest bookable slot of each package (up to 100), in order; null where there is none.",
          body="bookings/next-free-query", response="bookings/next-free-list", tags=("slots",))
def next_free(body):
    return jsonify(items=[render.slot(doc) if doc else None for doc in domain.next_free(body["packages"])])


# -- bookings ------------------------------------------------------------------------------------

@bp.post("/bookings")
@contract(summary="Book a quote into a slot for a patient. Idempotency-Key is required: the same key and body replays the "
                  "first answer.", body="bookings/booking-create", response="bookings/booking", status=201, auth="token",
          roles=("AGENCY",), errors=(409, 422), tags=("bookings",))
def create_booking(body, principal):
    key = request.headers.get("Idempotency-Key", "")
    if not IDEMPOTENCY_KEY.match(key):
        raise validation_problem([{"field": "Idempotency-Key", "message": "required: 1-255 visible characters"}])
    scoped = f"{principal.agency}:{key}"
    claim = idempotency.begin(scoped, idempotency.request_hash(body), domain.new_reference)
    if claim["state"] == "DONE":
        response = jsonify(claim["response_body"])
        response.status_code = claim["response_status"]
        if response.status_code >= 400:
            response.mimetype = "application/problem+json"
        response.headers["Idempotent-Replayed"] = "true"
        return response
    try:
        document = domain.create_booking(body, principal, current_token(), claim.get("reference") or domain.new_reference(),
                                         resumed=claim.get("resumed", True))
    except Problem as problem:
        if problem.status >= 500:
            idempotency.abandon(scoped)
        else:
            idempotency.finish(scoped, problem.status, problem_response(problem).get_json())
        raise
    except BaseException:
        idempotency.abandon(scoped)  # e.g. a service down: a retry with the same key may succeed
        raise
    answer = render.booking(document)
    idempotency.finish(scoped, 201, answer)
    response = jsonify(answer)
    response.status_code = 201
    response.headers["Location"] = f"/bookings/{document['reference']}"
    return response


@bp.get("/bookings")
@contract(summary="The caller's bookings, newest first: an agency's own, a clinic's, or all for a platform admin.",
          query="bookings/booking-list-query", response="bookings/booking-page", auth="token", tags=("bookings",))
def list_bookings(query, principal):
    if "ids" in query:
        found = store.bookings_by_reference(batch_ids(query))
        return jsonify(batch_response(found, lambda doc: render.booking(doc) if domain.visible_to(doc, principal) else None))
    scope = domain.scope(principal)
    if "clinic" in query and scope.get("clinic", query["clinic"]) != query["clinic"]:
        raise Problem(403, "FORBIDDEN", "You may only list your own clinic's bookings.")
    find = store.booking_filter(scope.get("agency"), scope.get("clinic") or query.get("clinic"), query.get("status"))
    page = store.booking_page(find, domain.BOOKING_SORT, limit=query.get("limit", DEFAULT_LIMIT), cursor=query.get("cursor"),
                              with_total=query.get("total", False))
    return jsonify(page.to_json(render.booking))


@bp.get("/bookings/<reference>")
@contract(summary="One booking, for the agency that made it and the clinic that treats.", response="bookings/booking",
          auth="token", errors=(404,), tags=("bookings",))
def get_booking(reference, principal):
    return jsonify(render.booking(domain.find_booking(reference, principal)))


def _transition_view(target: str, summary: str):
    def view(reference, body, principal):
        return jsonify(render.booking(domain.transition(reference, target, principal, body.get("reason"))))
    view.__name__ = f"mark_{target.lower()}"
    return contract(summary=summary, body="bookings/transition", optional_body=True, response="bookings/booking",
                    auth="token", errors=(404, 409), tags=("bookings",))(view)


for action, target, summary in (
    ("confirm", "BOOKED", "The clinic confirms a requested booking."),
    ("arrive", "ARRIVED", "The patient has arrived at the clinic."),
    ("fulfill", "FULFILLED", "The visit took place."),
    ("no-show", "NOSHOW", "The patient did not come."),
    ("cancel", "CANCELLED", "Cancel: the seat is given back and the refund follows the booking's own copy of the policy."),
):
    bp.add_url_rule(f"/bookings/<reference>/{action}", view_func=_transition_view(target, summary), methods=["POST"])


@bp.get("/bookings/<reference>/care-plan")
@contract(summary="The dated care plan in Seoul and home time; text/calendar (iCalendar) when the Accept header asks for it.",
          query="bookings/care-plan-query", response="bookings/care-plan", auth="token", errors=(404,), tags=("care plans",))
def care_plan(reference, principal, query):
    plan = careplan.build(domain.find_booking(reference, principal), negotiate_language(query.get("lang")))
    if request.accept_mimetypes.best_match(["application/json", "text/calendar"]) == "text/calendar":
        return _ical(plan)
    return jsonify(plan)


@bp.get("/bookings/<reference>/care-plan.ics")
@contract(summary="The care plan as an iCalendar file.", query="bookings/care-plan-query", auth="token", errors=(404,),
          tags=("care plans",))
def care_plan_ics(reference, principal, query):
    return _ical(careplan.build(domain.find_booking(reference, principal), negotiate_language(query.get("lang"))))


def _ical(plan: dict) -> Response:
    response = Response(careplan.to_ical(plan), mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{plan["reference"]}.ics"'
    return response

