"""The seat: taken by one guarded update, held first so that the sweeper gives back the seat of a
booking whose process died before recording it."""

from __future__ import annotations

from datetime import datetime, timedelta

from bson import ObjectId

from services.common import lifecycle
from services.common.clock import aware, utcnow
from services.common.errors import Problem

from . import store


def booking_cutoff(min_notice_hours: float, now: datetime | None = None) -> datetime:
    """The earliest start a new booking may take: now plus the minimum notice."""
    return (now or utcnow()) + timedelta(hours=min_notice_hours)


def take_seat(slot: dict, cutoff: datetime, reference: str) -> bool:
    """A seat of an open, future slot for ``reference``. A seat the reference already holds (an
    earlier attempt that died) is its seat."""
    return reference in slot["holders"] or store.take_seat(slot["_id"], cutoff, reference)


def give_seat_back(slot_id: ObjectId | str, reference: str) -> None:
    store.give_seat_back(ObjectId(slot_id), reference)


def hold_seats(slot_ids: list[ObjectId], reference: str, hold_seconds: int) -> None:
    """Record, before any seat is taken, that ``reference`` is taking one of each slot; the sweeper
    gives them back if no booking is recorded before the hold expires."""
    store.put_hold(reference, slot_ids, utcnow() + timedelta(seconds=hold_seconds))


# A booking recorded before visits had their own status: each visit has the booking's.
_VISIT_STATUS_OF = {"PENDING": "BOOKED", **{status: status for status in lifecycle.VISIT_STATUSES}}


def recorded(booking: dict) -> list[dict]:
    """The booking's visits, each with its number, slot, start, duration and status (a booking
    recorded before it kept its visits: its one visit)."""
    visits = booking.get("visits") or [
        {
            "number": 1,
            "slot_id": booking["slot_id"],
            "start": booking["slot_start"],
            "duration_minutes": booking.get("slot_duration_minutes", 60),
        }
    ]
    status = _VISIT_STATUS_OF[booking["status"]]
    return [{"status": status, "duration_minutes": 60, **visit} for visit in visits]


def held_slots(hold: dict) -> list[str]:
    """The slots a hold has (or is taking) seats of (holds written before series keep one)."""
    return hold.get("slot_ids") or [hold["slot_id"]]


def kept_slots(booking: dict | None) -> set[str]:
    """The slots whose seats a booking keeps: its visits' that are not cancelled."""
    return {v["slot_id"] for v in recorded(booking) if v["status"] != "CANCELLED"} if booking else set()


SEATS_OF_A_BOOKING = {"reference": 1, "status": 1, "visits": 1, "slot_id": 1, "slot_start": 1}


def release_hold(reference: str) -> None:
    """The hold's seats went back: it is RELEASED (kept a while to say so)."""
    store.settle_hold(reference, "RELEASED", utcnow())


def booked_hold(reference: str) -> None:
    """The hold's booking is recorded and owns its seats: it is BOOKED (kept a while to say so)."""
    store.settle_hold(reference, "BOOKED", utcnow())


def seat_looks_free(slot: dict, cutoff: datetime) -> bool:
    return slot["status"] == "OPEN" and aware(slot["start"]) > cutoff and slot["free"] > 0


def serves(slot: dict, clinic: str, package_id: str) -> bool:
    """Whether a slot is open for a package: its clinic's, for that package or for any."""
    return slot["clinic"] == clinic and slot["package_id"] in (None, package_id)


def not_for_package(fields: list[str]) -> Problem:
    """The refusal of slots (by input field) that are not open for the package."""
    errors = [{"field": field, "message": "belongs to another clinic or package"} for field in fields]
    return Problem(422, "SLOT_NOT_FOR_PACKAGE", "A slot is not open for this package.", errors=errors)


def why_no_seat(slot: dict | None, cutoff: datetime, field: str = "slotId") -> Problem:
    """Why a slot gave no seat, naming the input ``field`` that asked for it (which visit)."""
    if slot is None:
        return Problem(422, "UNKNOWN_SLOT", "No such slot.", errors=[{"field": field, "message": "unknown slot"}])
    if slot["status"] != "OPEN":
        return Problem(
            409, "SLOT_CLOSED", "The clinic has closed this slot.", errors=[{"field": field, "message": "closed"}]
        )
    if aware(slot["start"]) <= cutoff:
        return Problem(
            409,
            "SLOT_TOO_SOON",
            "The slot starts too soon to be booked.",
            errors=[{"field": field, "message": "too soon"}],
        )
    return Problem(409, "SLOT_FULL", "Every seat of this slot is taken.", errors=[{"field": field, "message": "full"}])
