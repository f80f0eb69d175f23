"""Making a booking (quote lock, screening, seat, record: all or nothing) and who may read it."""

from __future__ import annotations

import contextlib
import secrets
from datetime import datetime, timedelta

from bson import ObjectId

from services.common import codes
from services.common.clients import client_for
from services.common.clock import aware, seoul_date, seoul_days_between, utcnow
from services.common.errors import Problem, not_found, validation_problem
from services.common.failpoints import failpoint
from services.common.http import UpstreamFailure, UpstreamUnavailable
from services.common.ids import object_id
from services.common.pagination import Sort
from services.common.tokens import Principal

from . import events, store
from .careplan import trip_breaks
from .screening import check_patient, screen
from .seats import (
    booked_hold,
    give_seat_back,
    held_slots,
    hold_seats,
    not_for_package,
    release_hold,
    seat_looks_free,
    serves,
    take_seat,
    why_no_seat,
)
from .visits import no_slot_in_window, propose

REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I to misread
BOOKING_SORT = Sort("created_key", -1)


def new_reference() -> str:
    return "CB-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def _packages_call(method: str, path: str, token: str | None, body: dict) -> dict:
    answer = client_for("packages").request(method, path, token=token, json=body)
    if answer.status_code == 200:
        return answer.json()
    problem = answer.json() if answer.headers.get("Content-Type", "").endswith("json") else {}
    if answer.status_code == 404:
        raise Problem(422, "UNKNOWN_QUOTE", "No such quote.", errors=[{"field": "quoteId", "message": "unknown quote"}])
    if answer.status_code == 409:
        code = problem.get("code") if problem.get("code") in codes.BOOKINGS else "QUOTE_UNAVAILABLE"
        raise Problem(409, code, problem.get("detail", "The quote cannot be booked."))
    raise UpstreamUnavailable("packages")


def _series(body: dict) -> list[tuple[str, ObjectId]]:
    """The slots asked for, by input field: the first visit's, then each later visit's (if given)."""
    later = body.get("laterSlotIds") or []
    return [("slotId", object_id(body["slotId"], "slot"))] + [
        (f"laterSlotIds[{index}]", object_id(raw, "slot")) for index, raw in enumerate(later)
    ]


def check_travel(slots: list[tuple[str, dict]], travel: list[dict] | None, stay_days: int) -> None:
    """Every visit inside one of the patient's trips, with the minimum stay after it (when trips are given)."""
    if not travel:
        return
    errors = trip_breaks([(field, seoul_date(slot["start"])) for field, slot in slots], travel, stay_days)
    if errors:
        raise Problem(422, "TRIP_TOO_SHORT", "A visit does not fit the patient's trips.", errors=errors)


def _check_series(
    slots: list[tuple[str, dict]], quote: dict, window: dict, visits: int, every_visit: str, travel: list | None
) -> None:
    """A slot for every visit, each the package's, each later one inside the window after the one
    before it, and all inside the patient's trips when given; ``every_visit`` names the input that
    gives them (laterSlotIds or slotIds)."""
    if len(slots) != visits:
        given = visits - 1 if every_visit == "laterSlotIds" else visits
        raise validation_problem(
            [{"field": every_visit, "message": f"the package has {visits} visits: give {given} slots"}]
        )
    strangers = [field for field, slot in slots if not serves(slot, quote["clinic"], quote["packageId"])]
    if strangers:
        raise not_for_package(strangers)
    errors = []
    for (_, before), (field, slot) in zip(slots, slots[1:], strict=False):
        gap = seoul_days_between(before["start"], slot["start"])
        if not window["minDays"] <= gap <= window["maxDays"]:
            errors.append(
                {
                    "field": field,
                    "message": f"{gap} days after the visit before; {window['minDays']} to {window['maxDays']} allowed",
                }
            )
    if errors:
        raise Problem(422, "VISIT_OUTSIDE_WINDOW", "A visit is outside the package's window.", errors=errors)
    check_travel(slots, travel, quote["package"]["schedule"]["minimumStayDays"])


