"""Bookings HTTP API: slots and availability, bookings and their lifecycle, care plans."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from flask import Blueprint, Response, current_app, jsonify, request

from services.common import lifecycle, series
from services.common.access import ROLES
from services.common.auth import current_principal, current_token
from services.common.clock import seoul_iso, seoul_today, utcnow
from services.common.errors import Problem, validation_problem
from services.common.localization import negotiate_language
from services.common.pagination import DEFAULT_LIMIT, batch_ids, batch_response
from services.common.validation import IDEMPOTENCY_KEY, contract

from . import (
    booking,
    careplan,
    changes,
    events,
    followups,
    idempotency,
    interpreters,
    ledger,
    render,
    reschedule,
    screening,
    slots,
    store,
    transitions,
    visits,
)

bp = Blueprint("bookings", __name__)
AVAILABILITY_PAGE = 200  # availability's page when no limit is given (it was the whole answer before it was paged)


def _idempotency_key() -> str:
    key = request.headers.get("Idempotency-Key", "")
    if not IDEMPOTENCY_KEY.match(key):
        raise validation_problem([{"field": "Idempotency-Key", "message": "required: 1-255 visible characters"}])
    return key


def _cutoff():
    """The earliest start a booking may take now (the configured minimum notice)."""
    return ledger.booking_cutoff(current_app.config["SETTINGS"].min_notice_hours)


# -- slots -----------------------------------------------------------------------------------


@bp.post("/slots")
@contract(
    summary="Open one slot (the clinic's admins).",
    body="bookings/slot-create",
    response="bookings/slot",
    status=201,
    auth="token",
    roles=ROLES["slots.write"],
    errors=(409,),
    tags=("slots",),
)
def open_slot(body, principal):
    response = jsonify(render.slot(slots.open_slot(body, principal)))
    response.status_code = 201
    return response


@bp.post("/slots/bulk")
@contract(
    summary="Open slots from a rule: weekdays and Seoul times over a date range (at most 400 days, ending at most "
    "400 days ahead). Existing ones are skipped; times already passed are reported in errors.",
    body="bookings/slot-bulk",
    response="bookings/slot-list",
    status=201,
    auth="token",
    roles=ROLES["slots.write"],
    tags=("slots",),
)
def open_slots(body, principal):
    created, skipped, errors = slots.open_slots_bulk(body, principal)
    response = jsonify(
        items=[render.slot(doc) for doc in created], created=len(created), skipped=skipped, errors=errors
    )
    response.status_code = 201
    return response


def _change_settings() -> dict:
    """What proposing, accepting and declining a change read of the service's settings."""
    return changes.settings_of(current_app.config["SETTINGS"])


@bp.post("/slots/<slot_id>/close")
@contract(
    summary="Close a slot to new bookings. Each visit booked on it becomes CHANGE_PROPOSED, with alternatives that fit "
    "the same rules as a move (visit.change_proposed): the agency accepts one or declines for a full refund of the "
    "visit. The X-Visits-Proposed header says how many.",
    response="bookings/slot",
    auth="token",
    roles=ROLES["slots.write"],
    errors=(404,),
    tags=("slots",),
)
def close_slot(slot_id, principal):
    closed, affected = changes.close_slot(slot_id, principal, _change_settings())
    response = jsonify(render.slot(closed))
    response.headers["X-Visits-Proposed"] = str(affected["visitsProposed"])
    return response


@bp.post("/clinics/<clinic>/close-day")
@contract(
    summary="Close every open slot of a clinic on a Seoul day (its admins, or platform admins), then propose a change "
    "for every visit booked on them, as closing each slot would.",
    body="bookings/close-day",
    response="bookings/close-day-result",
    auth="token",
    roles=ROLES["slots.write"],
    errors=(403, 404),
    tags=("slots",),
)
def close_day(clinic, body, principal):
    day = date.fromisoformat(body["date"])
    return jsonify(changes.close_day(clinic, day, body.get("reason"), principal, _change_settings()))


