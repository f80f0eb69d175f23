"""Making a booking (reserve, quote lock, screening, seats, commit: all or nothing), checkout holds, and who
may read a booking."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from bson import ObjectId

from services.common import series
from services.common.clock import aware, seoul_date, utcnow
from services.common.errors import Problem, not_found, validation_problem
from services.common.ids import object_id
from services.common.pagination import Sort
from services.common.tokens import Principal

from . import events, followups, interpreters, ledger, packages, registrations, store
from .idempotency import Attempt, in_flight
from .reads import Reads
from .screening import check_patient, screen
from .visits import no_slot_in_window, propose

ATTEMPTS = 5
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I to misread
BOOKING_SORT = Sort("created_key", -1)


def new_reference() -> str:
    return "CB-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def _asked(body: dict) -> list[tuple[str, ObjectId]]:
    """The slots asked for, by input field: the first visit's, then each later visit's (if given)."""
    later = body.get("laterSlotIds") or []
    return [("slotId", object_id(body["slotId"], "slot"))] + [
        (f"laterSlotIds[{index}]", object_id(raw, "slot")) for index, raw in enumerate(later)
    ]


Fielded = list[tuple[str | None, dict]]  # slots by visit, with the input field each answers to (None: not given)


def refusal(status: int, code: str, detail: str, errors: list[dict]) -> Problem:
    """A refusal whose errors name the input fields the partner sent; what concerns a visit whose slot
    it did not send (a proposed later visit) is said in the detail instead."""
    named = [error for error in errors if error["field"] is not None]
    unnamed = [error["message"] for error in errors if error["field"] is None]
    return Problem(status, code, " ".join([detail, *unnamed]), errors=named or None)


def check_travel(slots: Fielded, travel: list[dict] | None, stay_days: int) -> None:
    """Every visit inside one of the patient's trips, with the minimum stay after it (when trips are given)."""
    if not travel:
        return
    errors = series.trip_breaks([(field, seoul_date(slot["start"])) for field, slot in slots], travel, stay_days)
    if errors:
        raise refusal(422, "TRIP_TOO_SHORT", "A visit does not fit the patient's trips.", errors)


def _check_series(
    slots: Fielded, quote: dict, window: dict, visits: int, every_visit: str, travel: list | None
) -> None:
    """A slot for every visit, each the package's, each later one inside the window after the one
    before it, and all inside the patient's trips when given; ``every_visit`` names the input that
    gives them (laterSlotIds or slotIds)."""
    if len(slots) != visits:
        given = visits - 1 if every_visit == "laterSlotIds" else visits
        raise validation_problem(
            [{"field": every_visit, "message": f"the package has {visits} visits: give {given} slots"}]
        )
    strangers = [
        field or "laterSlotIds" for field, slot in slots if not ledger.serves(slot, quote["clinic"], quote["packageId"])
    ]
    if strangers:
        raise ledger.not_for_package(strangers)
    days = [(field, seoul_date(slot["start"])) for field, slot in slots]
    if errors := series.gap_breaks(days, series.Window.of(window)):
        raise refusal(422, "VISIT_OUTSIDE_WINDOW", "A visit is outside the package's window.", errors)
    check_travel(slots, travel, quote["package"]["schedule"]["minimumStayDays"])


def _document(
    reference: str,
    principal: Principal,
    quote: dict,
    slots: list[dict],
    body: dict,
    warnings: list,
    travel: list | None,
) -> dict:
    """The booking of the quote's package version, one visit per slot, with its booking.created event."""
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
        "patient": body["patient"],
        "travel": travel,
        "interpreter_language": quote["interpreterLanguage"],
        "follow_up_plan": quote["followUpPlan"],
        "messaging": followups.messaging(
            quote["package"], quote["followUpPlan"], [seoul_date(slot["start"]) for slot in slots]
        ),
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
    return document


def _claimed_seats(claim: dict) -> list[ObjectId]:
    """The slots whose seats a claim names for its visits, by visit."""
    return [
        ObjectId(item["resource"])
        for item in claim["items"]
        if item["kind"] == ledger.SEAT and not ledger.is_follow_up(item)
    ]