def _record(
    reference: str,
    principal: Principal,
    quote: dict,
    slots: list[dict],
    patient: dict,
    warnings: list,
    travel: list | None,
) -> dict:
    """Record the booking of the quote's package version, holding a seat of each slot (one per visit)."""
    now = utcnow()
    first = slots[0]
    document = {
        "reference": reference,
        "agency": principal.agency or principal.subject,
        "clinic": quote["clinic"],
        "package_id": quote["packageId"],
        "package_version": quote["packageVersion"],
        "slot_id": str(first["_id"]),
        "slot_start": first["start"],
        "slot_duration_minutes": first["duration_minutes"],
        "visits": [
            {
                "number": number,
                "slot_id": str(slot["_id"]),
                "start": slot["start"],
                "duration_minutes": slot["duration_minutes"],
                "status": "BOOKED",
            }
            for number, slot in enumerate(slots, start=1)
        ],
        "quote_id": quote["id"],
        "price": {
            "quoteId": quote["id"],
            "currency": quote["currency"],
            "krwPerUnit": quote["exchangeRate"]["krwPerUnit"],
            "rateAsOf": quote["exchangeRate"]["asOf"],
            "lines": quote["lines"],
            "total": quote["total"],
        },
        "package": quote["package"],
        "package_texts": quote.get("packageTexts") or {},
        "patient": patient,
        "travel": travel,
        "interpreter_language": quote["interpreterLanguage"],
        "follow_up_plan": quote["followUpPlan"],
        "warnings": warnings,
        "status": "PENDING",
        "revision": 0,  # every later change is guarded by it, and bumps it
        "history": [{"from": None, "to": "PENDING", "at": now, "by": principal.subject, "reason": None}],
        "refund": None,
        "created_at": now,
        "updated_at": now,
        "created_key": f"{now.isoformat()}:{reference}",
    }
    document.update(outbox=[events.event("booking.created", document, principal.subject, now)], outbox_pending=True)
    store.insert_booking(document)
    events.publish(document)
    return document


def create_booking(
    body: dict,
    principal: Principal,
    token: str | None,
    reference: str,
    *,
    cutoff: datetime,
    hold_seconds: int,
    resumed: bool = True,
) -> dict:
    """Lock the quote, screen the patient, hold and take a seat of every visit's slot (the first
    visit's, and each later visit's: those given, else the earliest free one inside the window
    after the visit before it), record the booking: all or nothing. Anything
    refused after the quote is locked unlocks it; anything failing after a seat is taken gives
    every taken seat back. ``reference`` is the idempotency claim's, so a retry after a crash
    (``resumed``) is the same booking, and the seats it already holds are its seats."""
    check_patient(body["patient"])
    if "holdId" in body:
        return _book_hold(body, principal, token, hold_seconds)
    if "slotId" not in body:
        raise validation_problem([{"field": "slotId", "message": "give slotId (and laterSlotIds), or holdId"}])
    series = _series(body)
    if resumed:
        recorded = store.booking_by_reference(reference)
        if recorded is not None and visible_to(recorded, principal):  # an earlier attempt recorded it, then died
            return recorded
    # A slot that is plainly full, closed or too soon is refused before anything is locked or held.
    # This only saves work: the guarded updates below still decide who gets a seat.
    found = store.slots_by_id([slot_id for _, slot_id in series])
    for (field, _), slot in zip(series, found, strict=True):
        if slot is None or (reference not in slot["holders"] and not seat_looks_free(slot, cutoff)):
            raise why_no_seat(slot, cutoff, field)
    slots = [(field, slot) for (field, _), slot in zip(series, found, strict=True) if slot is not None]
    lock = {"bookingReference": reference}
    quote = _packages_call("POST", f"/quotes/{body['quoteId']}/lock", token, lock)
    held = False
    try:
        package = quote["package"]
        warnings = screen(package["screeningRules"], body["patient"], package["scarTypes"])
        if "laterSlotIds" not in body:  # the earliest free slot of each later visit, as visitOptions proposes
            slots += _proposed_later(slots[0][1], package, reference, cutoff)
        _check_series(
            slots, quote, package["visitWindow"], package["schedule"]["visits"], "laterSlotIds", body.get("travel")
        )
        hold_seats([slot["_id"] for _, slot in slots], reference, hold_seconds)
        held = True
        for number, (field, slot) in enumerate(slots, start=1):
            if not take_seat(slot, cutoff, reference):
                raise why_no_seat(store.slot_by_id(slot["_id"]), cutoff, field)
            failpoint("bookings.after_seat" if number == 1 else f"bookings.after_seat.{number}")
        document = _record(
            reference, principal, quote, [slot for _, slot in slots], body["patient"], warnings, body.get("travel")
        )
    except Problem:  # refused, so nothing was recorded: every seat goes back, then the hold, then the quote
        _undo(reference, [slot for _, slot in slots] if held else [], body["quoteId"], token)
        raise
    # Any other failure (the database, a crash) leaves the hold as it is: the booking may have been
    # recorded even if its reply was lost. A retry under the same key continues it, and the sweeper
    # settles the hold once it expires, keeping the seats of a booking it finds.
    failpoint("bookings.after_record")
    booked_hold(reference)
    return document


