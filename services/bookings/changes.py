"""Changes the clinic starts: a slot closed, a whole day closed, an interpreter's hours closed, with visits
booked on them.

As airlines handle a schedule change, the clinic proposes and the agency decides. Each visit the change
withdraws becomes CHANGE_PROPOSED with a ``proposal`` (why, when, the slot it had, and the alternatives that
fit the same rules as a move: ``reschedule.fits``, with an interpreter free when the booking has one). The
agency that booked accepts one (the move of ``reschedule.py``, by the same ledger steps, with no notice
period: the clinic caused it) or declines (the visit is cancelled and its share of the price refunded in
full, its seat and interpreter given back as a cancellation gives them back). An interpreter whose hours no
longer cover a visit is first replaced by another one free then, silently but told (``visit.interpreter_changed``).

The seat on a closed slot stays claimed until the agency decides: the visit keeps its place in the ledger
(its claim names the seat, the slot counts it), so the books balance at every step and declining gives
back exactly what a cancellation would. A closed slot is never offered again, so the seat is no one else's
loss meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from bson import ObjectId

from services.common import lifecycle, series
from services.common.clock import SEOUL, aware, seoul_date, seoul_iso, utcnow
from services.common.errors import Problem, not_found
from services.common.failpoints import failpoint
from services.common.tokens import Principal

from . import events, followup_changes, followups, interpreters, ledger, reschedule, slots, store, transitions
from .booking import find_booking

log = logging.getLogger("clinicbridge.bookings.changes")
MAX_ALTERNATIVES = 5  # alternatives proposed per visit, earliest first
CANDIDATES = 24  # slots that fit tried for an interpreter, earliest first
ATTEMPTS = 5
SLOT_CLOSED, INTERPRETER_HOURS_CLOSED = "SLOT_CLOSED", "INTERPRETER_HOURS_CLOSED"
STALE = (  # an accept refused for one of these: the alternative is gone, or the list the agency read is stale
    "SLOT_FULL",
    "SLOT_CLOSED",
    "SLOT_TOO_SOON",
    "ALTERNATIVE_NOT_OFFERED",
    "VISIT_OUTSIDE_WINDOW",
    "TRIP_TOO_SHORT",
    "FOLLOW_UP_OUTSIDE_WINDOW",
    "INTERPRETER_UNAVAILABLE",
)


def settings_of(settings) -> dict:
    """What proposing, accepting and declining a change read of the service's settings (``Settings``)."""
    return {
        "cutoff": ledger.booking_cutoff(settings.min_notice_hours),
        "buffer_minutes": settings.interpreter_buffer_minutes,
        "hold_seconds": settings.seat_hold_seconds,
    }


def _reference(token: str) -> str:
    """The booking reference of a holder token (``<reference>/<random>``)."""
    return token.split("/", 1)[0]


# -- the alternatives: the rule of a move, asked of the slots around the visit ------------------------


def alternatives(booking: dict, number: int, cutoff: datetime, buffer_minutes: int, now: datetime) -> list[dict]:
    """Up to ``MAX_ALTERNATIVES`` open slots with a free seat that visit ``number`` of the booking could move to
    by the rule of a move (``reschedule.fits``: the package's, inside its window from the visits before and
    after it, the patient's trips, before its follow-ups), after ``cutoff``, other than its own, each with an
    interpreter free then when the booking has an interpreter language: ``{slot, interpreter}``, earliest first.
    One query for the slots, three for the interpreters."""
    visit = booking["visits"][number - 1]
    days = [seoul_date(v["start"]) for v in booking["visits"]]
    first, last = series.move_range(days, number, series.Window.of(booking["package"]["visitWindow"]))
    start = max(datetime.combine(first, time(), SEOUL), cutoff)
    end = datetime.combine(last + timedelta(days=1), time(), SEOUL)
    if end <= start:
        return []
    offers = [store.offer(booking["clinic"], None), store.offer(booking["clinic"], booking["package_id"])]
    keys = [f"{offer}:{week}" for offer in offers for week in store.weeks_between(start, end)]
    found = sorted(
        (
            slot
            for slot in store.bookable_slots(keys)
            if start <= aware(slot["start"]) < end and str(slot["_id"]) != visit["slot_id"]
        ),
        key=lambda slot: (slot["start"], str(slot["_id"])),
    )
    fitting = []
    for slot in found:
        try:
            reschedule.fits(booking, number, slot, cutoff)
        except Problem:
            continue
        fitting.append(slot)
    language = booking.get("interpreter_language")
    if not language:
        return [{"slot": slot, "interpreter": None} for slot in fitting[:MAX_ALTERNATIVES]]
    clinic = booking["clinic"]
    calendar = interpreters.calendars([(clinic, language)], buffer_minutes, now)[(clinic, language)]
    tried = fitting[:CANDIDATES]
    options = [calendar.options(interpreters.Visit(number, s["start"], s["duration_minutes"], None)) for s in tried]
    served = []
    for slot, free in zip(tried, interpreters.first_free(options) if tried else [], strict=True):
        if free is not None:
            person = free[0]
            shown = interpreters.shown(person, calendar.providers[person["provider"]], language)
            served.append({"slot": slot, "interpreter": shown})
    return served[:MAX_ALTERNATIVES]