@bp.get("/availability")
@contract(
    summary="Free slots for a clinic, or for a package (its own and its clinic's any-package slots from which its "
    "whole plan can be booked: every later visit's seat in its window, and an interpreter for every visit in the "
    "language asked for), between two Seoul dates (at most 400 days), by start, a page at a time (limit, cursor, "
    "total); future ones past the minimum notice only.",
    query="bookings/availability-query",
    response="bookings/slot-list",
    errors=(404,),
    tags=("slots",),
)
def availability(query):
    current_principal()  # a token, when sent, must be valid; the package is read as its caller
    buffer_minutes = current_app.config["SETTINGS"].interpreter_buffer_minutes
    found = slots.availability(query, current_token(), _cutoff(), buffer_minutes)
    return jsonify(slots.slot_page(found, query, AVAILABILITY_PAGE).to_json(render.slot))


@bp.get("/slots")
@contract(
    summary="A clinic's own slots between two Seoul dates (at most 400 days), full and closed ones too, by start.",
    query="bookings/slots-query",
    response="bookings/slot-list",
    auth="token",
    roles=ROLES["slots.list"],
    errors=(403,),
    tags=("slots",),
)
def list_slots(query, principal):
    return jsonify(slots.clinic_slots(query, principal).to_json(render.slot))


@bp.post("/availability/next")
@contract(
    summary="The earliest slot of each package (up to 100), in order, from which its whole plan can be booked: "
    "every later visit's seat in its window, and an interpreter for every visit in the language asked for; "
    "null where there is none.",
    body="bookings/next-free-query",
    response="bookings/next-free-list",
    tags=("slots",),
)
def next_free(body):
    current_principal()  # a token, when sent, must be valid; the packages are read as its caller
    buffer_minutes = current_app.config["SETTINGS"].interpreter_buffer_minutes
    found = slots.next_free(body["packages"], current_token(), _cutoff(), buffer_minutes)
    return jsonify(items=[render.slot(doc) if doc else None for doc in found])


# -- bookings ------------------------------------------------------------------------------------


@bp.post("/bookings")
@contract(
    summary="Book a quote into a slot for a patient. Idempotency-Key is required: the same key and body replays the "
    "first answer.",
    body="bookings/booking-create",
    response="bookings/booking",
    status=201,
    auth="token",
    roles=ROLES["bookings.create"],
    errors=(409, 422),
    tags=("bookings",),
)
def create_booking(body, principal):
    key = _idempotency_key()
    settings = current_app.config["SETTINGS"]
    with idempotency.idempotent(f"{principal.agency}:{key}", body, booking.new_reference) as attempt:
        if attempt.replay:
            return _replayed(attempt.replay)
        document = booking.create_booking(
            body,
            principal,
            current_token(),
            attempt,
            cutoff=_cutoff(),
            hold_seconds=settings.seat_hold_seconds,
            buffer_minutes=settings.interpreter_buffer_minutes,
        )
        document = changes.recorded(document, _change_settings())  # what the clinic withdrew meanwhile
        answer = render.booking(document)
        attempt.answered(201, answer)
    response = jsonify(answer)
    response.status_code = 201
    response.headers["Location"] = f"/bookings/{document['reference']}"
    return response


def _replayed(replay: tuple[int, dict]):
    status, answer = replay
    response = jsonify(answer)
    response.status_code = status
    if status >= 400:
        response.mimetype = "application/problem+json"
    response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.post("/holds")
@contract(
    summary="Hold a seat of every visit's slot for the booking to come, all or nothing, for CHECKOUT_HOLD_MINUTES; "
    "createBooking with its id turns it into the booking. Idempotency-Key is required.",
    body="bookings/hold-create",
    response="bookings/hold",
    status=201,
    auth="token",
    roles=ROLES["bookings.create"],
    errors=(409, 422),
    tags=("bookings",),
)
def hold_visits(body, principal):
    key = _idempotency_key()
    settings = current_app.config["SETTINGS"]
    with idempotency.idempotent(f"hold:{principal.agency}:{key}", body, booking.new_reference) as attempt:
        if attempt.replay:
            return _replayed(attempt.replay)
        expires = utcnow() + timedelta(minutes=settings.checkout_hold_minutes)
        hold = booking.hold_visits(
            body,
            principal,
            current_token(),
            attempt,
            cutoff=_cutoff(),
            expires_at=expires,
            hold_seconds=settings.seat_hold_seconds,
            buffer_minutes=settings.interpreter_buffer_minutes,
        )
        answer = render.hold(hold)
        attempt.answered(201, answer)
    response = jsonify(answer)
    response.status_code = 201
    return response


