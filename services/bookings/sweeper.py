"""The sweeper: what a process that died halfway left behind, settled (``python -m services.bookings sweep``).

Every step is guarded, so sweepers may run anywhere, at once. It also moves events from the
outboxes into the event log, so the log keeps up when no one reads it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from services.common.clock import utcnow

from . import events, store
from .seats import SEATS_OF_A_BOOKING, give_seat_back, held_slots, kept_slots, recorded


def sweep(now: datetime | None = None, hold_seconds: int = 120, batch: int = 500) -> dict:
    """Give back the seats of bookings that were never recorded or were cancelled by a process that
    died before giving the seat back. Every step is guarded, so sweepers may run anywhere, at once."""
    now = now or utcnow()
    reclaimed = released = 0
    for hold in store.expired_holds(now, batch):
        if not store.claim_hold(hold, now + timedelta(seconds=hold_seconds)):
            continue
        reference = hold.get("reference", hold["_id"])
        booking = store.booking_by_reference(reference, SEATS_OF_A_BOOKING)
        if booking is None and hold.get("hold_id"):  # a checkout hold that expired unbooked
            events.hold_expired(hold, now)
        kept = kept_slots(booking)
        for slot_id in held_slots(hold):  # a booking never recorded keeps none; a move keeps what it recorded
            if slot_id not in kept:
                give_seat_back(slot_id, reference)
        reclaimed += booking is None
        store.settle_hold(hold["_id"], "RELEASED" if booking is None else "BOOKED", now, ("EXPIRING",))
    for booking in store.pending_releases(batch, SEATS_OF_A_BOOKING):
        for visit in recorded(booking):
            if visit["status"] == "CANCELLED":
                give_seat_back(visit["slot_id"], booking["reference"])
        store.seat_released(booking["_id"])
        released += 1
    return {"reclaimed": reclaimed, "released": released}