# -- proposing ---------------------------------------------------------------------------------------


def _proposed(current: dict, number: int, reason: str, note: str | None, by: str, settings: dict, now: datetime):
    """The changes, history entry and event that make visit ``number`` of the booking as read CHANGE_PROPOSED."""
    visits = [dict(visit) for visit in current["visits"]]
    visit = visits[number - 1]
    offered = _offered(current, number, settings, now)
    proposal = {"reason": reason, "proposed_at": now, "slot_id": visit["slot_id"], "alternatives": offered}
    visits[number - 1] = {**visit, "status": "CHANGE_PROPOSED", "proposal": proposal}
    changes = {"visits": visits, "updated_at": now}
    entry = {
        "from": current["status"],
        "to": current["status"],
        "visit": number,
        "change": {"from": "BOOKED", "to": "CHANGE_PROPOSED", "reason": reason},
        "at": now,
        "by": by,
        "reason": note,
    }
    details = {
        "visit": number,
        "reason": reason,
        "from": seoul_iso(visit["start"]),
        "alternatives": [{"slotId": a["slot_id"], "start": seoul_iso(a["start"])} for a in offered],
    }
    told = events.event("visit.change_proposed", {**current, **changes}, by, now, **details)
    return changes, entry, told


def _offered(booking: dict, number: int, settings: dict, now: datetime) -> list[dict]:
    """The alternatives for visit ``number`` of the booking, as its proposal keeps them."""
    return [
        {
            "slot_id": str(alternative["slot"]["_id"]),
            "start": alternative["slot"]["start"],
            "duration_minutes": alternative["slot"]["duration_minutes"],
            "interpreter": alternative["interpreter"],
        }
        for alternative in alternatives(booking, number, settings["cutoff"], settings["buffer_minutes"], now)
    ]


def _listed(offered: list[dict]) -> list[tuple]:
    return [(a["slot_id"], (a["interpreter"] or {}).get("id")) for a in offered]


def refresh(reference: str, number: int, principal: Principal, settings: dict) -> bool:
    """Offer visit ``number`` the alternatives that fit now, when those its proposal lists no longer all do (taken,
    closed, no longer fitting, or others opened since): one update guarded by the booking's revision, told as
    ``visit.change_proposed`` again. Whether the alternatives changed."""
    for _ in range(ATTEMPTS):
        current = find_booking(reference, principal)
        visit = current["visits"][number - 1]
        if current["status"] not in lifecycle.MOVABLE or visit["status"] != "CHANGE_PROPOSED":
            return False
        now = utcnow()
        offered = _offered(current, number, settings, now)
        if _listed(offered) == _listed(visit["proposal"]["alternatives"]):
            return False
        visits = [dict(v) for v in current["visits"]]
        visits[number - 1] = {**visit, "proposal": {**visit["proposal"], "alternatives": offered, "refreshed_at": now}}
        changes = {"visits": visits, "updated_at": now}
        reason, by = visit["proposal"]["reason"], f"clinic:{current['clinic']}"
        entry = {
            "from": current["status"],
            "to": current["status"],
            "visit": number,
            "change": {"from": "CHANGE_PROPOSED", "to": "CHANGE_PROPOSED", "reason": reason},
            "at": now,
            "by": by,
            "reason": "The alternatives proposed were taken or no longer fit: new alternatives are offered.",
        }
        details = {
            "visit": number,
            "reason": reason,
            "from": seoul_iso(visit["start"]),
            "alternatives": [{"slotId": a["slot_id"], "start": seoul_iso(a["start"])} for a in offered],
        }
        told = events.event("visit.change_proposed", {**current, **changes}, by, now, **details)
        updated = store.change_booking(current, changes, entry, [told])
        if updated is not None:
            events.publish(updated)
            return True
    return False