def _claimed_slots(claim: dict) -> list[dict]:
    """The slots a claim names, by visit."""
    return [slot for slot in store.slots_by_id(_claimed_seats(claim)) if slot]


def _with_interpreters(document: dict, claim: dict) -> dict:
    """The booking with each visit's interpreter, if it has one, and the follow-ups the claim reserves."""
    shown = _shown(claim)
    visits = [
        {**visit, "interpreter": shown[visit["number"]]} if visit["number"] in shown else visit
        for visit in document["visits"]
    ]
    return {**document, "visits": visits, "follow_ups": followups.records(claim)}


def _refuse_early(asked: list[tuple[str, ObjectId]], attempt: Attempt, cutoff: datetime) -> Fielded:
    """The slots asked for, read once: one that plainly gives no seat (full, closed, too soon) is refused
    before anything is written or locked. This only saves work: the guarded updates decide. A retry of
    a request that died is not refused here: its reservation may be a booking already."""
    found = store.slots_by_id([slot_id for _, slot_id in asked])
    for (field, _), slot in zip(asked, found, strict=True):
        if slot is None or (
            not attempt.resumed
            and not ledger.holds_seat(slot, attempt.reference)
            and not ledger.seat_looks_free(slot, cutoff)
        ):
            raise ledger.why_no_seat(slot, cutoff, field)
    return [(field, slot) for (field, _), slot in zip(asked, found, strict=True) if slot is not None]


def _recorded(claim: dict, principal: Principal) -> dict:
    """The booking a committed claim stands for, as stored (written now if its request died first)."""
    booking = ledger.materialize(claim) if claim.get("booking") else store.booking_by_reference(claim["_id"])
    if booking is None or not visible_to(booking, principal):
        raise in_flight()
    events.publish(booking)
    return booking


def _reserve(attempt: Attempt, quote_id: str, hold_seconds: int, slots: Fielded | None = None) -> dict:
    """The claim this request works under (see ``ledger.reserve``), naming its seats already when the
    partner gave every one; a reference whose reservation was released for good is given up for a new one."""
    seats = [(n, str(slot["_id"])) for n, (_, slot) in enumerate(slots, start=1)] if slots else None
    while True:
        try:
            expires = utcnow() + timedelta(seconds=hold_seconds)
            return ledger.reserve(attempt.reference, quote_id, attempt.key, expires, seats)
        except ledger.Spent:
            attempt.rekey(new_reference())


def _interpreters(quote: dict, slots: Fielded, reads: Reads) -> list[dict]:
    """An interpreter for each visit when the quote has one (an included one too), as claim items: the
    clinic's own coordinators first, then its providers'. Refused INTERPRETER_UNAVAILABLE naming the
    first visit no one can serve. The calendar and the half hours the plan read are not read again."""
    language = quote.get("interpreterLanguage")
    if not language:
        return []
    visits = [
        interpreters.Visit(number, slot["start"], slot["duration_minutes"], field)
        for number, (field, slot) in enumerate(slots, start=1)
    ]
    calendar = reads.calendar(quote["clinic"], language)
    assigned = interpreters.assign(
        quote["clinic"], language, visits, reads.buffer_minutes, reads.now, calendar=calendar, read=reads.units_by_id
    )
    return [
        {
            **ledger.interpreter_item(found, language, ""),
            "shown": interpreters.shown(found["interpreter"], found["provider"], language),
        }
        for found in assigned
    ]


