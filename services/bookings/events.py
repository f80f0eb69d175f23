"""What happened to bookings, for the partners it concerns: an event log they can follow.

An event is written by the very update that makes the change it reports: pushed to the
booking's ``outbox`` in the guarded update that changes the booking and appends its history
(or inserted with a new booking), so no change can happen without its event. A checkout hold
that expires unbooked has no booking: its event goes to ``event_outbox`` before its seats go
back, under an id made from the hold's, so writing it twice writes it once.

``relay`` moves the events into the log (``events``) and numbers them densely: an event takes
the number after the last one logged, under a unique index, so a number is only ever taken
once every number below it exists, and a reader who has seen number n never meets a later
event below n. Any number of relays may run at once: an event is logged once (its id is the
log's key), and each number once. A booking's events are logged in the order they were written.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pymongo.errors import DuplicateKeyError

from services.common.clock import iso, seoul_iso

from . import store
from .render import refund_of
from .seats import recorded

TYPES = (
    "booking.created",
    "booking.confirmed",
    "booking.cancelled",
    "visit.rescheduled",
    "visit.arrived",
    "visit.fulfilled",
    "visit.no_show",
    "hold.expired",
)
BY_STEP = {  # the lifecycle step's target, and the event that reports it
    "BOOKED": "booking.confirmed",
    "CANCELLED": "booking.cancelled",
    "ARRIVED": "visit.arrived",
    "FULFILLED": "visit.fulfilled",
    "NOSHOW": "visit.no_show",
}
WINDOW = 500  # numbers of the log a page reads at a time
WINDOWS = 10  # windows a page reads at most: its cost does not grow with the log


def state_of(booking: dict) -> dict:
    """A booking's state as its events carry it: status, every visit, and the refund once cancelled."""
    return {
        "reference": booking["reference"],
        "status": booking["status"],
        "visits": [
            {"number": v["number"], "slotId": v["slot_id"], "start": seoul_iso(v["start"]), "status": v["status"]}
            for v in recorded(booking)
        ],
        "refund": refund_of(booking),
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


def hold_expired(hold: dict, at: datetime) -> None:
    """Record that a checkout hold expired unbooked (before its seats go back)."""
    store.put_outbox_event(
        {
            "id": f"hold-{hold['hold_id']}",
            "type": "hold.expired",
            "at": at,
            "agency": hold.get("owner"),
            "clinic": None,
            "resource": {"type": "hold", "id": hold["hold_id"]},
            "by": None,
            "data": {"holdId": hold["hold_id"], "quoteId": hold.get("quote_id"), "slotIds": hold.get("slot_ids", [])},
        }
    )


def _log(event: dict) -> None:
    """Log an event under the next free number, once."""
    if store.event_logged(event["id"]):
        return
    seq = store.last_seq() + 1
    while True:
        try:
            store.log_event({**{k: v for k, v in event.items() if k != "id"}, "_id": event["id"], "seq": seq})
            return
        except DuplicateKeyError:  # its number was taken (try the next), or another relay logged it
            if store.event_logged(event["id"]):
                return
            seq += 1


def relay(batch: int = 200) -> int:
    """Move events from the outboxes into the log; how many were moved."""
    moved = 0
    for booking in store.pending_outboxes(batch):
        written = booking.get("outbox") or []
        for pending in written:
            _log(pending)
        store.clear_outbox(booking["_id"], [pending["id"] for pending in written])
        moved += len(written)
    for waiting in store.outbox_events(batch):
        _log(waiting["event"])
        store.drop_outbox_event(waiting["_id"])
        moved += 1
    return moved


def page(scope: dict, after: int, types: set[str] | None, limit: int) -> dict:
    """Events of a scope after number ``after``, in order, of ``types`` if given: up to ``limit`` of
    them, reading at most WINDOWS windows of the log. ``cursor`` is where to continue from (the last
    number read); ``more`` says the log goes on past it (else poll again later from it)."""
    relay()  # what happened just before is in the page
    last = store.last_seq()
    items: list[dict] = []
    cursor = after
    for _ in range(WINDOWS):
        if cursor >= last:
            break
        through = min(cursor + WINDOW, last)
        for logged in store.events_between(scope, cursor, through):
            if types is None or logged["type"] in types:
                items.append(wire(logged))
                if len(items) == limit:
                    return {"items": items, "cursor": str(logged["seq"]), "more": logged["seq"] < last}
        cursor = through
    return {"items": items, "cursor": str(cursor), "more": cursor < last}


def wire(logged: dict) -> dict:
    return {
        "id": logged["_id"],
        "seq": logged["seq"],
        "type": logged["type"],
        "at": iso(logged["at"]),
        "resource": logged["resource"],
        "data": logged["data"],
    }