def propose(
    reference: str,
    withdrawn: Callable[[dict], list[int]],
    reason: str,
    note: str | None,
    by: str,
    settings: dict,
) -> tuple[list[int], bool]:
    """Make CHANGE_PROPOSED each visit still to come of the booking that ``withdrawn`` (the booking as read ->
    visit numbers) names, one guarded update each, decided again against a change that came first: the visits
    proposed, and whether one is left waiting (its races lost ``ATTEMPTS`` times: the sweeper proposes it later).
    A booking no longer changeable (cancelled, under way) is left as it is."""
    done: list[int] = []
    current = store.booking_by_reference(reference)
    attempts = 0
    while current is not None and current["status"] in lifecycle.MOVABLE:
        waiting = [n for n in withdrawn(current) if current["visits"][n - 1]["status"] == "BOOKED"]
        if not waiting:
            break
        if attempts >= ATTEMPTS:
            return done, True
        changes, entry, told = _proposed(current, waiting[0], reason, note, by, settings, utcnow())
        updated = store.change_booking(current, changes, entry, [told])
        if updated is None:
            attempts += 1
        else:
            events.publish(updated)
            done.append(waiting[0])
        current = store.booking_by_reference(reference)
    return done, False


def _on_slots(slot_ids: set[str]) -> Callable[[dict], list[int]]:
    return lambda booking: [v["number"] for v in booking["visits"] if v["slot_id"] in slot_ids]


def _propose_for_closed(closed: list[dict], note: str | None, by: str, settings: dict) -> dict:
    """Proposals for every visit booked on the slots just closed: what was affected. A slot is no longer
    ``proposing`` once every booking on it has its proposals; one a checkout hold or a booking not yet written
    holds stays so, for ``recorded`` (when it is written) or the sweeper."""
    slot_ids: dict[str, set[str]] = {}
    for slot in closed:
        for token in slot.get("holders", []):
            slot_ids.setdefault(_reference(token), set()).add(str(slot["_id"]))
    references = sorted(slot_ids)
    waiting: set[str] = set()
    proposed = 0
    bookings = 0
    for reference, found in zip(references, store.bookings_by_reference(references) if references else [], strict=True):
        if found is None:  # a checkout hold, or a booking committed and not yet written
            waiting |= slot_ids[reference]
            continue
        made, left = propose(reference, _on_slots(slot_ids[reference]), SLOT_CLOSED, note, by, settings)
        _, follow_ups_left = followup_changes.on_slots(reference, slot_ids[reference], note, by, settings)
        proposed += len(made)
        bookings += bool(made)
        if left or follow_ups_left:
            waiting |= slot_ids[reference]
    for slot in closed:
        if str(slot["_id"]) not in waiting:
            store.proposals_made(slot["_id"])
    return {"visitsProposed": proposed, "bookingsAffected": bookings}


def recorded(booking: dict, settings: dict) -> dict:
    """A booking just written from its claim (by its request, its retry or the sweeper), checked against what the
    clinic withdrew since its seats were taken: a visit on a slot closed meanwhile gets its proposed change, and one
    whose interpreter no longer works then another interpreter or a proposal, as if the booking had been there
    when the clinic changed it. The booking as it is after (one query for its slots, one for its interpreters)."""
    held = [visit["slot_id"] for visit in booking["visits"] if visit["status"] == "BOOKED"] + [
        follow["slot_id"]
        for follow in booking.get("follow_ups") or []
        if follow["status"] == "BOOKED" and follow["slot_id"]
    ]
    found = store.slots_by_id([ObjectId(slot_id) for slot_id in held]) if held else []
    closed = [slot for slot in found if slot is not None and slot["status"] != "OPEN"]
    by = f"clinic:{booking['clinic']}"
    if closed:
        _propose_for_closed(closed, None, by, settings)
    changed = bool(closed) | _recheck_interpreters(booking, by, settings)
    return (store.booking_by_reference(booking["reference"]) or booking) if changed else booking


