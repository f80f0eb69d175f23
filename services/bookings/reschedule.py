"""Moving one visit of a booking to another slot, or one follow-up to another slot or call.

The new seat is taken before the old one is given back, so the patient is never left without one,
and through the seat ledger: the booking's claim first records the seat the move takes (MOVING),
so two moves of one booking never run at once (the second waits for the first, then is decided
against what it did), and a process that dies at any step leaves a claim the sweeper settles by
what the booking records. A move to the slot the visit already has is the move done: a retry
answers the booking as it is.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from services.common import lifecycle, series
from services.common.clock import aware, seoul_date, seoul_iso, utcnow
from services.common.errors import Problem, validation_problem
from services.common.failpoints import failpoint
from services.common.ids import object_id
from services.common.tokens import Principal

from . import events, followups, interpreters, ledger, store
from .booking import find_booking
from .reads import Reads

ATTEMPTS = 5


def _too_late(what: str, field: str, it: str, notice: timedelta) -> Problem:
    """A visit's or a follow-up's move refused: it starts within the reschedule notice."""
    hours = int(notice.total_seconds() // 3600)
    return Problem(
        409,
        "TOO_LATE_TO_RESCHEDULE",
        f"{what} starts within {hours} hours; it can no longer be moved.",
        errors=[{"field": field, "message": f"moves close {hours} hours before {it}"}],
    )


def _check(
    current: dict,
    number: int,
    slot: dict | None,
    cutoff: datetime,
    notice: timedelta,
    now: datetime,
    proposed: bool = False,
) -> None:
    """Why visit ``number`` of the booking may not move to ``slot`` now, if it may not. A visit whose change the
    clinic proposed (``proposed``) moves only to an alternative offered, whatever the notice left: the clinic
    caused the move."""
    visits = current["visits"]
    visit = visits[number - 1]
    if not lifecycle.visit_may_move(current["status"], visit["status"], proposed):
        what = "only a visit with a proposed change accepts one" if proposed else "only a visit still to come moves"
        raise Problem(
            409,
            "INVALID_TRANSITION",
            f"Visit {number} is {visit['status']} (the booking {current['status']}); {what}.",
            errors=[{"field": "visit", "message": f"visit {number} is {visit['status']}"}],
        )
    if proposed:
        offered = [alternative["slot_id"] for alternative in visit["proposal"]["alternatives"]]
        if slot is None or str(slot["_id"]) not in offered:
            raise Problem(
                422,
                "ALTERNATIVE_NOT_OFFERED",
                f"The slot is not one of the alternatives proposed for visit {number}.",
                errors=[{"field": "slotId", "message": "not offered: one of " + (", ".join(offered) or "none")}],
            )
    elif aware(visit["start"]) - now < notice:
        raise _too_late(f"Visit {number}", "visit", "the visit", notice)
    fits(current, number, slot, cutoff)


def fits(current: dict, number: int, slot: dict | None, cutoff: datetime) -> None:
    """Why visit ``number`` of the booking may not take ``slot`` (a seat free or its own, the package's, inside
    the window from the visits before and after it, the patient's trips, before its follow-ups), if it may not:
    the rule of a move, by the patient or proposed by the clinic."""
    visits = current["visits"]
    if slot is None or (not ledger.holds_seat(slot, current["reference"]) and not ledger.seat_looks_free(slot, cutoff)):
        raise ledger.why_no_seat(slot, cutoff)
    if not ledger.serves(slot, current["clinic"], current["package_id"]):
        raise ledger.not_for_package(["slotId"])
    days = [seoul_date(v["start"]) for v in visits]
    broken = series.move_breaks(
        days, number, seoul_date(slot["start"]), series.Window.of(current["package"]["visitWindow"])
    )
    if broken:
        raise Problem(
            422,
            "VISIT_OUTSIDE_WINDOW",
            f"Visit {number} would be outside the package's window.",
            errors=[{"field": "slotId", "message": message} for message in broken],
        )
    if current.get("travel"):
        moved = [(f"visit {v['number']}", seoul_date((slot if v["number"] == number else v)["start"])) for v in visits]
        outside = [
            {**error, "field": "slotId"}
            for error in series.trip_breaks(moved, current["travel"], current["package"]["schedule"]["minimumStayDays"])
            if error["field"] == f"visit {number}"
        ]
        if outside:
            raise Problem(422, "TRIP_TOO_SHORT", f"Visit {number} would not fit the patient's trips.", errors=outside)
    moved_to = seoul_date(slot["start"])
    if stranded := _follow_ups_before(current, moved_to):
        raise Problem(
            422,
            "FOLLOW_UP_OUTSIDE_WINDOW",
            f"Visit {number} would fall after a follow-up of the treatment; move the follow-up first.",
            errors=[{"field": "slotId", "message": message} for message in stranded],
        )


def _follow_ups_before(booking: dict, day) -> list[str]:
    """The reserved follow-ups still to come that a visit moved to ``day`` would no longer follow. (A visit's
    move leaves its follow-ups where they are; only one that would come first is refused.)"""
    return [
        f"follow-up {follow['number']} on {seoul_date(follow['start'])} would come before it"
        for follow in booking.get("follow_ups") or []
        if follow["status"] == "BOOKED" and seoul_date(follow["start"]) <= day
    ]


def _interpreter(booking: dict, number: int, slot: dict, buffer_minutes: int) -> dict | None:
    """The interpreter visit ``number`` gets at ``slot``'s time, when the booking has one: refused
    INTERPRETER_UNAVAILABLE (naming slotId) when no one is free then."""
    language = booking.get("interpreter_language")
    if not language:
        return None
    visit = interpreters.Visit(number, slot["start"], slot["duration_minutes"], "slotId")
    found = interpreters.assign(booking["clinic"], language, [visit], buffer_minutes, utcnow())[0]
    return {
        **ledger.interpreter_item(found, language, ""),
        "shown": interpreters.shown(found["interpreter"], found["provider"], language),
    }


def _moved(
    current: dict,
    number: int,
    slot: dict,
    principal: Principal,
    reason: str | None,
    now: datetime,
    claim: dict,
    proposed: bool = False,
):
    """The changes and history entry that move visit ``number`` of the booking as read to ``slot`` (with
    the interpreter the move claims, if any); an accepted proposal's visit is BOOKED again."""
    visits = [dict(visit) for visit in current["visits"]]
    old = visits[number - 1]
    visits[number - 1] = {
        **{key: value for key, value in old.items() if key != "proposal"},
        "slot_id": str(slot["_id"]),
        "start": slot["start"],
        "duration_minutes": slot["duration_minutes"],
        "status": "BOOKED",
    }
    interpreter = next((i for i in claim["move"]["items"] if i["kind"] == ledger.INTERPRETER), None)
    if interpreter is not None:
        visits[number - 1]["interpreter"] = interpreter["shown"]
    changes: dict = {"visits": visits, "updated_at": now}
    if number == 1:  # the booking's first visit is also kept on its own
        changes.update(
            slot_id=str(slot["_id"]), slot_start=slot["start"], slot_duration_minutes=slot["duration_minutes"]
        )
    entry = {
        "from": current["status"],
        "to": current["status"],
        "visit": number,
        "moved": {"from": old["start"], "to": slot["start"], "slot_id": str(slot["_id"])},
        "at": now,
        "by": principal.subject,
        "reason": reason,
    }
    if proposed:
        entry["change"] = {"from": "CHANGE_PROPOSED", "to": "BOOKED", "reason": old["proposal"]["reason"]}
    return changes, entry


def _unknown_visit(booking: dict, number: int) -> Problem | None:
    count = len(booking["visits"])
    if 1 <= number <= count:
        return None
    return Problem(
        422,
        "UNKNOWN_VISIT",
        f"The booking has {count} visits.",
        errors=[{"field": "visit", "message": f"1 to {count}"}],
    )


def reschedule(
    reference: str,
    number: int,
    slot_id: str,
    principal: Principal,
    reason: str | None,
    by: str,
    *,
    cutoff: datetime,
    notice_hours: int,
    hold_seconds: int,
    buffer_minutes: int = 30,
    proposed: bool = False,
) -> dict:
    """Move visit ``number`` to ``slot_id``: record what it takes (the seat, and an interpreter for the
    new time when the booking has one), take it, record the move, give back what it replaced. ``by``
    names the request across its retries. ``proposed``: the agency accepts an alternative the clinic
    proposed for the visit (``changes.py``), the same move by the same steps."""
    current = find_booking(reference, principal)
    if refused := _unknown_visit(current, number):
        raise refused
    new_id = object_id(slot_id, "slot")

    def moved_there(booking: dict) -> bool:
        visit = booking["visits"][number - 1]
        return visit["slot_id"] == str(new_id) and visit["status"] != "CHANGE_PROPOSED"

    if moved_there(current):  # moved there already (a retry)
        ledger.finish_own_move(reference, by, current)
        return current
    notice = timedelta(hours=notice_hours)
    slot = store.slot_by_id(new_id)
    _check(current, number, slot, cutoff, notice, utcnow(), proposed)
    assert slot is not None  # _check refuses an unknown slot
    claim = ledger.start_move(
        reference, number, str(new_id), by, hold_seconds, lambda: _interpreter(current, number, slot, buffer_minutes)
    )
    try:
        current = find_booking(reference, principal)
        if moved_there(current):  # moved there meanwhile
            if ledger.move_seat_taken(claim):  # by the attempt this request retries, which died after recording it
                ledger.finish_move(claim, current)
            else:  # by another request
                ledger.abort_move(claim)
            return current
        ledger.take_move(claim, cutoff)
        updated = _record_move(claim, number, slot, principal, reason, cutoff, notice, proposed)
        failpoint("bookings.after_move_record")
    except Problem:
        ledger.abort_move(claim)
        raise
    except ledger.LeaseLost as lost:  # the sweeper settled the move while this request stalled
        ledger.give_back_stray(claim, lost.claim)
        raise ledger.busy() from None
    except Exception:
        ledger.after_failure(claim)
        raise
    ledger.finish_move(claim, updated)
    return updated


def _record_move(
    claim: dict,
    number: int,
    slot: dict,
    principal: Principal,
    reason: str | None,
    cutoff: datetime,
    notice: timedelta,
    proposed: bool = False,
) -> dict:
    """Record the move by an update guarded by the booking's revision; a change that came first is read
    and the move decided again against it. The booking is read before the claim is checked, so an
    update decided on a booking the sweeper has fenced since cannot apply (see ledger.py)."""
    reference = claim["_id"]
    for _ in range(ATTEMPTS):
        current = find_booking(reference, principal)
        if not ledger.still_mine(claim):
            raise ledger.LeaseLost(store.claim_of(reference) or claim)
        now = utcnow()
        _check(current, number, store.slot_by_id(slot["_id"]), cutoff, notice, now, proposed)
        changes, entry = _moved(current, number, slot, principal, reason, now, claim, proposed)
        moved = {"from": seoul_iso(entry["moved"]["from"]), "to": seoul_iso(slot["start"])}
        if proposed:
            moved["reason"] = entry["change"]["reason"]
        kind = "visit.change_accepted" if proposed else "visit.rescheduled"
        told = events.event(kind, {**current, **changes}, principal.subject, now, visit=number, **moved)
        updated = store.change_booking(current, changes, entry, [told])
        if updated is not None:
            events.publish(updated)
            return updated
    raise ledger.busy()


# -- follow-ups ------------------------------------------------------------------------------------------


def _follow_up(booking: dict, number: int) -> dict:
    """Follow-up ``number`` of the booking, or why not."""
    follow_ups = booking.get("follow_ups") or []
    if 1 <= number <= len(follow_ups):
        return follow_ups[number - 1]
    raise Problem(
        422,
        "UNKNOWN_FOLLOW_UP",
        f"The booking has {len(follow_ups)} follow-up appointments.",
        errors=[{"field": "followUp", "message": f"1 to {len(follow_ups)}" if follow_ups else "none reserved"}],
    )


def _outside(number: int, field: str, message: str) -> Problem:
    return Problem(
        422,
        "FOLLOW_UP_OUTSIDE_WINDOW",
        f"Follow-up {number} cannot move there: {message}.",
        errors=[{"field": field, "message": message}],
    )


def _follow_up_target(
    current: dict, follow: dict, body: dict, chooser: followups.Chooser, cutoff: datetime, notice: timedelta
) -> tuple[list[dict] | None, dict | None]:
    """What moving the follow-up as ``body`` asks takes (its items, without holders; None when no
    interpreter is free then), and the slot for an in-person one; or why it may not move."""
    number, now = follow["number"], utcnow()
    if not lifecycle.follow_up_may_move(current["status"], follow["status"]):
        raise Problem(
            409,
            "INVALID_TRANSITION",
            f"Follow-up {number} is {follow['status']} (the booking {current['status']}); only one to come moves.",
            errors=[{"field": "followUp", "message": f"follow-up {number} is {follow['status']}"}],
        )
    if follow["status"] == "BOOKED" and aware(follow["start"]) - now < notice:  # the clinic caused a proposal's move
        raise _too_late(f"Follow-up {number}", "followUp", "it", notice)
    field = "slotId" if follow["kind"] == "IN_PERSON" else "start"
    wrong = "start" if field == "slotId" else "slotId"
    if field not in body or wrong in body:
        raise validation_problem(
            [{"field": field, "message": f"required to move a {follow['kind']} follow-up"}]
            + ([{"field": wrong, "message": f"not for a {follow['kind']} follow-up"}] if wrong in body else [])
        )
    days = [seoul_date(visit["start"]) for visit in current["visits"]]
    plan = followups.plan_of(current["package"], current.get("follow_up_plan"))
    assert plan is not None  # a booking with follow-ups has their plan
    first, last = followups.windows(current["package"], plan, days, current.get("travel"))[number - 1]
    if follow["kind"] == "IN_PERSON":
        slot = store.slot_by_id(object_id(body["slotId"], "slot"))
        if slot is None or (
            not ledger.holds_seat(slot, current["reference"]) and not ledger.seat_looks_free(slot, cutoff)
        ):
            raise ledger.why_no_seat(slot, cutoff)
        if not ledger.serves(slot, current["clinic"], current["package_id"]):
            raise ledger.not_for_package(["slotId"])
        day = seoul_date(slot["start"])
        if not first <= day <= last:
            raise _outside(number, "slotId", f"{day} is outside its window, {first} to {last}")
        if current.get("travel") and not series.in_a_trip(day, current["travel"]):
            raise _outside(number, "slotId", f"{day} falls in none of the patient's trips")
        return chooser.seat_items(number, slot), slot
    try:
        start = datetime.fromisoformat(body["start"].replace("Z", "+00:00"))
    except ValueError:
        raise validation_problem([{"field": "start", "message": "not an ISO 8601 date and time"}]) from None
    if start.tzinfo is None:
        raise validation_problem([{"field": "start", "message": "needs an offset"}])
    day = seoul_date(start)
    if not first <= day <= last:
        raise _outside(number, "start", f"{day} is outside its window, {first} to {last}")
    if not followups.in_hours(chooser.hours(), start):
        raise _outside(number, "start", "not a call in the clinic's consultation hours")
    if aware(start) <= cutoff:
        raise _outside(number, "start", "too soon")
    return chooser.call_items(number, start), None


def _asked(clinic: str, body: dict) -> str | None:
    """The seat or call a move asks for, as a follow-up records it (None when its start does not parse)."""
    if "slotId" in body:
        return str(body["slotId"])
    try:
        start = datetime.fromisoformat(str(body.get("start", "")).replace("Z", "+00:00"))
    except ValueError:
        return None
    if start.tzinfo is None:
        return None
    return followups.consultation_unit(clinic, start).split("|", 1)[1]


def reschedule_follow_up(
    reference: str,
    number: int,
    body: dict,
    principal: Principal,
    by: str,
    *,
    cutoff: datetime,
    notice_hours: int,
    hold_seconds: int,
    buffer_minutes: int = 30,
) -> dict:
    """Move follow-up ``number`` to another slot (in person) or call (remote video) inside its window:
    record what it takes (and an interpreter for the new time when the booking has one), take it,
    record the move, give back what it replaced, as a visit's move does."""
    current = find_booking(reference, principal)
    follow = _follow_up(current, number)
    if _asked(current["clinic"], body) == follow["resource"] and follow["status"] == "BOOKED":  # moved there (a retry)
        ledger.finish_own_move(reference, by, current)
        return current
    notice = timedelta(hours=notice_hours)
    language = current.get("interpreter_language")
    chooser = followups.Chooser(current["clinic"], current["package_id"], language, Reads(buffer_minutes, utcnow()))
    items, _ = _follow_up_target(current, follow, body, chooser, cutoff, notice)
    if items is None:
        language = current.get("interpreter_language")
        raise Problem(
            409,
            "INTERPRETER_UNAVAILABLE",
            f"No {language} interpreter is free for follow-up {number} then.",
            errors=[{"field": "slotId" if follow["kind"] == "IN_PERSON" else "start", "message": "no interpreter"}],
        )
    claim = ledger.start_follow_up_move(reference, followups.key(number), lambda: items, by, hold_seconds)
    try:
        current = find_booking(reference, principal)
        if _follow_up(current, number)["resource"] == ledger.move_item(claim)["resource"]:  # moved there meanwhile
            if ledger.move_seat_taken(claim):
                ledger.finish_move(claim, current)
            else:
                ledger.abort_move(claim)
            return current
        ledger.take_move(claim, cutoff)
        updated = _record_follow_up_move(claim, number, principal, body.get("reason"))
        failpoint("bookings.after_move_record")
    except Problem:
        ledger.abort_move(claim)
        raise
    except ledger.LeaseLost as lost:
        ledger.give_back_stray(claim, lost.claim)
        raise ledger.busy() from None
    except Exception:
        ledger.after_failure(claim)
        raise
    ledger.finish_move(claim, updated)
    return updated


def _record_follow_up_move(claim: dict, number: int, principal: Principal, reason: str | None) -> dict:
    """Record the follow-up's move by an update guarded by the booking's revision (see ``_record_move``)."""
    reference = claim["_id"]
    taken = ledger.move_item(claim)
    interpreter = next((i for i in claim["move"]["items"] if i["kind"] == ledger.INTERPRETER), None)
    for _ in range(ATTEMPTS):
        current = find_booking(reference, principal)
        if not ledger.still_mine(claim):
            raise ledger.LeaseLost(store.claim_of(reference) or claim)
        old = _follow_up(current, number)
        if old["status"] not in lifecycle.FOLLOW_UP_TO_COME:
            raise Problem(409, "INVALID_TRANSITION", f"Follow-up {number} is {old['status']}; it no longer moves.")
        now = utcnow()
        moved = {
            **{key: value for key, value in old.items() if key != "proposal"},
            **taken["follow_up"],
            "resource": taken["resource"],
            "interpreter": interpreter["shown"] if interpreter else None,
            "status": "BOOKED",
        }
        follow_ups = [moved if f["number"] == number else f for f in current["follow_ups"]]
        changes = {"follow_ups": follow_ups, "updated_at": now}
        change = {
            "number": number,
            "from": old["status"],
            "to": "BOOKED",
            "moved": {"from": old["start"], "to": moved["start"]},
        }
        entry = {
            "from": current["status"],
            "to": current["status"],
            "visit": None,
            "follow_up": change,
            "at": now,
            "by": principal.subject,
            "reason": reason,
        }
        details = {"followUp": number, "from": seoul_iso(old["start"]), "to": seoul_iso(moved["start"])}
        told = events.event("follow_up.rescheduled", {**current, **changes}, principal.subject, now, **details)
        updated = store.change_booking(current, changes, entry, [told])
        if updated is not None:
            events.publish(updated)
            return updated
    raise ledger.busy()