@bp.post("/holds/<hold_id>/release")
@contract(
    summary="Give back every seat of a hold at once.",
    auth="token",
    roles=ROLES["bookings.create"],
    errors=(409, 422),
    tags=("bookings",),
)
def release_hold(hold_id, principal):
    booking.release(hold_id, principal, current_app.config["SETTINGS"].seat_hold_seconds)
    return Response(status=204)


# -- interpreters -------------------------------------------------------------------------------------


@bp.get("/interpreters")
@contract(
    summary="The interpreters of a provider you manage, by name: a clinic's admins, their own coordinators (by "
    "default); platform admins, any provider's.",
    query="bookings/interpreter-list-query",
    response="bookings/interpreter-list",
    auth="token",
    roles=ROLES["interpreters.manage"],
    errors=(403,),
    tags=("interpreters",),
)
def list_interpreters(query, principal):
    today = seoul_today()
    return jsonify(
        items=[render.interpreter(doc, today) for doc in interpreters.listed(principal, query.get("provider"))]
    )


@bp.post("/interpreters")
@contract(
    summary="A new interpreter: of your clinic's own coordinators (a clinic's admins), or of an interpretation "
    "provider (platform admins, who name it). An IN_ROOM interpreter serves one patient at a time.",
    body="bookings/interpreter-create",
    response="bookings/interpreter",
    status=201,
    auth="token",
    roles=ROLES["interpreters.manage"],
    errors=(403, 422),
    tags=("interpreters",),
)
def create_interpreter(body, principal):
    response = jsonify(render.interpreter(interpreters.create(body, principal), seoul_today()))
    response.status_code = 201
    return response


@bp.patch("/interpreters/<interpreter_id>")
@contract(
    summary="Change an interpreter you manage: languages, hours, credential, or active (an inactive interpreter is "
    "offered for no new visit). A visit still to come that she can no longer give gets another interpreter free then "
    "(visit.interpreter_changed), or else becomes CHANGE_PROPOSED (INTERPRETER_HOURS_CLOSED) with alternatives.",
    body="bookings/interpreter-update",
    response="bookings/interpreter",
    auth="token",
    roles=ROLES["interpreters.manage"],
    errors=(404,),
    tags=("interpreters",),
)
def update_interpreter(interpreter_id, body, principal):
    updated = interpreters.update(interpreter_id, body, principal)
    changes.interpreter_changed(updated, principal, _change_settings())
    return jsonify(render.interpreter(updated, seoul_today()))


@bp.get("/interpreter-providers")
@contract(
    summary="Interpreter providers: those serving your clinic (a clinic's admins), or those serving `clinic`, or "
    "every one (platform admins).",
    query="bookings/provider-list-query",
    response="bookings/provider-list",
    auth="token",
    roles=ROLES["interpreters.manage"],
    errors=(403,),
    tags=("interpreters",),
)
def list_providers(query, principal):
    return jsonify(items=[render.provider(doc) for doc in interpreters.providers(principal, query.get("clinic"))])


@bp.post("/interpreter-providers")
@contract(
    summary="A new interpretation provider, serving several clinics, with its notice and its weekly cap per clinic.",
    body="bookings/provider-create",
    response="bookings/provider",
    status=201,
    auth="token",
    roles=ROLES["providers.manage"],
    errors=(409,),
    tags=("interpreters",),
)
def create_provider(body, principal):
    response = jsonify(render.provider(interpreters.create_provider(body, principal)))
    response.status_code = 201
    return response


@bp.patch("/interpreter-providers/<provider_id>")
@contract(
    summary="Change an interpretation provider: its name, the clinics it serves, its notice, its weekly cap.",
    body="bookings/provider-update",
    response="bookings/provider",
    auth="token",
    roles=ROLES["providers.manage"],
    errors=(404,),
    tags=("interpreters",),
)
def update_provider(provider_id, body, principal):
    return jsonify(render.provider(interpreters.update_provider(provider_id, body, principal)))


@bp.post("/screening")
@contract(
    summary="What the patient's answers trigger for a quoted package, without booking: the warnings a booking "
    "would carry, the blocking ones that would refuse it, guidance for every patient, and why treatment is "
    "recommended, in the language asked for.",
    body="bookings/screening-request",
    query="bookings/item-query",
    response="bookings/screening",
    errors=(422,),
    tags=("bookings",),
)
def screen(body, query):
    current_principal()  # a token, when sent, must be valid; the quote is read as its caller
    return jsonify(screening.dry_run(body, current_token(), negotiate_language(query.get("lang"))))