def _reassigning(
    quote: dict, slots: Fielded, buffer_minutes: int, travel: list | None, cutoff: datetime
) -> ledger.Reassign:
    """The next free interpreter for a visit whose interpreter another booking took first, and the next free
    time (with its interpreter) for a follow-up whose seat or call another booking took first."""

    def next_free(item: dict, tried: set[str]) -> dict | list[dict] | None:
        if ledger.is_follow_up(item) and item["kind"] != ledger.INTERPRETER:
            chosen = [slot for _, slot in slots]
            return followups.another(quote, chosen, travel, cutoff, buffer_minutes, item, tried)
        if ledger.is_follow_up(item):
            follow = item["follow_up"]
            visit = interpreters.Visit(item["visit"], follow["start"], follow["duration_minutes"], None)
        else:
            field, slot = slots[item["visit"] - 1]
            visit = interpreters.Visit(item["visit"], slot["start"], slot["duration_minutes"], field)
        try:
            found = interpreters.assign(quote["clinic"], item["language"], [visit], buffer_minutes, utcnow(), tried)[0]
        except Problem:
            return None
        shown = interpreters.shown(found["interpreter"], found["provider"], item["language"])
        other = {**ledger.interpreter_item(found, item["language"], ""), "shown": shown}
        return {**other, "follow_up": item["follow_up"]} if "follow_up" in item else other

    return next_free


def _shown(claim: dict) -> dict[int, dict]:
    """Each visit's interpreter as the booking shows it, from the claim."""
    return {
        item["visit"]: item["shown"]
        for item in claim["items"]
        if item["kind"] == ledger.INTERPRETER and not ledger.is_follow_up(item)
    }


def _to_place(claim: dict, quote: dict, slots: Fielded, travel: list | None, cutoff: datetime, reads: Reads) -> list:
    """What the reservation takes besides the visits' seats: each visit's interpreter and the follow-ups
    (nothing when an earlier attempt under the same reference placed them already), from ``reads``."""
    if ledger.placed(claim):
        return []
    chosen = [slot for _, slot in slots]
    return [*_interpreters(quote, slots, reads), *followups.choose(quote, chosen, travel, cutoff, reads)]


def create_booking(
    body: dict,
    principal: Principal,
    token: str | None,
    attempt: Attempt,
    *,
    cutoff: datetime,
    hold_seconds: int,
    buffer_minutes: int = 30,
) -> dict:
    """Reserve (a claim naming the quote and the slots asked for), lock the quote, take a seat of those
    slots, screen the patient, place and take a seat of each later visit's slot (the earliest free one
    inside the window after the visit before it, when not given) and what else the booking reserves,
    then commit the booking: all or nothing.
    A refusal gives back every seat taken and the quote; any other failure leaves the claim to its
    retry (the same idempotency key: the same reference, the same seats) or to the sweeper."""
    check_patient(body["patient"])
    if "holdId" in body:
        return _book_hold(body, principal, token, attempt, hold_seconds)
    if "slotId" not in body:
        raise validation_problem([{"field": "slotId", "message": "give slotId (and laterSlotIds), or holdId"}])
    slots = _refuse_early(_asked(body), attempt, cutoff)
    checked = None if attempt.resumed else registrations.check(_owner(principal), slots[0][1]["clinic"])
    try:  # the claim names the slots asked for (the first visit's, or every visit's) from the start
        claim = _reserve(attempt, body["quoteId"], hold_seconds, slots)
    except ledger.Booked as done:
        return _recorded(done.claim, principal)
    with ledger.reservation(claim) as held:
        checked = checked or registrations.check(_owner(principal), slots[0][1]["clinic"])
        quote = packages.lock(body["quoteId"], attempt.reference, token)
        reads = Reads(buffer_minutes, utcnow())  # the plan's, the interpreters' and the follow-ups'; notice from now
        # the seats asked for next, before the screening and the plan: in a rush for one slot the booking
        # that asked first has it, whatever else it reserves (an interpreter, follow-ups); a claim an
        # earlier attempt placed whole is taken below, its interpreters replaced where they must be
        fields = {n: field for n, (field, _) in enumerate(slots, start=1)}
        taken = 0 if ledger.placed(held.claim) else held.take(cutoff, fields)
        package = quote["package"]
        warnings = screen(package["screeningRules"], body["patient"], package["scarTypes"])
        visits = package["schedule"]["visits"]
        if "laterSlotIds" not in body and visits > 1:
            if len(_claimed_seats(held.claim)) == visits:  # an earlier attempt under this key chose them
                first, *later = _claimed_slots(held.claim)
                slots = [("slotId", first), *((None, slot) for slot in later)]
            else:  # each later visit's earliest free slot, as visitOptions proposes
                slots = [slots[0], *_proposed_later(slots[0][1], quote, cutoff, reads)]
        _check_series(slots, quote, package["visitWindow"], visits, "laterSlotIds", body.get("travel"))
        held.place(
            [(n, str(slot["_id"])) for n, (_, slot) in enumerate(slots, start=1)],
            _to_place(held.claim, quote, slots, body.get("travel"), cutoff, reads),
        )
        fields = {n: field for n, (field, _) in enumerate(slots, start=1)}
        held.take(cutoff, fields, _reassigning(quote, slots, buffer_minutes, body.get("travel"), cutoff), taken)
        chosen = [slot for _, slot in slots]
        document = _document(attempt.reference, principal, quote, chosen, body, warnings, body.get("travel"))
        document.update(registrations.booked_under(checked, document["price"]))
        held.commit(_with_interpreters(document, held.claim), hold_seconds)
    return _recorded(held.claim, principal)


