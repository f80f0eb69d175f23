"""Moving one visit of a booking to another slot.

The new seat is taken before the old one is given back, so the patient is never left without
one. A move first records a seat hold naming both slots; if its process dies at any point, the
sweeper gives back whichever of the two the booking does not keep (the new seat if the move was
never recorded, the old one if it was). A move to the slot the visit already has is the move
done: a retry answers the booking as it is.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bson import ObjectId

from services.common.clock import aware, seoul_date, seoul_days_between, seoul_iso, utcnow
from services.common.errors import Problem
from services.common.failpoints import failpoint
from services.common.ids import object_id
from services.common.tokens import Principal

from . import events, store
from .booking import find_booking
from .careplan import trip_breaks
from .seats import give_seat_back, not_for_package, recorded, seat_looks_free, serves, why_no_seat

MOVABLE = ("PENDING", "BOOKED")  # the booking's statuses in which a visit may move
ATTEMPTS = 5


def window_breaks(visits: list[dict], number: int, start: datetime, window: dict) -> list[str]:
    """What moving visit ``number`` to ``start`` would break: its distance from the visit before
    and from the visit after must stay inside the package's window."""
    broken = []
    if number > 1:
        gap = seoul_days_between(visits[number - 2]["start"], start)
        if not window["minDays"] <= gap <= window["maxDays"]:
            broken.append(f"{gap} days after visit {number - 1}; {window['minDays']} to {window['maxDays']} allowed")
    if number < len(visits):
        gap = seoul_days_between(start, visits[number]["start"])
        if not window["minDays"] <= gap <= window["maxDays"]:
            broken.append(f"{gap} days before visit {number + 1}; {window['minDays']} to {window['maxDays']} allowed")
    return broken


def _window(booking: dict) -> dict:
    """The booking's copy of its package's window (bookings recorded before it: the interval)."""
    package = booking["package"]
    interval = package["sessionIntervalDays"]
    return package.get("visitWindow") or {"minDays": interval, "maxDays": interval}


def _check(current: dict, number: int, slot: dict | None, cutoff: datetime, notice: timedelta, now: datetime) -> None:
    """Why visit ``number`` of the booking may not move to ``slot`` now, if it may not."""
    visits = recorded(current)
    visit = visits[number - 1]
    if current["status"] not in MOVABLE or visit["status"] != "BOOKED":
        raise Problem(
            409,
            "INVALID_TRANSITION",
            f"Visit {number} is {visit['status']} (the booking {current['status']}); only a visit still to come moves.",
            errors=[{"field": "visit", "message": f"visit {number} is {visit['status']}"}],
        )
    if aware(visit["start"]) - now < notice:
        hours = int(notice.total_seconds() // 3600)
        raise Problem(
            409,
            "TOO_LATE_TO_RESCHEDULE",
            f"Visit {number} starts within {hours} hours; it can no longer be moved.",
            errors=[{"field": "visit", "message": f"moves close {hours} hours before the visit"}],
        )
    if slot is None or (current["reference"] not in slot["holders"] and not seat_looks_free(slot, cutoff)):
        raise why_no_seat(slot, cutoff)
    if not serves(slot, current["clinic"], current["package_id"]):
        raise not_for_package(["slotId"])
    broken = window_breaks(visits, number, slot["start"], _window(current))
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
            for error in trip_breaks(moved, current["travel"], current["package"]["schedule"]["minimumStayDays"])
            if error["field"] == f"visit {number}"
        ]
        if outside:
            raise Problem(422, "TRIP_TOO_SHORT", f"Visit {number} would not fit the patient's trips.", errors=outside)


def _moved(current: dict, number: int, slot: dict, principal: Principal, reason: str | None, now: datetime):
    """The changes and history entry that move visit ``number`` of the booking as read to ``slot``."""
    visits = recorded(current)
    old = visits[number - 1]
    visits[number - 1] = {
        **old,
        "slot_id": str(slot["_id"]),
        "start": slot["start"],
        "duration_minutes": slot["duration_minutes"],
    }
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
    return changes, entry


def reschedule(
    reference: str,
    number: int,
    slot_id: str,
    principal: Principal,
    reason: str | None,
    *,
    cutoff: datetime,
    notice_hours: int,
    hold_seconds: int,
) -> dict:
    """Move visit ``number`` to ``slot_id``: take its seat, record the move, give the old seat back."""
    current = find_booking(reference, principal)
    visits = recorded(current)
    if not 1 <= number <= len(visits):
        raise Problem(
            422,
            "UNKNOWN_VISIT",
            f"The booking has {len(visits)} visits.",
            errors=[{"field": "visit", "message": f"1 to {len(visits)}"}],
        )
    new_id = object_id(slot_id, "slot")
    if visits[number - 1]["slot_id"] == str(new_id):  # moved there already (a retry)
        return current
    now = utcnow()
    notice = timedelta(hours=notice_hours)
    slot = store.slot_by_id(new_id)
    _check(current, number, slot, cutoff, notice, now)
    assert slot is not None  # _check refuses an unknown slot
    old_id = ObjectId(visits[number - 1]["slot_id"])
    hold = f"{reference}/visit-{number}"
    store.put_move_hold(hold, reference, [new_id, old_id], now + timedelta(seconds=hold_seconds))
    if not store.take_seat(new_id, cutoff, reference):
        fresh = store.slot_by_id(new_id)
        if fresh is None or reference not in fresh["holders"]:  # not a racing retry of this very move
            store.settle_hold(hold, "RELEASED", utcnow())
            raise why_no_seat(fresh, cutoff)
    failpoint("bookings.after_move_seat")
    try:
        updated = _record_move(reference, number, slot, principal, reason, cutoff, notice)
    except BaseException:
        current = store.booking_by_reference(reference)
        if current is None or str(new_id) not in {v["slot_id"] for v in recorded(current)}:
            give_seat_back(new_id, reference)
        store.settle_hold(hold, "RELEASED", utcnow())
        raise
    failpoint("bookings.after_move_record")
    if str(old_id) not in {v["slot_id"] for v in recorded(updated)}:
        give_seat_back(old_id, reference)
    store.settle_hold(hold, "BOOKED", utcnow())
    return updated


def _record_move(
    reference: str,
    number: int,
    slot: dict,
    principal: Principal,
    reason: str | None,
    cutoff: datetime,
    notice: timedelta,
) -> dict:
    """Record the move by an update guarded by the booking's revision; a change that came first is
    read and the move decided again against it (a racing retry of the same move: done)."""
    for _ in range(ATTEMPTS):
        current = find_booking(reference, principal)
        if recorded(current)[number - 1]["slot_id"] == str(slot["_id"]):
            return current
        now = utcnow()
        _check(current, number, store.slot_by_id(slot["_id"]), cutoff, notice, now)
        changes, entry = _moved(current, number, slot, principal, reason, now)
        moved = {"from": seoul_iso(entry["moved"]["from"]), "to": seoul_iso(slot["start"])}
        told = events.event("visit.rescheduled", {**current, **changes}, principal.subject, now, visit=number, **moved)
        updated = store.change_booking(current["_id"], current.get("revision"), changes, entry, [told])
        if updated is not None:
            events.publish(updated)
            return updated
    raise Problem(409, "CONCURRENT_UPDATE", "The booking kept changing; read it again and retry.")