def settle_closed(settings: dict, batch: int) -> int:
    """The sweeper's part: the visits still BOOKED on closed slots (a proposal that lost its races, a request that
    died between closing and proposing, a booking written after the slot closed) get their proposed change. One
    query (the ``proposing`` index) finds the slots. How many visits were proposed."""
    proposed = 0
    for slot in store.slots_proposing(batch):
        proposed += _propose_for_closed([slot], None, f"clinic:{slot['clinic']}", settings)["visitsProposed"]
    return proposed


def close_slot(slot_id: str, principal: Principal, settings: dict) -> tuple[dict, dict]:
    """Close a slot (the clinic's admins), and propose a change for every visit booked on it: the slot, and
    what was affected."""
    closed = slots.close_slot(slot_id, principal)
    failpoint("bookings.after_close_slot")
    return closed, _propose_for_closed([closed], None, principal.subject, settings)


def close_day(clinic: str, day: date, note: str | None, principal: Principal, settings: dict) -> dict:
    """Close every open slot of a clinic on a Seoul day (its admins), then propose a change for every visit booked
    on them (so no alternative is another slot of that day): how many slots closed, visits proposed, bookings.
    A name no clinic can have is 404."""
    if not followups.CLINIC_SLUG.match(clinic):
        raise not_found("clinic", clinic)
    slots.require_clinic(principal, clinic)
    start = datetime.combine(day, time(), SEOUL)
    closed = []
    for slot in store.clinic_slots(clinic, start, start + timedelta(days=1)):
        if slot["status"] == "OPEN":
            closed.append(store.close_slot(slot["_id"]) or slot)
    failpoint("bookings.after_close_slot")
    affected = _propose_for_closed(closed, note, principal.subject, settings)
    return {"clinic": clinic, "date": day.isoformat(), "slotsClosed": len(closed), **affected}


# -- an interpreter's hours closed ---------------------------------------------------------------------


def interpreter_changed(interpreter: dict, principal: Principal, settings: dict) -> dict:
    """After an interpreter's change (hours, languages, credential, active): each visit still to come she is
    reserved for and can no longer give gets another interpreter free then (``visit.interpreter_changed``), or
    else a proposed change (INTERPRETER_HOURS_CLOSED). One query finds her half hours taken from now on."""
    references = sorted(
        {
            _reference(token)
            for unit in store.interpreter_units(str(interpreter["_id"]), interpreters.block_of(utcnow()))
            for token in unit["holders"]
        }
    )
    return _withdraw_interpreter(interpreter, references, principal.subject, settings)


def _withdraw_interpreter(interpreter: dict, references: list[str], by: str, settings: dict) -> dict:
    """Another interpreter, or else a proposed change, for each visit of these bookings that ``interpreter`` is
    reserved for and can no longer give."""
    interpreter_id, now = str(interpreter["_id"]), utcnow()

    def withdrawn(booking: dict) -> list[int]:
        language = booking.get("interpreter_language") or ""
        return [
            visit["number"]
            for visit in booking["visits"]
            if visit["status"] == "BOOKED"
            and (visit.get("interpreter") or {}).get("id") == interpreter_id
            and aware(visit["start"]) > now
            and not interpreters.still_serves(interpreter, language, visit["start"], visit["duration_minutes"])
        ]

    counts = {"interpretersChanged": 0, "visitsProposed": 0, "followUpsProposed": 0}
    for reference, booking in zip(
        references, store.bookings_by_reference(references) if references else [], strict=True
    ):
        if booking is None:
            continue
        if booking["status"] in lifecycle.MOVABLE:
            for number in withdrawn(booking):
                if _reassign(reference, number, interpreter_id, by, settings):
                    counts["interpretersChanged"] += 1
            made, _ = propose(reference, withdrawn, INTERPRETER_HOURS_CLOSED, None, by, settings)
            counts["visitsProposed"] += len(made)
        counts["followUpsProposed"] += followup_changes.of_interpreter(reference, interpreter, by, settings)[0]
    return counts


def _recheck_interpreters(booking: dict, by: str, settings: dict) -> bool:
    """For a booking just written: each interpreter reserved for it who no longer serves one of its visits or
    follow-ups then is withdrawn from it, as when her hours closed. Whether one was."""
    language = booking.get("interpreter_language")
    booked = [
        reserved
        for reserved in [*booking["visits"], *(booking.get("follow_ups") or [])]
        if reserved["status"] == "BOOKED" and reserved.get("interpreter")
    ]
    if not language or not booked:
        return False
    changed = False
    for interpreter in store.interpreters_by_id(sorted({ObjectId(v["interpreter"]["id"]) for v in booked})):
        if interpreter is None:
            continue
        serving = [v for v in booked if v["interpreter"]["id"] == str(interpreter["_id"])]
        if any(
            not interpreters.still_serves(interpreter, language, v["start"], v["duration_minutes"]) for v in serving
        ):
            _withdraw_interpreter(interpreter, [booking["reference"]], by, settings)
            changed = True
    return changed


