"""What happened to bookings, for the partners it concerns: an event log they can follow.

An event is written by the very update that makes the change it reports: pushed to the
booking's ``outbox`` in the guarded update that changes the booking and appends its history
(or inserted with a new booking), so no change can happen without its event. A checkout hold
that expires unbooked has no booking: its event goes to ``event_outbox`` before its seats go
back, under an id made from the hold's, so writing it twice writes it once.

``publish`` moves a change's events into the log (``services.common.eventlog``, which numbers
them densely) right after the change; ``relay`` (the sweeper's) does it for any left behind by a
process that died or failed in between, and keeps the log to its horizon. Reading the feed writes
nothing.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from pymongo.errors import PyMongoError

from services.common.clock import seoul_iso, utcnow
from services.common.config import event_horizon_days

from . import store

log = logging.getLogger("clinicbridge.bookings.events")
TYPES = (
    "booking.created",
    "booking.confirmed",
    "booking.cancelled",
    "visit.rescheduled",
    "visit.arrived",
    "visit.fulfilled",
    "visit.no_show",
    "hold.expired",
    "follow_up.rescheduled",
    "follow_up.held",
    "follow_up.missed",
    "visit.change_proposed",
    "visit.change_accepted",
    "visit.change_declined",
    "visit.interpreter_changed",
    "registration.expiring",  # written by registrations.py, once per registration and expiry
    "follow_up.change_proposed",
    "follow_up.interpreter_changed",
)


def state_of(booking: dict) -> dict:
    """A booking's state as its events carry it: status, every visit, and the refund once cancelled."""
    return {
        "reference": booking["reference"],
        "status": booking["status"],
        "visits": [
            {"number": v["number"], "slotId": v["slot_id"], "start": seoul_iso(v["start"]), "status": v["status"]}
            for v in booking["visits"]
        ],
        "refund": booking.get("refund"),
        "followUps": [
            {"number": f["number"], "kind": f["kind"], "start": seoul_iso(f["start"]), "status": f["status"]}
            for f in booking.get("follow_ups") or []
        ],
    }


def event(type_: str, booking: dict, by: str | None, at: datetime, **details) -> dict:
    """An event of ``type_`` about ``booking`` as it is after the change (the booking's own scope)."""
    return {
        "id": uuid.uuid4().hex,
        "type": type_,
        "at": at,
        "agency": booking["agency"],
        "clinic": booking["clinic"],
        "resource": {"type": "booking", "id": booking["reference"]},
        "by": by,
        "data": {**state_of(booking), **details},
    }


def hold_expired(claim: dict, at: datetime) -> None:
    """Record that a checkout hold expired unbooked (before its seats go back)."""
    store.event_log.put_outbox_event(
        {
            "id": f"hold-{claim['hold_id']}",
            "type": "hold.expired",
            "at": at,
            "agency": claim.get("owner"),
            "clinic": None,
            "resource": {"type": "hold", "id": claim["hold_id"]},
            "by": None,
            "data": {
                "holdId": claim["hold_id"],
                "quoteId": claim.get("quote_id"),
                "slotIds": [
                    item["resource"]
                    for item in claim["items"]
                    if item["kind"] == "SEAT" and not isinstance(item["visit"], str)
                ],
            },
        }
    )


def publish(booking: dict) -> None:
    """Log a booking's new events at once, after the update that wrote them, so partners hear of a
    change within moments. If this fails, or the process dies first, the relay logs them later."""
    written = booking.get("outbox") or []
    if not written:
        return
    try:
        store.event_log.log(written)
        store.clear_outbox(booking["_id"], [event["id"] for event in written])
    except PyMongoError:
        log.warning("events left for the relay", extra={"reference": booking.get("reference")})


def relay(batch: int = 200) -> int:
    """Move events from the bookings' outboxes and ``event_outbox`` into the log; how many were moved.
    A booking's events are logged in the order they were written."""
    pending = store.pending_outboxes(batch)
    written = [event for booking in pending for event in booking.get("outbox") or []]
    store.event_log.log(written)
    for booking in pending:
        store.clear_outbox(booking["_id"], [event["id"] for event in booking.get("outbox") or []])
    relayed = len(written) + store.event_log.relay_outbox(batch)
    store.event_log.tidy(utcnow(), timedelta(days=event_horizon_days()))
    return relayed


def page(scope: dict, query: dict) -> dict:
    """A page of the feed (:meth:`EventLog.page`); reading writes nothing."""
    return store.event_log.page(scope, query)