def _proposed_later(first: dict, quote: dict, cutoff: datetime, reads: Reads) -> Fielded:
    """The later visits' slots when the caller gave only the first: the proposal (with an interpreter free
    for each when the quote asks for one), named by no input field (the partner sent none); refused
    when a visit has none."""
    language = quote.get("interpreterLanguage")
    try:
        proposed = propose(quote["package"], first, language, cutoff, reads.buffer_minutes, reads)
    except Problem as refused:
        refused.errors = [{"field": "slotId", "message": f"no {language} interpreter free"}]
        raise
    if missing := no_slot_in_window(proposed, language):
        raise missing
    return [(None, visit["slot"]) for visit in proposed]


# -- checkout holds ----------------------------------------------------------------------------------


def _owner(principal: Principal) -> str:
    return principal.agency or principal.subject


def hold_visits(
    body: dict,
    principal: Principal,
    token: str | None,
    attempt: Attempt,
    *,
    cutoff: datetime,
    expires_at: datetime,
    hold_seconds: int,
    buffer_minutes: int = 30,
) -> dict:
    """Take a seat of every visit's slot, and an interpreter for each when the quote has one, for the
    booking to come, all or nothing, until ``expires_at``: the same checks as a booking, under the
    reference the booking will have. Returns the hold. Its expiry (the sweeper) or ``release`` gives
    everything and the quote back."""
    asked = [(f"slotIds[{index}]", object_id(raw, "slot")) for index, raw in enumerate(body["slotIds"])]
    slots = _refuse_early(asked, attempt, cutoff)
    if not attempt.resumed:
        registrations.check(_owner(principal), slots[0][1]["clinic"])
    try:
        claim = _reserve(attempt, body["quoteId"], hold_seconds, slots)
    except ledger.Booked as done:
        raise _already_booked(done.claim["_id"]) from None
    if claim.get("hold_id"):  # an earlier attempt under this key finished it
        return _hold(claim, slots)
    with ledger.reservation(claim) as held:
        if attempt.resumed:
            registrations.check(_owner(principal), slots[0][1]["clinic"])
        quote = packages.lock(body["quoteId"], attempt.reference, token)
        package = quote["package"]
        _check_series(
            slots, quote, package["visitWindow"], package["schedule"]["visits"], "slotIds", body.get("travel")
        )
        held.place(
            [(n, str(slot["_id"])) for n, (_, slot) in enumerate(slots, start=1)],
            _to_place(held.claim, quote, slots, body.get("travel"), cutoff, Reads(buffer_minutes, utcnow())),
        )
        fields = {n: field for n, (field, _) in enumerate(slots, start=1)}
        held.take(cutoff, fields, _reassigning(quote, slots, buffer_minutes, body.get("travel"), cutoff))
        held.confirm_hold(secrets.token_hex(16), _owner(principal), body.get("travel"), expires_at)
    return _hold(held.claim, slots)


def _hold(claim: dict, slots: Fielded) -> dict:
    return {
        "id": claim["hold_id"],
        "quoteId": claim["quote_id"],
        "expiresAt": claim["expires_at"],
        "slots": [slot for _, slot in slots],
        "interpreters": _shown(claim),
        "followUps": followups.records(claim),
    }