def _reassign(reference: str, number: int, gone: str, by: str, settings: dict) -> bool:
    """Give visit ``number`` another interpreter free at its time, through the ledger (a move that keeps the
    seat): whether it was done. Not done (and left to a proposal) when no one is free or the booking is busy."""
    current = store.booking_by_reference(reference)
    if current is None:
        return False
    visit, language = current["visits"][number - 1], current["interpreter_language"]
    wanted = interpreters.Visit(number, visit["start"], visit["duration_minutes"], None)
    try:
        found = interpreters.assign(current["clinic"], language, [wanted], settings["buffer_minutes"], utcnow(), {gone})
    except Problem:
        return False
    item = {
        **ledger.interpreter_item(found[0], language, ""),
        "shown": interpreters.shown(found[0]["interpreter"], found[0]["provider"], language),
    }
    by = f"interpreter:{reference}:{number}"
    try:
        claim = ledger.start_move(
            reference, number, visit["slot_id"], by, settings["hold_seconds"], lambda: item, keep_seat=True
        )
    except Problem:
        return False
    try:
        ledger.take_move(claim, settings["cutoff"])
        updated = _record_reassign(claim, number, gone, by)
    except Problem:  # her time was taken meanwhile, or the visit changed: what the move took goes back
        ledger.abort_move(claim)
        return False
    except ledger.LeaseLost as lost:
        ledger.give_back_stray(claim, lost.claim)
        return False
    except Exception:
        ledger.after_failure(claim)
        raise
    ledger.finish_move(claim, updated)
    return True


def _record_reassign(claim: dict, number: int, gone: str, by: str) -> dict:
    """Record the visit's new interpreter by an update guarded by the booking's revision."""
    reference = claim["_id"]
    taken = next(item for item in claim["move"]["items"] if item["kind"] == ledger.INTERPRETER)
    for _ in range(ATTEMPTS):
        current = store.booking_by_reference(reference)
        if current is None or not ledger.still_mine(claim):
            raise ledger.LeaseLost(store.claim_of(reference) or claim)
        visit = current["visits"][number - 1]
        if visit["status"] != "BOOKED" or (visit.get("interpreter") or {}).get("id") != gone:
            raise Problem(409, "INVALID_TRANSITION", f"Visit {number} changed meanwhile.")
        now = utcnow()
        visits = [dict(v) for v in current["visits"]]
        visits[number - 1] = {**visit, "interpreter": taken["shown"]}
        changes = {"visits": visits, "updated_at": now}
        entry = {
            "from": current["status"],
            "to": current["status"],
            "visit": number,
            "at": now,
            "by": by,
            "reason": f"Interpreter {visit['interpreter']['name']} no longer works then; "
            f"{taken['shown']['name']} interprets instead.",
        }
        details = {"visit": number, "from": visit["interpreter"], "to": taken["shown"]}
        told = events.event("visit.interpreter_changed", {**current, **changes}, by, now, **details)
        updated = store.change_booking(current, changes, entry, [told])
        if updated is not None:
            events.publish(updated)
            return updated
    raise ledger.busy()


# -- the agency decides --------------------------------------------------------------------------------


def _proposal_visit(current: dict, number: int) -> dict:
    visits = current["visits"]
    if not 1 <= number <= len(visits):
        raise Problem(
            422,
            "UNKNOWN_VISIT",
            f"The booking has {len(visits)} visits.",
            errors=[{"field": "visit", "message": f"1 to {len(visits)}"}],
        )
    return visits[number - 1]