@bp.post("/visit-options")
@contract(
    summary="For a quote and the slot of its first visit: the earliest free slot of each later visit inside the "
    "package's window after the visit before it, the trips they make, and the first follow-up's time of the quote's "
    "follow-up plan.",
    body="bookings/visit-options-request",
    response="bookings/visit-options",
    errors=(409, 422),
    tags=("bookings",),
)
def propose_visits(body):
    current_principal()  # a token, when sent, must be valid; the quote is read as its caller
    buffer_minutes = current_app.config["SETTINGS"].interpreter_buffer_minutes
    plan = visits.visit_options(body["quoteId"], body["firstSlotId"], current_token(), _cutoff(), buffer_minutes)
    shown = [
        {"number": v["number"], "slot": render.slot(v["slot"]) if v["slot"] else None, **_window(v)}
        for v in plan["visits"]
    ]
    follow_up = plan["followUp"]
    if follow_up is not None:
        follow_up = {
            "kind": follow_up["kind"],
            "start": seoul_iso(follow_up["start"]),
            "slot": render.slot(follow_up["slot"]) if follow_up["slot"] else None,
        }
    return jsonify({**plan, "visits": shown, "followUp": follow_up})


def _window(visit: dict) -> dict:
    return {"earliest": visit["earliest"], "latest": visit["latest"]}


@bp.post("/availability/trip")
@contract(
    summary="For packages (up to 100) and a trip (arrive, depart: at most 60 days): whether each one's first "
    "trip's visits can be booked between those dates, each after the arrival day with the package's minimum stay "
    "before departing, on which earliest slots, and how many trips the whole plan needs.",
    body="bookings/trip-fit-request",
    response="bookings/trip-fit",
    errors=(422,),
    tags=("slots",),
)
def trip_fit(body):
    current_principal()  # a token, when sent, must be valid; drafts are read as its caller
    arrive, depart = date.fromisoformat(body["arrive"]), date.fromisoformat(body["depart"])
    if refused := series.trip_length_error(arrive, depart):
        raise validation_problem([{"field": "depart", "message": refused}])
    buffer_minutes = current_app.config["SETTINGS"].interpreter_buffer_minutes
    language = body.get("language")
    found = visits.trip_fit(body["packageIds"], arrive, depart, current_token(), _cutoff(), language, buffer_minutes)
    return jsonify(
        items=[
            {**item, "visits": [{**v, "slot": render.slot(v["slot"])} for v in item["visits"]]} if item else None
            for item in found
        ]
    )


@bp.get("/bookings")
@contract(
    summary="The caller's bookings, newest first: an agency's own, a clinic's, or all for a platform admin.",
    query="bookings/booking-list-query",
    response="bookings/booking-page",
    auth="token",
    tags=("bookings",),
)
def list_bookings(query, principal):
    if "ids" in query:
        found = store.bookings_by_reference(batch_ids(query))
        return jsonify(
            batch_response(found, lambda doc: render.booking(doc) if booking.visible_to(doc, principal) else None)
        )
    scope = booking.scope(principal)
    if "clinic" in query and scope.get("clinic", query["clinic"]) != query["clinic"]:
        raise Problem(403, "FORBIDDEN", "You may only list your own clinic's bookings.")
    find = store.booking_filter(scope.get("agency"), scope.get("clinic") or query.get("clinic"), query.get("status"))
    page = store.booking_page(
        find,
        booking.BOOKING_SORT,
        limit=query.get("limit", DEFAULT_LIMIT),
        cursor=query.get("cursor"),
        with_total=query.get("total", False),
    )
    return jsonify(page.to_json(render.booking))


@bp.get("/bookings/<reference>")
@contract(
    summary="One booking, for the agency that made it and the clinic that treats.",
    response="bookings/booking",
    auth="token",
    errors=(404,),
    tags=("bookings",),
)
def get_booking(reference, principal):
    return jsonify(render.booking(booking.find_booking(reference, principal)))


def _transition_view(target: str, summary: str):
    def view(reference, body, principal):
        changed = transitions.transition(
            reference,
            target,
            principal,
            body.get("reason"),
            body.get("visit"),
            hold_seconds=current_app.config["SETTINGS"].seat_hold_seconds,
        )
        return jsonify(render.booking(changed))

    view.__name__ = f"mark_{target.lower()}"
    return contract(
        summary=summary,
        body="bookings/transition",
        optional_body=True,
        response="bookings/booking",
        auth="token",
        errors=(404, 409, 422),
        tags=("bookings",),
    )(view)