def find_hold(hold_id: str, principal: Principal) -> dict:
    """A checkout hold of the caller's, in whatever state; any other is unknown, so ids reveal nothing."""
    hold = ledger.hold_by_id(hold_id)
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
    """Another request is turning the hold into a booking: a retry learns how that ended (never replayed)."""
    return Problem(
        409,
        "CONCURRENT_UPDATE",
        "This hold is being turned into a booking by another request; retry to learn how that ends.",
        errors=[{"field": "holdId", "message": "being booked"}],
        headers={"Retry-After": "1"},
    )


def _not_bookable(hold: dict | None, now: datetime) -> Problem | None:
    """Why a hold, as it is now, cannot become a booking; None if it can."""
    if hold is None or hold["state"] in ("BOOKED", "MOVING", "RELEASING"):
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


def release(hold_id: str, principal: Principal, grace_seconds: int) -> None:
    """Give back every seat of a checkout hold at once, and its quote; a hold already given back (by
    the partner or its expiry) is released already. A booked hold is refused."""
    for _ in range(ATTEMPTS):
        hold = find_hold(hold_id, principal)
        if hold["state"] in ("BOOKED", "MOVING", "RELEASING"):
            raise _already_booked(hold["_id"])
        if hold["state"] == "BOOKING":
            raise _being_booked()
        if hold["state"] != "HELD" or ledger.release_hold(hold, grace_seconds):
            return  # RELEASED, or EXPIRING: on its way back
    raise ledger.busy()


def _book_hold(body: dict, principal: Principal, token: str | None, attempt: Attempt, hold_seconds: int) -> dict:
    """Turn a live checkout hold into its booking: the seats are the hold's already. The hold is taken
    first (HELD → BOOKING, a guarded update) with a lease no shorter than the hold itself, so no
    sweeper settles it while the booking is made; a call that is refused leaves the hold as it was,
    and a hold turns into one booking at most (its retry under the same key answers that booking)."""
    hold = find_hold(body["holdId"], principal)
    reference, now = hold["_id"], utcnow()
    if hold["state"] == "BOOKED" and hold.get("by") == attempt.key:
        return _recorded(hold, principal)
    if body.get("quoteId") not in (None, hold["quote_id"]):
        raise Problem(
            422,
            "UNKNOWN_QUOTE",
            "The hold is of another quote.",
            errors=[{"field": "quoteId", "message": "not the hold's"}],
        )
    held_slots = _claimed_slots(hold)
    checked = registrations.check(_owner(principal), held_slots[0]["clinic"] if held_slots else "")
    claim = ledger.take_over_booking_hold(hold, attempt.key, now, hold_seconds)
    if claim is None:
        if refused := _not_bookable(hold, now):
            raise refused
        claim = ledger.start_booking_hold(hold, attempt.key, now, hold_seconds)
    if claim is None:  # another request or a sweeper came first
        raise _not_bookable(ledger.hold_by_id(body["holdId"]), now) or _already_booked(reference)
    try:
        quote = packages.lock(hold["quote_id"], reference, token)
        package = quote["package"]
        warnings = screen(package["screeningRules"], body["patient"], package["scarTypes"])
        slots = _claimed_slots(claim)
        travel = body.get("travel") or hold.get("travel")
        check_travel(
            [(f"hold visit {n}", slot) for n, slot in enumerate(slots, start=1)],
            travel,
            package["schedule"]["minimumStayDays"],
        )
        document = _with_interpreters(_document(reference, principal, quote, slots, body, warnings, travel), claim)
        document.update(registrations.booked_under(checked, document["price"]))
        claim = ledger.commit(claim, document, hold_seconds)
    except Problem:  # refused: the hold is HELD again, with its own expiry
        ledger.resume_hold(claim)
        raise
    except ledger.LeaseLost as lost:  # the sweeper settled it meanwhile: it had expired
        raise _not_bookable(lost.claim, utcnow()) or _already_booked(reference) from None
    return _recorded(claim, principal)


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