def accept(
    reference: str, number: int, slot_id: str, principal: Principal, reason: str | None, by: str, settings: dict
) -> dict:
    """The agency takes one of the alternatives proposed for visit ``number``: the visit moves there as a
    reschedule moves it (the new seat, and an interpreter then, taken before the old ones go back), BOOKED
    again under the same reference. A slot not offered is refused ALTERNATIVE_NOT_OFFERED; one offered but
    taken or closed since, by why it gives no seat; either way the visit does not move. A refusal because the
    alternatives listed went stale (taken, closed, no longer fitting) refreshes them (``refresh``) and says so."""
    try:
        return reschedule.reschedule(
            reference,
            number,
            slot_id,
            principal,
            reason,
            by,
            cutoff=settings["cutoff"],
            notice_hours=0,
            hold_seconds=settings["hold_seconds"],
            buffer_minutes=settings["buffer_minutes"],
            proposed=True,
        )
    except Problem as refused:
        if refused.code in STALE and refresh(reference, number, principal, settings):
            refused.detail = f"{refused.detail} The alternatives proposed have changed: new alternatives are offered."
        raise


def decline(reference: str, number: int, principal: Principal, reason: str | None, settings: dict) -> dict:
    """The agency declines the change proposed for visit ``number``: the visit is CANCELLED with a full refund
    of its share of the price, and its seat and interpreter go back through the ledger as a cancellation's do
    (RELEASING first). When no visit is left, the booking is cancelled with them."""
    current = find_booking(reference, principal)
    visit = _proposal_visit(current, number)
    if visit["status"] == "CANCELLED" and visit.get("refund"):  # declined already (a retry)
        return current
    if visit["status"] != "CHANGE_PROPOSED":
        raise Problem(
            409,
            "INVALID_TRANSITION",
            f"Visit {number} is {visit['status']}; only a visit with a proposed change can decline it.",
            errors=[{"field": "visit", "message": f"visit {number} is {visit['status']}"}],
        )
    claim = ledger.start_release(reference, f"cancel:{reference}", settings["hold_seconds"])
    try:
        updated = _record_decline(reference, number, principal, reason, claim)
    except Problem:
        if claim is not None:
            ledger.finish_release(claim, find_booking(reference, principal))
        raise
    except ledger.LeaseLost:
        raise ledger.busy() from None
    failpoint("bookings.after_decline")
    if claim is not None:
        ledger.finish_release(claim, updated)
    return updated


def _record_decline(reference: str, number: int, principal: Principal, reason: str | None, claim: dict | None):
    for _ in range(ATTEMPTS):
        current = find_booking(reference, principal)
        if claim is not None and not ledger.still_mine(claim):
            raise ledger.LeaseLost(claim)
        visit = current["visits"][number - 1]
        if visit["status"] != "CHANGE_PROPOSED":
            raise Problem(
                409,
                "INVALID_TRANSITION",
                f"Visit {number} is {visit['status']}; only a visit with a proposed change can decline it.",
                errors=[{"field": "visit", "message": f"visit {number} is {visit['status']}"}],
            )
        now = utcnow()
        refund = transitions.declined_refund(current, now)
        visits = [dict(v) for v in current["visits"]]
        visits[number - 1] = {**visit, "status": "CANCELLED", "refund": refund, "declined_at": now}
        changes: dict = {"visits": visits, "updated_at": now}
        statuses = [v["status"] for v in visits]
        if all(status == "CANCELLED" for status in statuses):  # nothing is left: the booking is cancelled
            changes["status"] = "CANCELLED"
            changes["refund"] = transitions.refunds_summed(
                current, [v["refund"] for v in visits if v.get("refund")], refund["daysBefore"]
            )
            changes["follow_ups"] = [
                {**follow, "status": "CANCELLED"} if follow["status"] in lifecycle.FOLLOW_UP_TO_COME else follow
                for follow in current.get("follow_ups") or []
            ]
        elif current["status"] != "PENDING":
            changes["status"] = lifecycle.booking_status(statuses)
        entry = {
            "from": current["status"],
            "to": changes.get("status", current["status"]),
            "visit": number,
            "change": {"from": "CHANGE_PROPOSED", "to": "CANCELLED", "reason": visit["proposal"]["reason"]},
            "at": now,
            "by": principal.subject,
            "reason": reason,
        }
        shown = _refund_shown(current, refund)
        details = {"visit": number, "reason": visit["proposal"]["reason"], "visitRefund": shown}
        told = events.event("visit.change_declined", {**current, **changes}, principal.subject, now, **details)
        updated = store.change_booking(current, changes, entry, [told])
        if updated is not None:
            events.publish(updated)
            return updated
    raise ledger.busy()


def _refund_shown(booking: dict, refund: dict) -> dict:
    return {"krwPerUnit": booking["price"]["krwPerUnit"], "rateAsOf": booking["price"]["rateAsOf"], **refund}
