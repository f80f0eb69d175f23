"""Follow-ups that the clinic's changes reach: an in-person follow-up whose slot the clinic closes, and a
follow-up (in person or by video) whose interpreter no longer works its time.

As for a visit (``changes.py``), what need not be put to the agency is not: an in-person follow-up moves to
the next free seat in its window (with an interpreter then, when the booking has a language), and a follow-up
whose interpreter is withdrawn keeps its time with another interpreter free then, both through the seat
ledger's move (what it takes first, then what it replaced goes back), told as ``follow_up.rescheduled`` or
``follow_up.interpreter_changed``. When nothing fits, the follow-up becomes CHANGE_PROPOSED
(``follow_up.change_proposed``), keeping what it holds, with no alternatives listed: the agency moves it
(``reschedule.reschedule_follow_up``, with no notice period, since the clinic caused it) or cancels the booking.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from services.common import lifecycle
from services.common.clock import aware, seoul_date, seoul_iso, utcnow
from services.common.errors import Problem

from . import events, followups, interpreters, ledger, store
from .reads import Reads

ATTEMPTS = 5
SLOT_CLOSED, INTERPRETER_HOURS_CLOSED = "SLOT_CLOSED", "INTERPRETER_HOURS_CLOSED"
REASONS = {
    SLOT_CLOSED: "The clinic closed the follow-up's slot.",
    INTERPRETER_HOURS_CLOSED: "The interpreter's hours no longer cover the follow-up.",
}
Replacement = Callable[[dict, dict, dict], list[dict] | None]  # (booking, follow-up, settings) -> items, or None


def on_slots(reference: str, slot_ids: set[str], note: str | None, by: str, settings: dict) -> tuple[int, bool]:
    """Each in-person follow-up still to come of the booking on one of the closed ``slot_ids`` moved to the next
    free seat in its window, or proposed: how many were proposed, and whether one is left (the sweeper's)."""

    def withdrawn(booking: dict) -> list[int]:
        return [
            follow["number"]
            for follow in booking.get("follow_ups") or []
            if follow["status"] == "BOOKED" and follow.get("slot_id") in slot_ids
        ]

    return _withdraw(reference, withdrawn, SLOT_CLOSED, note, by, settings, _another_seat)


def of_interpreter(reference: str, interpreter: dict, by: str, settings: dict) -> tuple[int, bool]:
    """Each follow-up still to come of the booking that ``interpreter`` is reserved for and can no longer give
    handed to another interpreter free then, or proposed: how many were proposed, and whether one is left."""
    gone, now = str(interpreter["_id"]), utcnow()

    def withdrawn(booking: dict) -> list[int]:
        language = booking.get("interpreter_language") or ""
        return [
            follow["number"]
            for follow in booking.get("follow_ups") or []
            if follow["status"] == "BOOKED"
            and (follow.get("interpreter") or {}).get("id") == gone
            and aware(follow["start"]) > now
            and not interpreters.still_serves(interpreter, language, follow["start"], follow["duration_minutes"])
        ]

    def another(booking: dict, follow: dict, settings: dict) -> list[dict] | None:
        return _another_interpreter(booking, follow, gone, settings)

    return _withdraw(reference, withdrawn, INTERPRETER_HOURS_CLOSED, None, by, settings, another)


def _withdraw(
    reference: str,
    withdrawn: Callable[[dict], list[int]],
    reason: str,
    note: str | None,
    by: str,
    settings: dict,
    replacement: Replacement,
) -> tuple[int, bool]:
    """Replace what each follow-up ``withdrawn`` names holds (``replacement``), or else propose a change for it,
    decided again on the booking as each change left it; a booking that ended is left as it is."""
    proposed, attempts, rounds = 0, 0, 0
    while attempts < ATTEMPTS and rounds < 4 * ATTEMPTS:
        rounds += 1
        current = store.booking_by_reference(reference)
        if current is None or current["status"] in lifecycle.ENDED:
            return proposed, False
        waiting = withdrawn(current)
        if not waiting:
            return proposed, False
        number = waiting[0]
        items = replacement(current, current["follow_ups"][number - 1], settings)
        if items is not None and _move(reference, number, items, reason, by, settings):
            continue
        if _propose(current, number, reason, note, by):
            proposed += 1
        else:
            attempts += 1
    return proposed, True


def _another_seat(booking: dict, follow: dict, settings: dict) -> list[dict] | None:
    """The next free seat of the clinic in the follow-up's window (with its interpreter), other than its own."""
    plan = followups.plan_of(booking["package"], booking.get("follow_up_plan"))
    if plan is None:
        return None
    days = [seoul_date(visit["start"]) for visit in booking["visits"]]
    first, last = followups.windows(booking["package"], plan, days, booking.get("travel"))[follow["number"] - 1]
    language = booking.get("interpreter_language")
    reads = Reads(settings["buffer_minutes"], utcnow())
    chooser = followups.Chooser(booking["clinic"], booking["package_id"], language, reads)
    try:
        return chooser.in_person(
            follow["number"], first, last, booking.get("travel"), settings["cutoff"], {follow["resource"]}
        )
    except Problem:
        return None


def _another_interpreter(booking: dict, follow: dict, gone: str, settings: dict) -> list[dict] | None:
    """Another interpreter free at the follow-up's time (not ``gone``), as its claim item."""
    language = booking["interpreter_language"]
    wanted = interpreters.Visit(follow["key"], follow["start"], follow["duration_minutes"], None)
    try:
        found = interpreters.assign(booking["clinic"], language, [wanted], settings["buffer_minutes"], utcnow(), {gone})
    except Problem:
        return None
    shown = interpreters.shown(found[0]["interpreter"], found[0]["provider"], language)
    record = {key: follow.get(key) for key in ("number", "key", "kind", "start", "duration_minutes", "slot_id")}
    return [{**ledger.interpreter_item(found[0], language, ""), "shown": shown, "follow_up": record}]


def _move(reference: str, number: int, items: list[dict], reason: str, by: str, settings: dict) -> bool:
    """Move the follow-up to what ``items`` claim (a seat and its interpreter, or only another interpreter: the
    follow-up keeps its seat or call) through the ledger, as a partner's move does: whether it was done."""
    key, hold = followups.key(number), settings["hold_seconds"]
    mover = f"clinic:{reference}:{key}"
    try:
        if items[0]["kind"] == ledger.INTERPRETER:
            claim = ledger.start_move(reference, key, "", mover, hold, lambda: items[0], keep_seat=True)
        else:
            claim = ledger.start_follow_up_move(reference, key, lambda: items, mover, hold)
    except Problem:
        return False
    try:
        ledger.take_move(claim, settings["cutoff"])
        updated = _record_move(claim, number, reason, by)
    except Problem:  # taken meanwhile, or the follow-up changed: what the move took goes back
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


def _record_move(claim: dict, number: int, reason: str, by: str) -> dict:
    """Record the follow-up's new time or interpreter by an update guarded by the booking's revision."""
    reference = claim["_id"]
    taken = ledger.move_item(claim)
    interpreter = next((i for i in claim["move"]["items"] if i["kind"] == ledger.INTERPRETER), None)
    for _ in range(ATTEMPTS):
        current = store.booking_by_reference(reference)
        if current is None or not ledger.still_mine(claim):
            raise ledger.LeaseLost(store.claim_of(reference) or claim)
        old = current["follow_ups"][number - 1]
        if old["status"] != "BOOKED":
            raise Problem(409, "INVALID_TRANSITION", f"Follow-up {number} changed meanwhile.")
        moved = dict(old)
        if taken["kind"] != ledger.INTERPRETER and taken["resource"] != old["resource"]:
            moved.update(**taken["follow_up"], resource=taken["resource"])
        moved["interpreter"] = interpreter["shown"] if interpreter else None
        changes, entry, told = _moved(current, old, moved, reason, by, utcnow())
        updated = store.change_booking(current, changes, entry, [told])
        if updated is not None:
            events.publish(updated)
            return updated
    raise ledger.busy()


def _moved(current: dict, old: dict, moved: dict, reason: str, by: str, now: datetime) -> tuple[dict, dict, dict]:
    """The changes, history entry and event of a follow-up moved (or given another interpreter) by the clinic."""
    number = old["number"]
    follow_ups = [moved if f["number"] == number else f for f in current["follow_ups"]]
    changes = {"follow_ups": follow_ups, "updated_at": now}
    change: dict = {"number": number, "from": "BOOKED", "to": "BOOKED"}
    if moved["start"] != old["start"]:
        change["moved"] = {"from": old["start"], "to": moved["start"]}
        text = f"{REASONS[reason]} It moved to the next free time in its window."
        kind = "follow_up.rescheduled"
        details: dict = {"from": seoul_iso(old["start"]), "to": seoul_iso(moved["start"]), "reason": reason}
    else:
        before, after = old.get("interpreter") or {}, moved["interpreter"] or {}
        text = f"Interpreter {before.get('name')} no longer works then; {after.get('name')} interprets instead."
        kind = "follow_up.interpreter_changed"
        details = {"from": old.get("interpreter"), "to": moved["interpreter"]}
    entry = {
        "from": current["status"],
        "to": current["status"],
        "visit": None,
        "follow_up": change,
        "at": now,
        "by": by,
        "reason": text,
    }
    told = events.event(kind, {**current, **changes}, by, now, followUp=number, **details)
    return changes, entry, told


def _propose(current: dict, number: int, reason: str, note: str | None, by: str) -> bool:
    """Make follow-up ``number`` of the booking as read CHANGE_PROPOSED (nothing fits it): whether it applied."""
    old, now = current["follow_ups"][number - 1], utcnow()
    proposal = {"reason": reason, "proposed_at": now, "resource": old["resource"], "alternatives": []}
    follow_ups = [
        {**f, "status": "CHANGE_PROPOSED", "proposal": proposal} if f["number"] == number else f
        for f in current["follow_ups"]
    ]
    changes = {"follow_ups": follow_ups, "updated_at": now}
    entry = {
        "from": current["status"],
        "to": current["status"],
        "visit": None,
        "follow_up": {"number": number, "from": "BOOKED", "to": "CHANGE_PROPOSED"},
        "at": now,
        "by": by,
        "reason": note or REASONS[reason],
    }
    details = {"followUp": number, "reason": reason, "from": seoul_iso(old["start"])}
    told = events.event("follow_up.change_proposed", {**current, **changes}, by, now, **details)
    updated = store.change_booking(current, changes, entry, [told])
    if updated is None:
        return False
    events.publish(updated)
    return True