for step in lifecycle.STEPS:
    bp.add_url_rule(
        f"/bookings/<reference>/{step.action}", view_func=_transition_view(step.target, step.summary), methods=["POST"]
    )


@bp.post("/bookings/<reference>/visits/<int:number>/reschedule")
@contract(
    summary="Move one visit to another slot: the new seat is taken before the old one is given back. Allowed until "
    "RESCHEDULE_NOTICE_HOURS before the visit, inside the package's window from the visits before and after; the "
    "care plan follows. Idempotency-Key is required; moving a visit to the slot it has is the move done.",
    body="bookings/reschedule",
    response="bookings/booking",
    auth="token",
    roles=ROLES["bookings.reschedule"],
    errors=(404, 409, 422),
    tags=("bookings",),
)
def reschedule_visit(reference, number, body, principal):
    settings = current_app.config["SETTINGS"]
    caller = principal.agency or principal.clinic or principal.subject
    return _booking_change(
        f"move:{caller}:{reference}:{number}",
        reference,
        body,
        lambda key: reschedule.reschedule(
            reference,
            number,
            body["slotId"],
            principal,
            body.get("reason"),
            key,
            cutoff=_cutoff(),
            notice_hours=settings.reschedule_notice_hours,
            hold_seconds=settings.seat_hold_seconds,
            buffer_minutes=settings.interpreter_buffer_minutes,
        ),
    )


def _booking_change(scope: str, reference: str, body: dict, change: Callable[[str], dict]):
    """One change of a booking under the caller's Idempotency-Key: ``scope`` names it (the key is added),
    ``change`` makes it given the attempt's key, and the booking as changed is the answer, replayed to a retry."""
    key = _idempotency_key()
    with idempotency.idempotent(f"{scope}:{key}", body, lambda: reference) as attempt:
        if attempt.replay:
            return _replayed(attempt.replay)
        answer = render.booking(change(attempt.key))
        attempt.answered(200, answer)
    return jsonify(answer)


@bp.post("/bookings/<reference>/follow-ups/<int:number>/reschedule")
@contract(
    summary="Move one follow-up: an in-person one to another slot (slotId), a remote video one to another call in the "
    "clinic's consultation hours (start), inside its window; the new time (and an interpreter for it, when the booking "
    "has one) is taken before the old is given back. Allowed until RESCHEDULE_NOTICE_HOURS before it. "
    "Idempotency-Key is required; moving a follow-up to the time it has is the move done.",
    body="bookings/follow-up-move",
    response="bookings/booking",
    auth="token",
    roles=ROLES["bookings.reschedule"],
    errors=(404, 409, 422),
    tags=("bookings",),
)
def reschedule_follow_up(reference, number, body, principal):
    settings = current_app.config["SETTINGS"]
    caller = principal.agency or principal.clinic or principal.subject
    return _booking_change(
        f"move-follow-up:{caller}:{reference}:{number}",
        reference,
        body,
        lambda key: reschedule.reschedule_follow_up(
            reference,
            number,
            body,
            principal,
            key,
            cutoff=_cutoff(),
            notice_hours=settings.reschedule_notice_hours,
            hold_seconds=settings.seat_hold_seconds,
            buffer_minutes=settings.interpreter_buffer_minutes,
        ),
    )


@bp.post("/bookings/<reference>/visits/<int:number>/accept-change")
@contract(
    summary="Accept one of the alternatives the clinic proposed for a CHANGE_PROPOSED visit (the agency that booked): "
    "the visit moves there as a reschedule moves it, with no notice period, and is BOOKED again under the same "
    "reference. ALTERNATIVE_NOT_OFFERED for another slot; a refusal because the alternatives listed went stale "
    "refreshes them and says new alternatives are offered. Idempotency-Key is required.",
    body="bookings/change-accept",
    response="bookings/booking",
    auth="token",
    roles=ROLES["bookings.decide_change"],
    errors=(404, 409, 422),
    tags=("bookings",),
)
def accept_change(reference, number, body, principal):
    return _booking_change(
        f"accept:{principal.agency}:{reference}:{number}",
        reference,
        body,
        lambda key: changes.accept(
            reference, number, body["slotId"], principal, body.get("reason"), key, _change_settings()
        ),
    )