def _undo(reference: str, slots: list[dict], quote_id: str, token: str | None) -> None:
    """Give back the seats ``reference`` took of these slots (each give-back is guarded), its hold,
    and its lock on the quote (else the lock lapses with the quote's expiry)."""
    for slot in slots:
        give_seat_back(slot["_id"], reference)
    if slots:
        release_hold(reference)
    with contextlib.suppress(Problem, UpstreamFailure):
        _packages_call("POST", f"/quotes/{quote_id}/unlock", token, {"bookingReference": reference})


def _proposed_later(first: dict, package: dict, reference: str, cutoff: datetime) -> list[tuple[str, dict]]:
    """The later visits' slots when the caller gave only the first: those an earlier attempt under
    the same key holds seats of (it died), else the proposal; refused when a visit has none."""
    visits = package["schedule"]["visits"]
    kept = store.hold_of(reference)
    if kept is not None and held_slots(kept)[0] == str(first["_id"]) and len(held_slots(kept)) == visits:
        held = store.slots_by_id([ObjectId(slot_id) for slot_id in held_slots(kept)[1:]])
        if all(slot is not None for slot in held):
            return [(f"laterSlotIds[{index}]", slot) for index, slot in enumerate(held) if slot is not None]
    proposed = propose(package, first, cutoff)
    if missing := no_slot_in_window(proposed):
        raise missing
    return [(f"laterSlotIds[{index}]", visit["slot"]) for index, visit in enumerate(proposed)]


# -- checkout holds ----------------------------------------------------------------------------------


def _owner(principal: Principal) -> str:
    return principal.agency or principal.subject


def hold_visits(
    body: dict, principal: Principal, token: str | None, reference: str, *, cutoff: datetime, expires_at: datetime
) -> dict:
    """Take a seat of every visit's slot for the booking to come, all or nothing, until
    ``expires_at``: the same checks as a booking, under the reference the booking will have.
    Returns the hold. Expiry (the sweeper) or ``release`` gives the seats back."""
    series = [(f"slotIds[{index}]", object_id(raw, "slot")) for index, raw in enumerate(body["slotIds"])]
    kept = store.hold_of(reference)
    if kept is not None and kept.get("hold_id"):  # an earlier attempt under this key got this far
        hold_id = kept["hold_id"]
    else:
        hold_id = secrets.token_hex(16)
    found = store.slots_by_id([slot_id for _, slot_id in series])
    for (field, _), slot in zip(series, found, strict=True):
        if slot is None or (reference not in slot["holders"] and not seat_looks_free(slot, cutoff)):
            raise why_no_seat(slot, cutoff, field)
    slots = [(field, slot) for (field, _), slot in zip(series, found, strict=True) if slot is not None]
    lock = {"bookingReference": reference}
    quote = _packages_call("POST", f"/quotes/{body['quoteId']}/lock", token, lock)
    held = False
    try:
        package = quote["package"]
        _check_series(
            slots, quote, package["visitWindow"], package["schedule"]["visits"], "slotIds", body.get("travel")
        )
        store.put_checkout_hold(
            reference,
            [slot["_id"] for _, slot in slots],
            expires_at,
            hold_id,
            _owner(principal),
            quote["id"],
            body.get("travel"),
        )
        held = True
        for field, slot in slots:
            if not take_seat(slot, cutoff, reference):
                raise why_no_seat(store.slot_by_id(slot["_id"]), cutoff, field)
    except Problem:  # as for a booking; any other failure leaves the hold to its expiry and the sweeper
        _undo(reference, [slot for _, slot in slots] if held else [], body["quoteId"], token)
        raise
    return {"id": hold_id, "quoteId": quote["id"], "expiresAt": expires_at, "slots": [slot for _, slot in slots]}


def find_hold(hold_id: str, principal: Principal) -> dict:
    """A checkout hold of the caller's, in whatever state; any other is unknown, so ids reveal nothing."""
    hold = store.hold_by_id(hold_id)
    if hold is None or hold.get("owner") != _owner(principal):
        raise Problem(422, "UNKNOWN_HOLD", "No such hold.", errors=[{"field": "holdId", "message": "unknown hold"}])
    return hold


def _already_booked(reference: str) -> Problem:
    return Problem(
        409,
        "HOLD_ALREADY_BOOKED",
        "This hold is already a booking.",
        errors=[{"field": "holdId", "message": reference}],
    )


def _being_booked() -> Problem:
    return Problem(
        409,
        "HOLD_ALREADY_BOOKED",
        "This hold is being turned into a booking by another request.",
        errors=[{"field": "holdId", "message": "being booked"}],
    )


def _not_bookable(hold: dict | None, now: datetime) -> Problem | None:
    """Why a hold, as it is now, cannot become a booking; None if it can."""
    if hold is None or hold["state"] == "BOOKED":
        return _already_booked(hold["_id"] if hold else "")
    if hold["state"] == "BOOKING":
        return _being_booked()
    if hold["state"] != "HELD" or aware(hold["expires_at"]) <= now:
        return Problem(
            409,
            "HOLD_EXPIRED",
            "The hold has expired and its seats are free again; hold them anew.",
            errors=[{"field": "holdId", "message": "expired"}],
        )
    return None


def release(hold_id: str, principal: Principal, token: str | None, hold_seconds: int) -> None:
    """Give back every seat of a checkout hold at once, and its quote; a hold already given back
    (by the partner or its expiry) is released already. A booked hold is refused."""
    hold = find_hold(hold_id, principal)
    if hold["state"] == "BOOKED":
        raise _already_booked(hold["_id"])
    if hold["state"] == "BOOKING":
        raise _being_booked()
    if hold["state"] != "HELD":  # RELEASED, or EXPIRING: a sweeper is giving it back
        return
    claimed = store.start_releasing_hold(hold["_id"], utcnow() + timedelta(seconds=hold_seconds))
    if claimed is None:  # booked, being booked or expired meanwhile: decide again on what it is now
        release(hold_id, principal, token, hold_seconds)
        return
    for slot_id in held_slots(claimed):
        give_seat_back(slot_id, claimed["_id"])
    store.settle_hold(claimed["_id"], "RELEASED", utcnow(), ("EXPIRING",))
    with contextlib.suppress(Problem, UpstreamFailure):
        _packages_call("POST", f"/quotes/{claimed['quote_id']}/unlock", token, {"bookingReference": claimed["_id"]})


def _book_hold(body: dict, principal: Principal, token: str | None, hold_seconds: int) -> dict:
    """Turn a live checkout hold into its booking: the seats are the hold's already. The hold is
    taken first (HELD → BOOKING, a guarded update) with a lease no shorter than the hold itself, so
    no sweeper settles it while the booking is recorded; a call that is refused leaves the hold as
    it was, and a hold turns into one booking at most."""
    hold = find_hold(body["holdId"], principal)
    reference = hold["_id"]
    if store.booking_by_reference(reference) is not None:
        raise _already_booked(reference)
    now = utcnow()
    if refused := _not_bookable(hold, now):
        raise refused
    if body.get("quoteId") not in (None, hold["quote_id"]):
        raise Problem(
            422,
            "UNKNOWN_QUOTE",
            "The hold is of another quote.",
            errors=[{"field": "quoteId", "message": "not the hold's"}],
        )
    claim = secrets.token_hex(8)
    lease = max(aware(hold["expires_at"]), now) + timedelta(seconds=hold_seconds)
    if store.start_booking_hold(hold, now, lease, claim) is None:  # another request or a sweeper came first
        raise _not_bookable(store.hold_by_id(body["holdId"]), now) or _already_booked(reference)
    try:
        quote = _packages_call("POST", f"/quotes/{hold['quote_id']}/lock", token, {"bookingReference": reference})
        package = quote["package"]
        warnings = screen(package["screeningRules"], body["patient"], package["scarTypes"])
        slots = [
            slot for slot in store.slots_by_id([ObjectId(slot_id) for slot_id in held_slots(hold)]) if slot is not None
        ]
        travel = body.get("travel") or hold.get("travel")
        check_travel(
            [(f"hold visit {n}", slot) for n, slot in enumerate(slots, start=1)],
            travel,
            package["schedule"]["minimumStayDays"],
        )
        document = _record(reference, principal, quote, slots, body["patient"], warnings, travel)
    except Problem:  # refused: the hold is HELD again, with its own expiry
        store.resume_hold(reference, claim)
        raise
    failpoint("bookings.after_record")
    booked_hold(reference)
    return document


def scope(principal: Principal) -> dict:
    """The bookings a principal may see: its agency's, its clinic's, or all."""
    if principal.role == "AGENCY":
        return {"agency": principal.agency}
    if principal.role == "CLINIC_ADMIN":
        return {"clinic": principal.clinic}
    return {}


def visible_to(booking: dict, principal: Principal) -> bool:
    return all(booking.get(field) == value for field, value in scope(principal).items())


def find_booking(reference: str, principal: Principal) -> dict:
    """A booking the caller may see; any other is 404, so references reveal nothing."""
    doc = store.booking_by_reference(reference)
    if doc is None or not visible_to(doc, principal):
        raise not_found("booking", reference)
    return doc