@bp.post("/bookings/<reference>/visits/<int:number>/decline-change")
@contract(
    summary="Decline the change the clinic proposed for a CHANGE_PROPOSED visit (the agency that booked): the visit "
    "is cancelled with a full refund of its share of the price, its seat and interpreter given back; the booking is "
    "cancelled once no visit is left. Idempotency-Key is required.",
    body="bookings/change-decline",
    optional_body=True,
    response="bookings/booking",
    auth="token",
    roles=ROLES["bookings.decide_change"],
    errors=(404, 409, 422),
    tags=("bookings",),
)
def decline_change(reference, number, body, principal):
    return _booking_change(
        f"decline:{principal.agency}:{reference}:{number}",
        reference,
        body,
        lambda _key: changes.decline(reference, number, principal, body.get("reason"), _change_settings()),
    )


def _mark_follow_up_view(target: str, action: str):
    def view(reference, number, body, principal):
        marked = transitions.mark_follow_up(reference, number, target, principal, body.get("reason"))
        return jsonify(render.booking(marked))

    view.__name__ = f"mark_follow_up_{action}"
    return contract(
        summary=f"Mark one follow-up {target.lower()} (the clinic's admins): BOOKED → {target}.",
        body="bookings/follow-up-mark",
        optional_body=True,
        response="bookings/booking",
        auth="token",
        roles=ROLES["follow_ups.mark"],
        errors=(404, 409, 422),
        tags=("bookings",),
    )(view)


for _target, _action in (("HELD", "held"), ("MISSED", "missed")):
    bp.add_url_rule(
        f"/bookings/<reference>/follow-ups/<int:number>/{_action}",
        view_func=_mark_follow_up_view(_target, _action),
        methods=["POST"],
    )


@bp.get("/clinics/<clinic>/consultation-hours")
@contract(
    summary="A clinic's consultation hours (Seoul time), in which remote video follow-ups are reserved: calls of "
    "`minutes` each, `calls` at once. Public: a partner moving a follow-up picks one of these calls.",
    response="bookings/consultation-hours",
    errors=(404,),
    tags=("follow-ups",),
)
def consultation_hours(clinic):
    return jsonify(render.consultation_hours(followups.hours_of(clinic)))


@bp.put("/clinics/<clinic>/consultation-hours")
@contract(
    summary="Set a clinic's consultation hours (its admins, or platform admins): calls already reserved keep their "
    "time; new follow-ups are offered in the new hours.",
    body="bookings/consultation-hours-update",
    response="bookings/consultation-hours",
    auth="token",
    roles=ROLES["consultation_hours.write"],
    errors=(403, 400),
    tags=("follow-ups",),
)
def set_consultation_hours(clinic, body, principal):
    return jsonify(render.consultation_hours(followups.set_hours(clinic, body, principal)))


@bp.get("/events")
@contract(
    summary="The caller's events after a cursor, in order, each once: an agency's bookings' and holds', a clinic's "
    "bookings', or all for a platform admin; of the types asked for. A page reads at most a bounded part of the log: "
    "continue from its cursor while more is true.",
    query="bookings/events-query",
    response="common/event-page",
    auth="token",
    tags=("events",),
)
def event_feed(query, principal):
    return jsonify(events.page(booking.scope(principal), query))


@bp.get("/bookings/<reference>/care-plan")
@contract(
    summary="The dated care plan in Seoul and home time; text/calendar (iCalendar) when the Accept header asks for it.",
    query="bookings/item-query",
    response="bookings/care-plan",
    auth="token",
    errors=(404,),
    tags=("care plans",),
)
def care_plan(reference, principal, query):
    plan = careplan.build(booking.find_booking(reference, principal), negotiate_language(query.get("lang")))
    if request.accept_mimetypes.best_match(["application/json", "text/calendar"]) == "text/calendar":
        return _ical(plan)
    return jsonify(plan)


@bp.get("/bookings/<reference>/care-plan.ics")
@contract(
    summary="The care plan as an iCalendar file.",
    query="bookings/item-query",
    auth="token",
    errors=(404,),
    tags=("care plans",),
)
def care_plan_ics(reference, principal, query):
    return _ical(careplan.build(booking.find_booking(reference, principal), negotiate_language(query.get("lang"))))


def _ical(plan: dict) -> Response:
    response = Response(careplan.to_ical(plan), mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{plan["reference"]}.ics"'
    return response
